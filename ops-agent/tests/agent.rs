//! ops-agent integration tests (one binary): real PostgreSQL, real pg_dump/pg_restore.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "agent/backup.rs"]
mod backup;
#[path = "agent/restore.rs"]
mod restore;
#[path = "agent/retention.rs"]
mod retention;
#[path = "agent/support.rs"]
mod support;
