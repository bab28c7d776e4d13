//! bot-api integration tests (one binary): real PostgreSQL, a local Bot API stand-in.
#![allow(clippy::unwrap_used, clippy::expect_used)]
