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
    /// Not TOML, an unknown key or a wrong type: where, and the parser's message without the
    /// source text (a misspelt secret key must not print its value).
    #[error("config file{}: line {line}, column {column}: {message}", file.as_deref().map(|f| format!(" {f}")).unwrap_or_default())]
    Parse {
        /// The file, when read from one.
        file: Option<String>,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// The parser's message, quoted values removed.
        message: String,
    },
    /// A value out of range.
    #[error("config key `{key}`: {reason}")]
    Invalid {
        /// Dotted path of the key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A TOML parse error as [`ConfigError::Parse`]: line and column from its span in `text`, the
/// message without any double-quoted value (serde quotes a mistyped value: `invalid type:
/// string "…"`), and never the source line the `toml` crate's `Display` would quote.
pub(super) fn parse_error(text: &str, e: &toml::de::Error) -> ConfigError {
    let start = e.span().map_or(0, |r| r.start).min(text.len());
    let before = text.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let mut message = String::new();
    let mut quoted = false;
    for c in e.message().trim().chars() {
        if c == '"' {
            if !quoted {
                message.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            message.push(c);
        }
    }
    ConfigError::Parse {
        file: None,
        line,
        column,
        message,
    }
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
