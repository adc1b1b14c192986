//! Email over SMTP with lettre: multipart text + HTML, headers built with
//! lettre's typed builders only (untrusted text never reaches a header
//! except the subject, which is put on one line and cut first).

use super::render::{cut, one_line, Rendered, MAX_SUBJECT_CHARS};
use super::SendError;
use crate::config::EmailChannel;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};
use std::time::Duration;

pub fn transport(
    ch: &EmailChannel,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let url = ch
        .smtp_url
        .as_ref()
        .ok_or_else(|| SendError::new("the channel has no smtp_url"))?;
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
        .map_err(|e| SendError::new(format!("smtp_url is not usable: {}", e)))?
        .timeout(Some(timeout));
    if let (Some(user), Some(pass)) = (&ch.smtp_user, &ch.smtp_password) {
        b = b.credentials(Credentials::new(user.clone(), pass.expose().to_string()));
    }
    let t: AsyncSmtpTransport<Tokio1Executor> = b.build();
    Ok(t)
}

/// A Message-ID derived from the idempotency key, so that a copy sent again
/// after a crash carries the same id and mail clients fold the two.
pub fn message_id(key: &str, from: &Mailbox) -> String {
    let h = hex::encode(Sha256::digest(key.as_bytes()));
    let domain = from.email.domain();
    format!("<regwatch.{}@{}>", &h[..32], domain)
}

pub fn build(
    ch: &EmailChannel,
    key: &str,
    subject: &str,
    body: Rendered,
) -> Result<Message, SendError> {
    let from: Mailbox = ch
        .from
        .clone()
        .ok_or_else(|| SendError::new("the channel has no `from` address"))?;
    let subject = cut(&one_line(subject), MAX_SUBJECT_CHARS).0;
    let mut m = Message::builder()
        .from(from.clone())
        .subject(subject)
        .message_id(Some(message_id(key, &from)));
    for to in &ch.to {
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
    t: &AsyncSmtpTransport<Tokio1Executor>,
    m: Message,
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
