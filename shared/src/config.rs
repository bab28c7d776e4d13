//! Command-line/environment argument groups shared by both binaries, and the rules every
//! setting follows in both.
//!
//! Every setting is a clap flag with an environment fallback; the doc comment is the `--help`
//! text. Secrets are parsed straight into [`SecretString`] so `Debug` cannot show them.
//! Both `main`s parse through [`parse`], where an empty variable means "unset"
//! ([`unset_empty_env`]), and refuse secrets still holding the example's placeholder
//! ([`refuse_placeholder`]).

mod empty_env;
mod placeholder;

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

pub use empty_env::{
    EnvLookup, EnvSetting, env_setting, env_settings, parse, process_env, try_parse_from,
    unset_empty_env,
};
pub use placeholder::{ENV_EXAMPLE, PLACEHOLDER, PlaceholderSecret, Secret, refuse_placeholder};

/// How to reach PostgreSQL.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL connection URL, e.g. postgres://user:password@127.0.0.1:5432/booking
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: SecretString,

    /// Upper bound of the connection pool.
    #[arg(
        long = "db-max-connections",
        env = "DB_MAX_CONNECTIONS",
        default_value_t = 10
    )]
    pub max_connections: u32,
}

impl DatabaseArgs {
    /// Refuses a URL whose password is still the example's placeholder, naming `DATABASE_URL`.
    pub fn refuse_placeholder(&self) -> Result<(), PlaceholderSecret> {
        refuse_placeholder(
            "DATABASE_URL",
            Secret::UrlPassword(self.database_url.expose_secret()),
            ENV_EXAMPLE,
        )
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable lines for a terminal.
    Pretty,
}

/// Where and how logs are written.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// `json` (one object per line) or `pretty`.
    #[arg(
        long = "log-format",
        env = "LOG_FORMAT",
        value_enum,
        default_value = "json"
    )]
    pub log_format: LogFormat,

    /// Also write daily-rolling log files into this folder.
    #[arg(long = "log-dir", env = "LOG_DIR")]
    pub log_dir: Option<PathBuf>,

    /// Level filter in `tracing` syntax; noisy third-party crates stay at `warn` regardless.
    #[arg(long = "log-level", env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

impl Default for LogArgs {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Json,
            log_dir: None,
            log_level: "info".into(),
        }
    }
}

/// The password of a `scheme://user:password@host/…` URL as written (percent-encoded).
pub fn url_password_raw(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    Some(userinfo.split_once(':')?.1)
}

/// The percent-decoded password of a `scheme://user:password@host/…` URL.
pub fn url_password(url: &str) -> Option<String> {
    url_password_raw(url).map(percent_decode)
}

/// The URL's password as the log redactor should know it: raw and, when different, decoded.
pub fn url_secret_literals(url: &str) -> Vec<String> {
    let Some(raw) = url_password_raw(url) else {
        return Vec::new();
    };
    let decoded = percent_decode(raw);
    let mut out = vec![raw.to_owned()];
    if decoded != raw {
        out.push(decoded);
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_found_raw_and_decoded() {
        assert_eq!(
            url_password("postgres://u:p%40ss@h:5/db?x=1").as_deref(),
            Some("p@ss")
        );
        assert_eq!(
            url_secret_literals("postgres://u:p%40ss@h/db"),
            vec!["p%40ss", "p@ss"]
        );
        assert_eq!(url_secret_literals("postgres://u:pw@h/db"), vec!["pw"]);
        assert_eq!(url_password("postgres://u@h/db"), None);
        assert_eq!(url_password("postgres://h/db"), None);
        assert!(url_secret_literals("not a url").is_empty());
    }
}
