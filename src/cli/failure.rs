//! How a command fails: the error and its exit status. Each command returns
//! `Result<u8, Failure>`; `main` prints the error in one line and exits.

use crate::config::ConfigError;
use crate::services::ServiceError;

/// A failure with its exit status: 1 runtime, 2 bad usage or configuration.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Failure {
    /// Bad configuration (exit status 2), such as a taxonomy that does not load.
    pub fn bad_config(e: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: 2,
            error: e.into(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        let code = if e.downcast_ref::<ConfigError>().is_some() {
            2
        } else {
            1
        };
        Failure { code, error: e }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::bad_config(e)
    }
}

/// Bad input is bad usage (2); a missing thing or a failure is a runtime failure (1).
impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        let code = match e {
            ServiceError::Invalid(_) => 2,
            ServiceError::NotFound(_) | ServiceError::Internal(_) => 1,
        };
        Failure {
            code,
            error: e.into(),
        }
    }
}

/// Bad usage (exit status 2), told in `msg`.
pub fn usage(msg: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        error: anyhow::anyhow!(msg.into()),
    }
}
