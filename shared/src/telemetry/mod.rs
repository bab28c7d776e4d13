//! Logging initialisation: the JSON envelope ([`format`]), redaction ([`redact`]) and a
//! tracing-appender non-blocking writer to stdout and, optionally, daily files.
//!
//! `main` holds the returned [`TelemetryGuard`] for the life of the process: dropping it
//! flushes buffered lines. Lines dropped because the writer fell behind are counted
//! ([`TelemetryGuard::dropped_lines`]) so the service can export them as a metric.

pub mod format;
pub mod redact;

use anyhow::Context;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogArgs, LogFormat};
pub use format::JsonEnvelope;
pub use redact::{MASK, Redactor};

/// Crates that log URLs (with the bot token in the path) or SQL statements at debug level:
/// always held at `warn`, whatever level the operator asks for.
const QUIET: &[&str] = &[
    "hyper=warn",
    "hyper_util=warn",
    "reqwest=warn",
    "h2=warn",
    "rustls=warn",
    "sqlx=warn",
    "warp=warn",
    "tower=warn",
];

/// Keeps the log writers alive; drop it last.
#[must_use = "dropping the guard stops the log writer"]
pub struct TelemetryGuard {
    _guards: Vec<WorkerGuard>,
    counters: Vec<ErrorCounter>,
}

impl std::fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryGuard").finish_non_exhaustive()
    }
}

impl TelemetryGuard {
    /// Lines dropped so far because a writer's queue was full (monotonic).
    pub fn dropped_lines(&self) -> u64 {
        self.counters.iter().map(|c| c.dropped_lines() as u64).sum()
    }

    /// A cheap handle that reads the same counters from elsewhere (e.g. a metrics scrape).
    pub fn dropped_counter(&self) -> DroppedLines {
        DroppedLines(self.counters.clone())
    }
}

/// Cloneable reader of the dropped-lines counters.
#[derive(Clone, Default)]
pub struct DroppedLines(Vec<ErrorCounter>);

impl std::fmt::Debug for DroppedLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DroppedLines").field(&self.get()).finish()
    }
}

impl DroppedLines {
    /// Lines dropped so far.
    pub fn get(&self) -> u64 {
        self.0.iter().map(|c| c.dropped_lines() as u64).sum()
    }
}

/// Builds the level filter: the operator's level plus the [`QUIET`] overrides.
pub fn filter(level: &str) -> anyhow::Result<EnvFilter> {
    let mut spec = level.to_owned();
    for q in QUIET {
        spec.push(',');
        spec.push_str(q);
    }
    EnvFilter::try_new(&spec).with_context(|| format!("LOG_LEVEL {level:?} is not a valid filter"))
}

/// Installs the global subscriber for `service`. `secrets` are literal values (bot token,
/// webhook secret, database password) masked wherever they appear in a line.
pub fn init(
    service: &'static str,
    args: &LogArgs,
    secrets: Vec<String>,
) -> anyhow::Result<TelemetryGuard> {
    let redactor = Redactor::new(secrets);
    let mut guards = Vec::new();
    let mut counters = Vec::new();

    // Lossy: under pressure a line is dropped (and counted) rather than blocking a request.
    let (stdout, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .finish(std::io::stdout());
    counters.push(stdout.error_counter());
    guards.push(guard);

    let stdout_layer = match args.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .event_format(JsonEnvelope::new(service, redactor.clone()))
            .with_writer(stdout)
            .boxed(),
        // Pretty lines come from the same redacted envelope: a terminal is no place for secrets
        // either.
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .event_format(JsonEnvelope::pretty(service, redactor.clone()))
            .with_writer(stdout)
            .with_ansi(false)
            .boxed(),
    };

    let file_layer = match &args.log_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating LOG_DIR {}", dir.display()))?;
            let appender = tracing_appender::rolling::daily(dir, format!("{service}.log"));
            let (file, guard) = NonBlockingBuilder::default().lossy(true).finish(appender);
            counters.push(file.error_counter());
            guards.push(guard);
            // Files are always JSON: they are read by tools, not people.
            Some(
                tracing_subscriber::fmt::layer()
                    .event_format(JsonEnvelope::new(service, redactor))
                    .with_writer(file)
                    .with_ansi(false),
            )
        }
        None => None,
    };

    tracing_subscriber::registry()
        .with(filter(&args.log_level)?)
        .with(stdout_layer)
        .with(file_layer)
        .try_init()
        .context("installing the global log subscriber")?;
    Ok(TelemetryGuard {
        _guards: guards,
        counters,
    })
}

use tracing_subscriber::Layer as _;
