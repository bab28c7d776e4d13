//! ops-agent integration tests (one binary): real PostgreSQL, real pg_dump/pg_restore, real
//! promtool and Alertmanager; stand-ins only for the bot-api and internet receivers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "agent/alerting.rs"]
mod alerting;
#[path = "agent/alertmanager.rs"]
mod alertmanager;
#[path = "agent/backup.rs"]
mod backup;
#[path = "agent/backup_support.rs"]
mod backup_support;
#[path = "agent/daemon.rs"]
mod daemon;
#[path = "agent/example_env.rs"]
mod example_env;
#[path = "agent/notify.rs"]
mod notify;
#[path = "agent/probe.rs"]
mod probe;
#[path = "agent/restore.rs"]
mod restore;
#[path = "agent/retention.rs"]
mod retention;
#[path = "agent/rules.rs"]
mod rules;
#[path = "agent/support.rs"]
mod support;
