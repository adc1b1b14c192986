//! A tracing layer that speaks systemd-journald's native protocol: one
//! datagram per event with `PRIORITY`, `MESSAGE`, `SYSLOG_IDENTIFIER` and
//! every structured field as its own journal field (`SOURCE=tr-resmi-gazete`,
//! `OUTCOME=failed`), so `journalctl -p warning` finds failures and
//! `journalctl SOURCE=…` one source. Used when systemd connected stderr to
//! the journal (`$JOURNAL_STREAM`).

use std::fmt::Write as _;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// The journal's socket, unless `$REGWATCH_JOURNAL_SOCKET` names another.
pub fn socket_path() -> PathBuf {
    std::env::var_os("REGWATCH_JOURNAL_SOCKET")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/systemd/journal/socket"))
}

/// Whether stderr is the journal stream systemd set up: `$JOURNAL_STREAM`
/// is `DEVICE:INODE` of that stream (systemd.exec(5)).
pub fn stderr_is_journal() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(v) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = v.split_once(':') else {
        return false;
    };
    let Ok(m) = std::fs::metadata("/proc/self/fd/2") else {
        return false;
    };
    dev.parse() == Ok(m.dev()) && ino.parse() == Ok(m.ino())
}

pub struct JournalLayer {
    socket: UnixDatagram,
    path: PathBuf,
}

impl JournalLayer {
    pub fn connect(path: &Path) -> std::io::Result<JournalLayer> {
        let socket = UnixDatagram::unbound()?;
        // Fails early when nothing listens there.
        socket.connect(path)?;
        Ok(JournalLayer {
            socket,
            path: path.to_path_buf(),
        })
    }
}

/// syslog priorities: error 3, warning 4, info 6, debug and trace 7.
fn priority(l: &Level) -> u8 {
    match *l {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// A journal field name: uppercase letters, digits and `_`, not starting with `_`.
fn field_name(name: &str) -> String {
    let n: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let n = n.trim_start_matches('_').to_string();
    if n.is_empty() || n.starts_with(|c: char| c.is_ascii_digit()) {
        format!("F_{n}")
    } else {
        n
    }
}

/// Append `NAME=value`, in the binary form when the value has a newline.
fn put(buf: &mut Vec<u8>, name: &str, value: &str) {
    if value.contains('\n') {
        buf.extend_from_slice(name.as_bytes());
        buf.push(b'\n');
        buf.extend_from_slice(&(value.len() as u64).to_le_bytes());
        buf.extend_from_slice(value.as_bytes());
        buf.push(b'\n');
    } else {
        buf.extend_from_slice(name.as_bytes());
        buf.push(b'=');
        buf.extend_from_slice(value.as_bytes());
        buf.push(b'\n');
    }
}

struct Fields {
    message: String,
    fields: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, f: &Field, v: &str) {
        if f.name() == "message" {
            self.message = v.to_string();
        } else {
            self.fields.push((field_name(f.name()), v.to_string()));
        }
    }
    fn record_debug(&mut self, f: &Field, v: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{v:?}");
        if f.name() == "message" {
            self.message = s;
        } else {
            self.fields.push((field_name(f.name()), s));
        }
    }
}

impl<S: Subscriber> Layer<S> for JournalLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut f = Fields {
            message: String::new(),
            fields: vec![],
        };
        event.record(&mut f);
        let mut buf = Vec::with_capacity(256);
        put(&mut buf, "PRIORITY", &priority(meta.level()).to_string());
        put(&mut buf, "SYSLOG_IDENTIFIER", "regwatch");
        put(&mut buf, "TARGET", meta.target());
        put(&mut buf, "MESSAGE", &f.message);
        for (k, v) in &f.fields {
            if !matches!(
                k.as_str(),
                "PRIORITY" | "MESSAGE" | "SYSLOG_IDENTIFIER" | "TARGET"
            ) {
                put(&mut buf, k, v);
            }
        }
        if self.socket.send(&buf).is_err() {
            // The journal restarted: reconnect once; a lost line is not worth more.
            if self.socket.connect(&self.path).is_ok() {
                let _ = self.socket.send(&buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_the_journals_rules() {
        assert_eq!(field_name("source"), "SOURCE");
        assert_eq!(field_name("elapsed_ms"), "ELAPSED_MS");
        assert_eq!(field_name("_x.y"), "X_Y");
        assert_eq!(field_name("9lives"), "F_9LIVES");
        let mut b = vec![];
        put(&mut b, "MESSAGE", "a\nb");
        assert_eq!(&b[..8], b"MESSAGE\n");
        assert_eq!(u64::from_le_bytes(b[8..16].try_into().unwrap()), 3);
    }
}
