//! Each log event of docs/logging.md owned by bot-api, as one small type whose `emit()`
//! writes the log line (with `event = "<name>"`) and moves the matching metric together.
//!
//! - [`booking`] — `booking_created`, `booking_failed`, `booking_cancelled`, `schedule_updated`.
//! - [`access`] — `rbac_deny`.
//! - [`service`] — `service_started`, `webhook_rejected`, update outcomes.

pub mod access;
pub mod booking;
pub mod service;
