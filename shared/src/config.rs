//! Command-line/environment argument groups shared by both binaries.
//!
//! Every setting is a clap flag with an environment fallback; the doc comment is the `--help`
//! text. Secrets are parsed straight into [`SecretString`] so `Debug` cannot show them.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

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
