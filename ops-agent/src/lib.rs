//! The operations sidecar beside bot-api.
//!
//! # Layout
//! - [`config`] — the command line (one subcommand per row of docs/interface.md "ops-agent CLI").
//! - [`cmd`] — one file per subcommand, each with its `Opts` and `run()`.
//! - [`status`] — the outcome files of the last backup and drill, shared with the daemon.
//!
//! - Backups: [`backup`] (where a backup is written), [`manifest`], [`pgtools`] (child
//!   processes, credentials), [`lock`], [`retention`] (pure selection + prune), [`restore`]
//!   (drills and real restores, with their checks).
//! - The daemon: [`daemon`] (config, schedule loop, jobs), [`schedule`] (cron next-fire),
//!   [`probe`], [`alerting`] (pure rules and state machine, payloads), [`notify`] (receivers),
//!   [`metrics`], [`http`] (own `/metrics` and `/health`).

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
