//! `type = "email"`: SMTP with lettre, a multipart message (text + HTML)
//! per alert from the editable digest templates (minijinja, autoescaped for
//! `.html`, each compiled once), headers built with lettre's typed builders
//! only (untrusted text never reaches a header except the subject, which is
//! put on one line and cut first).

use crate::config::{ChannelConfig, ConfigError, Needed, Secret};
use crate::notify::channel::{Alert, Channel, ChannelType, Health, Message, Preview, SendError};
use crate::notify::render::{cut, digest_view, one_line, DigestView, MAX_SUBJECT_CHARS};
use futures_util::future::BoxFuture;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

pub const TYPE: ChannelType = ChannelType {
    name: "email",
    build,
};

/// An email channel's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    smtp_url: Option<Secret>,
    #[serde(default)]
    smtp_user: Option<String>,
    #[serde(default)]
    smtp_password: Option<Secret>,
    #[serde(default, deserialize_with = "mailbox")]
    from: Option<Mailbox>,
    #[serde(default, deserialize_with = "mailboxes")]
    to: Vec<Mailbox>,
    /// A folder with digest.txt / digest.html overriding the built-in templates.
    #[serde(default)]
    templates: Option<PathBuf>,
}

fn parse_mailbox(s: &str) -> Result<Mailbox, String> {
    s.parse().map_err(|e| {
        format!("`{s}` is not an address ({e}): write e.g. regwatch <regwatch@example.com>")
    })
}

fn mailbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Mailbox>, D::Error> {
    let s = String::deserialize(d)?;
    parse_mailbox(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn mailboxes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Mailbox>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| parse_mailbox(s).map_err(serde::de::Error::custom))
        .collect()
}

type Transport = AsyncSmtpTransport<Tokio1Executor>;

struct Email {
    name: String,
    smtp_url: Needed<Secret>,
    smtp_user: Option<String>,
    smtp_password: Needed<Option<Secret>>,
    from: Mailbox,
    to: Vec<Mailbox>,
    timeout: Duration,
    /// `templates = "dir"`, relative to the working directory or else to
    /// the config file; compiled at the first send.
    templates: Option<(PathBuf, PathBuf)>,
    compiled: OnceLock<Result<Templates, String>>,
    transport: OnceLock<Result<Transport, String>>,
}

fn build(ch: &ChannelConfig) -> Result<Box<dyn Channel>, ConfigError> {
    let s: Settings = ch.settings()?;
    let smtp_url = ch.needed(
        s.smtp_url,
        "smtp_url",
        "an email channel needs `smtp_url` (e.g. smtp://localhost:25 or smtps://mail.example.com)",
    )?;
    if let Ok(url) = &smtp_url {
        if !matches!(url.expose().split("://").next(), Some("smtp" | "smtps")) {
            return Err(
                ch.invalid_key("smtp_url", "`smtp_url` must start with smtp:// or smtps://")
            );
        }
    }
    let from = s
        .from
        .ok_or_else(|| ch.invalid("an email channel needs `from`"))?;
    if s.to.is_empty() {
        return Err(ch.invalid("an email channel needs at least one address in `to`"));
    }
    // A password asked for but not there now fails the sends, never sends without.
    let smtp_password = match (s.smtp_password, ch.unresolved("smtp_password")) {
        (None, Some(_)) => Err(ch.missing("smtp_password")),
        (p, _) => Ok(p),
    };
    Ok(Box::new(Email {
        name: ch.name.clone(),
        smtp_url,
        smtp_user: s.smtp_user,
        smtp_password,
        from,
        to: s.to,
        timeout: ch.timeout.0,
        templates: s.templates.map(|d| (d, ch.file().to_path_buf())),
        compiled: OnceLock::new(),
        transport: OnceLock::new(),
    }))
}

impl Channel for Email {
    fn deliver<'a>(&'a self, m: &'a Message<'_>) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let url = self
                .smtp_url
                .as_ref()
                .map_err(|e| SendError::new(e.clone()))?;
            let password = self
                .smtp_password
                .as_ref()
                .map_err(|e| SendError::new(e.clone()))?;
            let (subject, body) = self.message(m)?;
            let message = compose(&self.from, &self.to, m.key, &subject, body)?;
            let transport = self
                .transport
                .get_or_init(|| {
                    transport(
                        url,
                        self.smtp_user.as_deref(),
                        password.as_ref(),
                        self.timeout,
                    )
                    .map_err(|e| e.message)
                })
                .as_ref()
                .map_err(|e| SendError::new(e.clone()))?;
            send(transport, message, self.timeout).await
        })
    }

    fn preview(&self, m: &Message<'_>) -> Result<Preview, SendError> {
        let (subject, r) = self.message(m)?;
        Ok(Preview {
            text: format!("Subject: {subject}\n\n{}", r.text),
            html: Some(r.html),
        })
    }
}

