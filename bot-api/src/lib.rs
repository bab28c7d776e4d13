//! The Telegram booking bot.
//!
//! # Layout
//! - [`config`] — every setting as a clap flag with an env fallback; booking rule defaults.
//! - [`cli`] — what each subcommand (`serve`, `chat`, `migrate`) does.
//! - [`server`] — `run(listener, ctx, cfg, shutdown)`: HTTP plus background tasks; the test seam.
//! - [`chat`] — the terminal chat (offline trials through the same update handler).
//! - [`http`] — warp routes — webhook, health, readiness, metrics — and the one rejection handler.
//! - [`telegram`] — Bot API types, the HTTP client, long polling, the outbox sender.
//! - [`updates`] — where an update enters: the sender registered, the command read and decided,
//!   then one statement that records the update, writes and enqueues the replies.
//! - [`writes`] — that last statement: the SQL function of each kind of write.
//! - [`commands`] — parsing of typed commands and button callbacks into one [`commands::Command`].
//! - [`rbac`] — roles (client < master < admin) and who may run what.
//! - [`booking`] — where a booking is decided: the pure decision (`booking::decide`), its
//!   refusals, the slot read and the prepared outcomes of the insert, and cancelling.
//! - [`schedule`] — working hours and time zones of masters.
//! - [`blocks`] — days off and breaks (`/block`, `/blocks`, `/unblock`).
//! - [`masters`] — `/addmaster` and `/removemaster`.
//! - [`browse`] — read-only views with buttons: masters, free days and slots, `/my`, agenda.
//! - [`keyboards`] — inline keyboards and their compact (≤ 64 byte) callback data.
//! - [`effects`] — the write, replies and events one update produces, per outcome.
//! - [`slots`] — pure slot arithmetic (hours − blocks − bookings) across DST.
//! - [`zones`] — each master's zone as last read, so a day view reads just that day.
//! - [`outbox`] — outgoing Bot API calls; enqueueing those of the reminder sweep.
//! - [`reminders`] — the reminder sweep before appointments.
//! - [`retention`] — the scheduled prune of old update ids and outbox rows.
//! - [`throttle`] — flood control: a token bucket per user.
//! - [`events`] — each log event of the contract as a type whose `emit()` also moves its metric.
//! - [`metrics`] — the Prometheus families of the contract, registered in one place.
//! - [`refusing_users`] — the distinct users refused a booking lately, counted for the alert.

pub mod blocks;
pub mod booking;
pub mod browse;
pub mod chat;
pub mod cli;
pub mod commands;
pub mod config;
pub mod effects;
pub mod events;
pub mod http;
pub mod keyboards;
pub mod masters;
pub mod metrics;
pub mod outbox;
pub mod rbac;
pub mod refusing_users;
pub mod reminders;
pub mod retention;
pub mod schedule;
pub mod server;
pub mod slots;
pub mod telegram;
pub mod throttle;
pub mod updates;
pub mod writes;
pub mod zones;
