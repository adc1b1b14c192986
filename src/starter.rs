//! What `regwatch init` writes: a working starter config and example sources.

/// The shipped `config/regwatch.toml`: every key with its default, commented.
pub const CONFIG: &str = include_str!("../config/regwatch.toml");

pub const SOURCES: &str = r#"# Example sources: one file per jurisdiction is the convention (tr.toml, vn.toml, ...).
# These three are examples only. The catalogue (about 80 sources: official gazettes,
# customs, telecom and medical regulators of TR, VN, MX, GB, the EU, the US and WTO
# notifications) is the `sources/` folder of the regwatch repository and release
# archive: copy the files of your destinations next to this one, then
# `regwatch sources check`. A destination without a source is never watched.
# Try a source without storing anything:  regwatch sources test ID
# Every key: docs/sources.md. A feed, a page and a JSON API:

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
# Zero items after a non-empty snapshot is a failed poll; for a filtered query
# that may find nothing on a quiet day:
# may_be_empty = true
[source.extract]
item = "$.results[*]"
item_title = "$.title"
item_link = "$.html_url"
item_text = "$.abstract"
item_id = "$.document_number"

# A page: CSS selectors pick the part that matters and split it into items.
[[source]]
id = "tr-ticaret-duyurular"
name = "Ticaret Bakanlığı — Duyurular"
jurisdiction = "TR"
language = "tr"
kind = "page"
url = "https://www.ticaret.gov.tr/duyurular"
schedule = "0 8-18/2 * * 1-5"          # every 2 hours, 08-18, Monday-Friday
timezone = "Europe/Istanbul"
[source.extract]
content = "main"                        # the part of the page that matters
exclude = [".banner", ".date-now"]      # removed before diffing
item = "li"                             # one announcement
ignore = ['Güncelleme: .*']             # text that changes without meaning anything
follow = true                           # read each new announcement's own page for tagging
fail_if = ["Request Rejected"]          # a firewall's block page is a failure, not content
"#;