impl Email {
    /// The subject and both bodies for `m`.
    fn message(&self, m: &Message<'_>) -> Result<(String, Rendered), SendError> {
        let view = |changes: &[crate::model::Change], start, end, immediate| {
            digest_view(&self.name, m.base_url, changes, start, end, immediate)
        };
        let v = match m.alert {
            Alert::Change(c) => view(
                std::slice::from_ref(c.as_ref()),
                c.detected_at,
                c.detected_at,
                true,
            ),
            Alert::Digest(d) => crate::notify::render::digest_view_of(&self.name, m.base_url, d),
            Alert::Health(h) => return Ok(render_health(h, m.base_url)?),
        };
        let r = self.templates()?.render(&v)?;
        Ok((v.subject, r))
    }

    fn templates(&self) -> Result<&Templates, SendError> {
        let Some((dir, config)) = &self.templates else {
            return Templates::builtin();
        };
        self.compiled
            .get_or_init(|| {
                Templates::load(Some(&template_dir(dir, config))).map_err(|e| format!("{e:#}"))
            })
            .as_ref()
            .map_err(|e| SendError::new(e.clone()))
    }
}

/// Where a channel's templates are: `templates = "dir"` relative to the
/// working directory, else to the config file.
fn template_dir(d: &Path, config_path: &Path) -> PathBuf {
    if d.is_absolute() || d.exists() {
        return d.to_path_buf();
    }
    config_path
        .parent()
        .map(|p| p.join(d))
        .filter(|p| p.exists())
        .unwrap_or_else(|| d.to_path_buf())
}

pub const DEFAULT_HTML: &str = include_str!("../../../config/templates/digest.html");
pub const DEFAULT_TEXT: &str = include_str!("../../../config/templates/digest.txt");

/// The two bodies of an email.
pub struct Rendered {
    pub text: String,
    pub html: String,
}

/// The digest templates (`digest.txt`, `digest.html`), compiled: the
/// built-in ones once per process, a channel's own once per channel.
pub struct Templates(minijinja::Environment<'static>);

impl Templates {
    pub fn builtin() -> Result<&'static Templates, SendError> {
        static BUILTIN: LazyLock<Result<Templates, String>> =
            LazyLock::new(|| Templates::load(None).map_err(|e| format!("{e:#}")));
        BUILTIN.as_ref().map_err(|e| SendError::new(e.clone()))
    }

    /// The templates of `dir`; a file missing there is the built-in one.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Templates> {
        let mut env = minijinja::Environment::new();
        // `.html` templates escape every value; `.txt` ones print it as is.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") || name.ends_with(".htm") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for (name, fallback) in [("digest.html", DEFAULT_HTML), ("digest.txt", DEFAULT_TEXT)] {
            let source = read_template(dir, name, fallback)?;
            env.add_template_owned(name, source)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        }
        Ok(Templates(env))
    }

    /// Render the text and HTML digest.
    pub fn render(&self, view: &DigestView) -> anyhow::Result<Rendered> {
        let ctx = minijinja::Value::from_serialize(view);
        let render = |name: &str| {
            self.0
                .get_template(name)?
                .render(&ctx)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))
        };
        Ok(Rendered {
            text: render("digest.txt")?,
            html: render("digest.html")?,
        })
    }
}

fn read_template(dir: Option<&Path>, name: &str, fallback: &'static str) -> anyhow::Result<String> {
    if let Some(d) = dir {
        let p = d.join(name);
        if p.exists() {
            return std::fs::read_to_string(&p)
                .map_err(|e| anyhow::anyhow!("cannot read the template {}: {e}", p.display()));
        }
    }
    Ok(fallback.to_string())
}

const HEALTH_TXT: &str = "{% if h.state == 'down' %}Source {{ h.source }} ({{ h.jurisdiction }}) is DOWN: {{ h.failures }} polls failed in a row (as of {{ h.at }}).

Last error:
    {{ h.error }}

