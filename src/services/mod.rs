//! The service layer: what the CLI, the HTTP API, the web pages and the
//! notifier ask of regwatch (the change log, the pre-quote check, field
//! reports, cases, source health), each returning typed results or a
//! [`ServiceError`]. Front ends turn the error into an exit status or an
//! HTTP status; none of them imports another front end.

pub mod cases;
pub mod changes;
pub mod check;
pub mod clients;
pub mod corrections;
pub mod evidence;
pub mod reports;
pub mod reviews;
pub mod sources;
pub mod urgency;
pub mod volume;

pub use crate::app::App;

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request was wrong: a bad country, HS code, period or filter
    /// (exit status 2, HTTP 400). The message names the value and the fix.
    #[error("{0}")]
    Invalid(String),
    /// What was asked for does not exist (exit status 1, HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The store or another part failed (exit status 1, HTTP 500).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(m: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(m.into())
    }
}
