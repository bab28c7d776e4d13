//! What both binaries (`bot-api` and `ops-agent`) need and nothing that belongs to one of them.
//!
//! # Layout
//! - [`config`] — clap argument groups both binaries flatten (database, logging).
//! - [`telemetry`] — the JSON log envelope, redaction of secrets, the non-blocking writer.
//! - [`db`] — connection pool and the embedded migrations of `migrations/`.
//! - [`metrics`] — Prometheus text encoding with the 0.0.4 content type.
//! - [`error`] — an error with its causes on one line.
//! - [`http_server`] — the HTTP server under both binaries' routes: time limits, a connection
//!   cap, a bounded graceful shutdown.
//! - [`shutdown`] — the SIGTERM/SIGINT signal every long-running loop listens to.
//! - `testing` (feature `testing`): throwaway PostgreSQL clusters and databases for tests.

pub mod config;
pub mod db;
pub mod error;
pub mod http_server;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