Nothing is lost meanwhile: changes are detected on the first poll that works again.
{% else %}Source {{ h.source }} ({{ h.jurisdiction }}) has RECOVERED (as of {{ h.at }}).
{% endif %}
Source health: {{ sources_url }}
";

const HEALTH_HTML: &str = "<!DOCTYPE html><html><body style=\"font-family:Arial,Helvetica,sans-serif;\">
{% if h.state == 'down' %}<h2 style=\"color:#b3261e;\">Source down: {{ h.source }} ({{ h.jurisdiction }})</h2>
<p>{{ h.failures }} polls failed in a row (as of {{ h.at }}). Last error:</p>
<pre style=\"white-space:pre-wrap;\">{{ h.error }}</pre>
<p>Nothing is lost meanwhile: changes are detected on the first poll that works again.</p>
{% else %}<h2 style=\"color:#1e7b34;\">Source recovered: {{ h.source }} ({{ h.jurisdiction }})</h2>
<p>It answers again (as of {{ h.at }}).</p>
{% endif %}<p><a href=\"{{ sources_url }}\">Source health in regwatch</a></p>
</body></html>
";

static HEALTH: LazyLock<Result<minijinja::Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    env.add_template("health.txt", HEALTH_TXT)
        .and_then(|()| env.add_template("health.html", HEALTH_HTML))
        .map_err(|e| e.to_string())?;
    Ok(env)
});

/// A source-health email: (subject, bodies).
pub fn render_health(h: &Health, base_url: &str) -> anyhow::Result<(String, Rendered)> {
    let env = HEALTH.as_ref().map_err(|e| anyhow::anyhow!("{e}"))?;
    let ctx = minijinja::context! { h => minijinja::Value::from_serialize(h), sources_url => format!("{}/sources", base_url.trim_end_matches('/')) };
    let text = env.get_template("health.txt")?.render(&ctx)?;
    let html = env.get_template("health.html")?.render(&ctx)?;
    let what = if h.is_down() { "is down" } else { "recovered" };
    let subject = format!(
        "regwatch: source {} ({}) {what}",
        one_line(&h.source),
        one_line(&h.jurisdiction)
    );
    Ok((cut(&subject, MAX_SUBJECT_CHARS).0, Rendered { text, html }))
}

fn transport(
    url: &Secret,
    user: Option<&str>,
    password: Option<&Secret>,
    timeout: Duration,
) -> Result<Transport, SendError> {
    let mut b = Transport::from_url(url.expose())
        .map_err(|e| SendError::new(format!("smtp_url is not usable: {}", e)))?
        .timeout(Some(timeout));
    if let (Some(user), Some(pass)) = (user, password) {
        b = b.credentials(Credentials::new(
            user.to_string(),
            pass.expose().to_string(),
        ));
    }
    Ok(b.build())
}

/// A Message-ID derived from the idempotency key, so that a copy sent again
/// after a crash carries the same id and mail clients fold the two.
pub fn message_id(key: &str, from: &Mailbox) -> String {
    let h = hex::encode(Sha256::digest(key.as_bytes()));
    let domain = from.email.domain();
    format!("<regwatch.{}@{}>", &h[..32], domain)
}

/// The message: from, to, a one-line subject, both parts, and the
/// Message-ID of its idempotency key.
fn compose(
    from: &Mailbox,
    to: &[Mailbox],
    key: &str,
    subject: &str,
    body: Rendered,
) -> Result<lettre::Message, SendError> {
    let subject = cut(&one_line(subject), MAX_SUBJECT_CHARS).0;
    let mut m = lettre::Message::builder()
        .from(from.clone())
        .subject(subject)
        .message_id(Some(message_id(key, from)));
    for to in to {
        m = m.to(to.clone());
    }
    m.multipart(
        MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(body.text),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(body.html),
            ),
    )
    .map_err(|e| SendError::new(format!("cannot build the message: {e}")))
}

