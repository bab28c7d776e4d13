//! ops-agent integration tests (one binary): real PostgreSQL, real pg_dump/pg_restore.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "agent/alerting.rs"]
mod alerting;
#[path = "agent/support.rs"]
mod support;
