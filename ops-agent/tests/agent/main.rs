//! ops-agent integration tests (one binary): real PostgreSQL, real pg_dump/pg_restore, real
//! promtool and Alertmanager; stand-ins only for the bot-api and internet receivers. The
//! harness is [`helpers`]; every other module is a group of tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod alert_restart;
mod alerting;
mod alertmanager;
mod backup;
mod daemon;
mod example_env;
mod exit_codes;
mod notify;
mod private_files;
mod probe;
mod restore;
mod restore_target;
mod restore_tuning;
mod retention;
mod rules;
mod scheduler;
mod scratch_cleanup;
mod slow_clients;
mod telegram;
mod tool_timeout;