/// Send within `timeout`, the whole SMTP conversation: lettre's own
/// timeout bounds only the connection, and a server that stops answering
/// mid-conversation would otherwise hold the notifier for minutes.
pub async fn send(
    t: &Transport,
    m: lettre::Message,
    timeout: std::time::Duration,
) -> Result<(), SendError> {
    let Ok(sent) = tokio::time::timeout(timeout, t.send(m)).await else {
        return Err(SendError::new(format!(
            "SMTP: the server did not finish the conversation within {} s",
            timeout.as_secs_f64()
        )));
    };
    match sent {
        Ok(_) => Ok(()),
        Err(e) => {
            let mut s = format!("SMTP: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(x) = src {
                s.push_str(&format!(": {x}"));
                src = x.source();
            }
            Err(SendError::new(s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::render::tests::{change, mixed_urgency, story_change};

    fn render_email(v: &DigestView, dir: Option<&Path>) -> anyhow::Result<Rendered> {
        match dir {
            None => Ok(Templates::builtin()?.render(v)?),
            Some(d) => Templates::load(Some(d))?.render(v),
        }
    }

    #[test]
    fn html_escapes_and_text_does_not() {
        let cs = vec![change(1, "TR", "telecom", "<script>alert(1)</script>")];
        let v = digest_view(
            "d",
            "http://rw",
            &cs,
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            false,
        );
        let r = render_email(&v, None).unwrap();
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(r.html.contains("a?x=1&amp;y=2"), "{}", r.html);
        assert!(r.text.contains("<script>alert(1)</script>"));
        assert!(r.text.contains("CASE-7"));
    }

    #[test]
    fn a_gist_is_labelled_in_both_parts_and_escaped_in_html() {
        let cs = vec![crate::notify::render::tests::gist_change()];
        let t = crate::clock::Clock::at_date(2026, 6, 1).now();
        let v = digest_view("d", "http://rw", &cs, t, t, false);
        let r = render_email(&v, None).unwrap();
        assert!(
            !r.html.contains("<script>") && !r.html.contains("<!channel>"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("&lt;!channel&gt; &lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{}",
            r.html
        );
        assert!(r
            .html
            .contains("English gist of the Turkish original (not a translation)"));
        assert!(
            r.text.contains("  Gist:      Türkiye · <!channel>"),
            "{}",
            r.text
        );
        assert!(r
            .text
            .contains("(English gist of the Turkish original (not a translation))"));
        // the gist is one line in the text part: no line of its own starts with a header
        assert!(!r.text.lines().any(|l| l.starts_with("Bcc")), "{}", r.text);
    }

    #[test]
    fn digest_puts_the_most_urgent_first_with_the_reason() {
        let cs = mixed_urgency();
        let v = digest_view(
            "d",
            "http://rw",
            &cs,
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            false,
        );
        assert_eq!(v.high, 1);
        let r = render_email(&v, None).unwrap();
        for body in [&r.text, &r.html] {
            let high = body.find("TR radio rule in force soon").unwrap();
            let low_tr = body.find("TR routine notice").unwrap();
            let vn = body.find("VN quiet notice").unwrap();
            assert!(high < low_tr && low_tr < vn, "{body}");
            assert!(
                body.contains("effective in 5 days; direct match on open case CASE-7"),
                "{body}"
            );
        }
        assert!(r.text.contains("[HIGH] TR radio rule"), "{}", r.text);
        assert!(r.text.contains("1 high-urgency change: listed first."));
    }

    #[test]
    fn every_email_part_lists_the_other_sources_of_the_story() {
        let c = story_change();
        let v = digest_view(
            "mail",
            "http://rw.example",
            &[c],
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            true,
        );
        let r = render_email(&v, None).unwrap();
        for body in [&r.text, &r.html] {
            assert!(body.contains("Also reported by"), "{body}");
            assert!(
                body.contains("tr-ministry") && body.contains("wto-eping"),
                "{body}"
            );
            assert!(!body.contains("javascript:"), "only web links: {body}");
        }
        assert!(
            r.text.contains("(http://rw.example/changes/9)"),
            "{}",
            r.text
        );
        assert!(r.html.contains("changes&#x2f;9\">#9</a>"), "{}", r.html);
        assert!(r.html.contains("&lt;b&gt;Yönetmelik"), "{}", r.html);
    }

    #[test]
    fn addresses_are_parsed_when_the_config_is_loaded() {
        let text = crate::notify::channels::tests::TWO;
        let c = crate::config::Config::from_str(Path::new("c.toml"), text).unwrap();
        let s: Settings = c.channels[0].settings().unwrap();
        assert_eq!(s.to.len(), 2);
        assert_eq!(s.from.unwrap().email.to_string(), "rw@example.com");
    }

    /// The built-in templates are compiled once for every send.
    #[test]
    fn the_built_in_templates_are_compiled_once() {
        let a = Templates::builtin().unwrap() as *const Templates;
        let b = Templates::builtin().unwrap() as *const Templates;
        assert_eq!(a, b);
    }
}
