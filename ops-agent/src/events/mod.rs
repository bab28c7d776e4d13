//! Every log event of docs/logging.md owned by the agent, as one small type whose `emit()`
//! writes the line (with `event = "<name>"` and the documented fields) and, where the event has
//! a metric, moves it in the same call. Code that decides what happens next builds the event;
//! nothing else in the agent writes `event = "…"`.
//!
//! - [`backup`] — backups, retention, manifests and status files.
//! - [`restore`] — restore drills and real restores.
//! - [`daemon`] — the daemon's lifecycle, scheduled jobs and alerts.
//! - [`notify`] — deliveries to receivers.
//!
//! An error is logged once, where it is handled: a failed backup or drill is reported by
//! `backup_failed`/`restore_verify_failed` where it ends, and the daemon's job does not log it
//! again.

pub mod backup;
pub mod daemon;
pub mod notify;
pub mod restore;
