//! Secrets: any setting `X` may be given as `X_env` (an environment
//! variable's name) or `X_file` (a file's path, relative to
//! `$CREDENTIALS_DIRECTORY` when that is set). Both are replaced by `X`
//! before anything reads the file, in every table (a channel's own settings
//! too), so no reader knows the difference. A value that cannot be had now
//! is left out and recorded with why: only what needs it fails (a send, a
//! write). A [`Secret`] never prints.

use super::file::{ConfigError, TomlText};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A secret value: never printed by Debug or Display.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What resolving a file's `X_env` / `X_file` keys found.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    /// Secret-looking settings given as plain values (`channel[0].secret`).
    pub plain: Vec<String>,
    /// Settings named by `X_env` / `X_file` whose value could not be had,
    /// by key path (`channel[0].webhook_url`), with why.
    pub unresolved: BTreeMap<String, String>,
}

/// Whether a key's value is a secret, by its name: `password`, `secret`,
/// `webhook_url`, `api_token`, or a name ending in one of them
/// (`smtp_password`, `signing_secret`). A channel type names its secret keys so.
pub(crate) fn is_secret_key(key: &str) -> bool {
    ["password", "secret", "webhook_url", "api_token"]
        .iter()
        .any(|s| {
            key.strip_suffix(s)
                .is_some_and(|head| head.is_empty() || head.ends_with('_'))
        })
}

/// Replace every `X_env` / `X_file` key of `table` (and of the tables in
/// it) by `X` with the value it points to, keeping the span of what was
/// written for errors about the value.
pub(crate) fn resolve(
    file: &TomlText<'_>,
    table: &mut DeTable<'_>,
    prefix: &str,
    out: &mut Resolved,
) -> Result<(), ConfigError> {
    let keys: Vec<Spanned<Cow<'_, str>>> = table.keys().cloned().collect();
    for key in keys {
        let name = key.get_ref().as_ref();
        let full = join(prefix, name);
        match indirect(file, table, &key, &full)? {
            Some((base, span, Ok(v))) => {
                table.insert(
                    Spanned::new(key.span(), Cow::Owned(base.to_string())),
                    Spanned::new(span, DeValue::String(Cow::Owned(v.trim_end().to_string()))),
                );
            }
            Some((base, _, Err(why))) => {
                out.unresolved.insert(join(prefix, base), why);
            }
            None => match table.get_mut(name).map(Spanned::get_mut) {
                Some(DeValue::Table(t)) => resolve(file, t, &full, out)?,
                Some(DeValue::Array(a)) => {
                    for (i, v) in a.iter_mut().enumerate() {
                        if let DeValue::Table(t) = v.get_mut() {
                            resolve(file, t, &format!("{full}[{i}]"), out)?;
                        }
                    }
                }
                Some(DeValue::String(_)) if is_secret_key(name) => out.plain.push(full),
                _ => {}
            },
        }
    }
    Ok(())
}

/// What an `X_env` / `X_file` key (taken out of `table`) points to: `X`,
/// the span of what was written, and the value or why there is none now.
/// `None` for any other key.
type Indirect<'k> = Option<(&'k str, Range<usize>, Result<String, String>)>;

fn indirect<'k>(
    file: &TomlText<'_>,
    table: &mut DeTable<'_>,
    key: &'k Spanned<Cow<'_, str>>,
    full: &str,
) -> Result<Indirect<'k>, ConfigError> {
    let name = key.get_ref().as_ref();
    if let Some(base) = name.strip_suffix("_env") {
        let var = take_string(
            file,
            table,
            key,
            full,
            "the name of an environment variable",
        )?;
        if table.contains_key(base) {
            return Err(file.invalid(
                Some(key.span()),
                format!("both `{base}` and `{name}` are set: keep one"),
            ));
        }
        let value = match std::env::var(var.get_ref()) {
            Ok(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(format!(
                "the environment variable {} (named by `{full}`) is not set",
                var.get_ref()
            )),
        };
        Ok(Some((base, var.span(), value)))
    } else if let Some(base) = name.strip_suffix("_file") {
        let path = take_string(file, table, key, full, "a file path")?;
        let p = credential_path(path.get_ref());
        // Read now, but a file that cannot be read (a systemd credential
        // outside the service) only fails the sends that need it.
        let value = std::fs::read_to_string(&p)
            .map_err(|e| format!("`{full}`: cannot read {}: {e}", p.display()));
        Ok(Some((base, path.span(), value)))
    } else {
        Ok(None)
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Remove `key` (an `X_env` / `X_file`) from `table`: its string value.
fn take_string(
    file: &TomlText<'_>,
    table: &mut DeTable<'_>,
    key: &Spanned<Cow<'_, str>>,
    full: &str,
    what: &str,
) -> Result<Spanned<String>, ConfigError> {
    let v = table.remove(key.get_ref().as_ref());
    match v.as_ref().map(|v| (v.get_ref(), v.span())) {
        Some((DeValue::String(s), span)) => Ok(Spanned::new(span, s.to_string())),
        _ => Err(file.invalid(
            Some(key.span()),
            format!("`{full}` must be {what}, as a string"),
        )),
    }
}

fn credential_path(file: &str) -> PathBuf {
    let p = PathBuf::from(file);
    match std::env::var("CREDENTIALS_DIRECTORY") {
        Ok(dir) if p.is_relative() => Path::new(&dir).join(p),
        _ => p,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_keys_are_known_by_their_names() {
        for k in [
            "secret",
            "smtp_password",
            "webhook_url",
            "api_token",
            "signing_secret",
        ] {
            assert!(super::is_secret_key(k), "{k}");
        }
        for k in ["url", "smtp_url", "token", "secretary", "name"] {
            assert!(!super::is_secret_key(k), "{k}");
        }
    }
}
