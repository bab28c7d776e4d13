//! bot-api integration tests (one binary): real PostgreSQL, a local Bot API stand-in. The
//! harness is [`helpers`]; every other module is a group of tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod booking;
mod booking_failures;
mod chat;
mod concurrency;
mod conversation;
mod dead_letter;
mod example_env;
mod flood;
mod health;
mod logs;
mod metrics;
mod outbox;
mod outbox_backlog;
mod outbox_lease;
mod polling;
mod rbac;
mod remove_master;
mod retention;
mod round_trips;
mod schedule;
mod shutdown;
mod slow_clients;
mod startup;
mod update_functions;
mod updates;
mod webhook;
