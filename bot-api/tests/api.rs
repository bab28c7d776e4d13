//! bot-api integration tests (one binary): real PostgreSQL, a local Bot API stand-in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/booking.rs"]
mod booking;
#[path = "api/chat.rs"]
mod chat;
#[path = "api/concurrency.rs"]
mod concurrency;
#[path = "api/conversation.rs"]
mod conversation;
#[path = "api/domain_helpers.rs"]
mod domain_helpers;
#[path = "api/edge_helpers.rs"]
mod edge_helpers;
#[path = "api/example_env.rs"]
mod example_env;
#[path = "api/health.rs"]
mod health;
#[path = "api/logs.rs"]
mod logs;
#[path = "api/metrics.rs"]
mod metrics;
#[path = "api/outbox.rs"]
mod outbox;
#[path = "api/polling.rs"]
mod polling;
#[path = "api/rbac.rs"]
mod rbac;
#[path = "api/scenario.rs"]
mod scenario;
#[path = "api/schedule.rs"]
mod schedule;
#[path = "api/serve_bin.rs"]
mod serve_bin;
#[path = "api/stand_in.rs"]
mod stand_in;
#[path = "api/startup.rs"]
mod startup;
#[path = "api/updates.rs"]
mod updates;
#[path = "api/webhook.rs"]
mod webhook;
