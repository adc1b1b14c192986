//! What `regwatch init` writes: a working starter config and example sources.

pub const CONFIG: &str = r#"# regwatch configuration. Every key is shown with its default; uncomment to change.
# Secrets: any setting X may be given as X_env (an environment variable's name)
# or X_file (a file, relative to $CREDENTIALS_DIRECTORY under systemd).

[storage]
# url = "sqlite://data/regwatch.db"      # or postgres://user@host/db

[sources]
# dir = "sources"                        # relative paths are relative to the working directory
# taxonomy = "config/taxonomy.toml"      # default: taxonomy.toml beside this file

[fetch]
# user_agent = "regwatch/0.1 (+mailto:compliance@example.com)"   # say who you are: authorities block anonymous bots
# timeout = "30s"
# max_bytes = 10_485_760                 # after decompression
# concurrency = 16
# per_host_concurrency = 2
# per_host_interval = "1s"
# retries = 3
# retry_backoff = "500ms"
# max_redirects = 5
# robots_txt = true

[schedule]
# default = "*/30 * * * *"               # crontab: minute hour day month weekday (0/7 = Sunday)
# timezone = "UTC"
# jitter = "30s"                         # spreads sources that share a schedule

[server]
# listen = "127.0.0.1:8080"
# base_url = "http://127.0.0.1:8080"    # used in links inside alerts
# api_token_env = "REGWATCH_API_TOKEN"   # bearer token for writes; without one, writes are refused

[cases]
# link = "https://cases.example.com/case/{id}"
# backmatch_days = 90                    # a new case is matched against this many days of changes

[health]
# failures_before_alert = 3              # consecutive failed polls before a source is reported down

[log]
# format = "human"                       # or "json" (also: --log-json, REGWATCH_LOG_FORMAT=json)
# level = "info"

# Alert channels. Uncomment and fill in; secrets from the environment.
#
# [[channel]]
# name = "compliance-digest"
# type = "email"                         # email | slack | webhook
# smtp_url = "smtp://mail.example.com:587?tls=required"  # smtps:// = TLS, ?tls=required = STARTTLS, plain smtp:// = local relay
# smtp_user = "regwatch"
# smtp_password_env = "REGWATCH_SMTP_PASSWORD"
# from = "regwatch <regwatch@example.com>"
# to = ["compliance@example.com"]
# mode = "digest"                        # digest | immediate
# schedule = "0 7 * * 1-5"
# timezone = "Europe/Istanbul"
# send_empty = false
# templates = "config/templates"         # digest.html / digest.txt to edit (built-in ones otherwise)
# max_attempts = 8                       # retries before it slows to one per retry_max (never dropped; `regwatch notify retry` forces one now)
# retry_base = "30s"                     # first retry delay, doubled each failure (with jitter)
# retry_max = "1h"                       # longest delay between retries
# timeout = "30s"                        # one send (HTTP request or SMTP conversation)
# [channel.filter]
# countries = ["TR", "VN"]
# categories = ["telecom", "medical"]
# cases_only = false
#
# [[channel]]
# name = "trade-alerts"
# type = "slack"
# webhook_url_env = "SLACK_WEBHOOK_URL"
# mode = "immediate"
#
# [[channel]]
# name = "case-system"
# type = "webhook"
# url = "https://cases.example.com/hooks/regwatch"
# secret_env = "REGWATCH_WEBHOOK_SECRET" # HMAC-SHA256 key for X-Regwatch-Signature
# mode = "immediate"
"#;

pub const SOURCES: &str = r#"# Example sources: one file per jurisdiction is the convention (tr.toml, vn.toml, ...).
# Try a source without storing anything:  regwatch sources test ID

[[source]]
id = "gb-legislation-new"
name = "legislation.gov.uk — new legislation"
jurisdiction = "GB"
language = "en"
kind = "feed"
url = "https://www.legislation.gov.uk/new/data.feed"
schedule = "0 7,13 * * 1-5"
timezone = "Europe/London"

[[source]]
id = "us-federal-register-cbp"
name = "Federal Register — CBP documents"
jurisdiction = "US"
language = "en"
kind = "json"
url = "https://www.federalregister.gov/api/v1/documents.json?order=newest&per_page=20&conditions[agencies][]=u-s-customs-and-border-protection"
schedule = "0 */4 * * *"
timezone = "America/New_York"
[source.extract]
item = "$.results[*]"
item_title = "$.title"
item_link = "$.html_url"
item_text = "$.abstract"
item_id = "$.document_number"
"#;
