//! The operations sidecar beside bot-api.
//!
//! # Layout
//! - [`cmd`] — the command line (clap lives only here; one file per subcommand, each with its
//!   `Opts` and `run()`), mapped into the domain's plain settings once.
//! - [`events`] — every log event of docs/logging.md, each writing its line and moving its
//!   metric together.
//! - [`exit`] — the exit codes and the error markers that choose them.
//! - [`status`] — the outcome files of the last backup and drill, shared with the daemon.
//!
//! - Backups: [`store`] (folder, tools, retention policy), [`backup`] (where a backup is
//!   written), [`manifest`], [`pgtools`] (child processes, credentials, the parsed database
//!   target), [`lock`], [`private`] (0700 folders, 0600 files), [`retention`] (pure selection + prune), [`restore`]
//!   (drills and real restores, with their checks).
//! - The daemon: [`daemon`] (config, schedule loop, jobs), [`job`] (the jobs by name),
//!   [`schedule`] (cron next-fire),
//!   [`probe`], [`alerting`] (pure rules and state machine, payloads), [`alert_state`] (the
//!   firing alerts kept across restarts), [`notify`] (receivers),
//!   [`metrics`], [`http`] (own `/metrics` and `/health`).

// Every public item carries a `///`; with clippy's `-D warnings` in CI a missing one fails.
#![warn(missing_docs)]

pub mod alert_state;
pub mod alerting;
pub mod backup;
pub mod cmd;
pub mod daemon;
pub mod events;
pub mod exit;
pub mod http;
pub mod job;
pub mod lock;
pub mod manifest;
pub mod metrics;
pub mod notify;
pub mod pgtools;
pub mod private;
pub mod probe;
pub mod restore;
pub mod retention;
pub mod schedule;
pub mod status;
pub mod store;
