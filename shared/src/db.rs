//! Database connection and the embedded migrations of `migrations/`.

use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The SQL migrations, compiled into both binaries.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Parses a connection URL without ever echoing it: sqlx's parse errors may quote the input.
pub fn connect_options(url: &SecretString) -> anyhow::Result<PgConnectOptions> {
    url.expose_secret()
        .parse::<PgConnectOptions>()
        .map_err(|_| anyhow::anyhow!("DATABASE_URL is not a valid PostgreSQL URL"))
}

/// A bounded pool. Connections are made lazily so the process can start (and answer
/// `/health`, `/ready` 503) while the database is still down.
pub fn pool(url: &SecretString, max_connections: u32) -> anyhow::Result<PgPool> {
    let opts = connect_options(url)?;
    Ok(pool_options(max_connections).connect_lazy_with(opts))
}

/// The options of [`pool`]: also what the round-trip counting tests connect with, so the
/// count includes what production's pool does per checkout.
///
/// No ping before a connection is handed out (`test_before_acquire(false)`): it was one round
/// trip on the path of every update. sqlx still pings each connection as it is returned, off
/// the path, and closes one that fails; a connection that died while idle (the server
/// restarted) fails its first statement with a connection-class error instead, which the
/// webhook answers 503 and Telegram retries (the fault suite's pg_restart checks it).
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(3))
        .test_before_acquire(false)
}

/// Applies pending migrations (idempotent; serialised by sqlx's advisory lock).
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("applying database migrations")
}
