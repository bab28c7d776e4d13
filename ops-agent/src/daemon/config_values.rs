//! Refusing a bad value of the TOML file: [`ConfigError`] naming the key, and the readers of
//! values that both the main table and the receivers use.

use std::time::Duration;

/// A refused configuration: which key, and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not TOML, an unknown key or a wrong type (the message names the key and line).
    #[error("config file: {0}")]
    Parse(String),
    /// A value out of range.
    #[error("config key `{key}`: {reason}")]
    Invalid {
        /// Dotted path of the key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

pub(super) fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// Seconds → Duration, refusing negative, NaN and absurd values.
pub(super) fn seconds(
    key: &str,
    v: Option<f64>,
    default: Duration,
    allow_zero: bool,
) -> Result<Duration, ConfigError> {
    let Some(v) = v else { return Ok(default) };
    if !v.is_finite() || v < 0.0 || (!allow_zero && v == 0.0) {
        let want = if allow_zero {
            "zero or more seconds"
        } else {
            "more than zero seconds"
        };
        return Err(invalid(key, format!("{v} is not {want}")));
    }
    Duration::try_from_secs_f64(v).map_err(|_| invalid(key, format!("{v} seconds is out of range")))
}
