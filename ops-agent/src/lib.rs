//! The operations sidecar beside bot-api.
//!
//! # Layout
//! - [`config`] — the command line (one subcommand per row of CONTRACT.md "ops-agent CLI").
//! - [`cmd`] — one file per subcommand, each with its `Opts` and `run()`.
//! - [`status`] — the outcome files of the last backup and drill, shared with the daemon.
//!
//! Backups (`backup`, `manifest`, `pgtools`, `retention`, `restore`, `checks`) and the daemon
//! (`daemon`, `schedule`, `probe`, `alerting`, `notify`, `metrics`) live in modules named after
//! what they own.

pub mod alerting;
pub mod backup;
pub mod cmd;
pub mod config;
pub mod daemon;
pub mod http;
pub mod lock;
pub mod manifest;
pub mod metrics;
pub mod notify;
pub mod pgtools;
pub mod probe;
pub mod restore;
pub mod retention;
pub mod schedule;
pub mod status;
