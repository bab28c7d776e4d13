//! Failed updates: which errors are worth retrying ([`UpdateError::is_transient`]) and what
//! becomes of the others — stored in `dead_letter_updates` and acknowledged, so they do not
//! hold back the updates after them. Also the NUL cleaning every text stored on the way in
//! goes through.

use std::borrow::Cow;

use sqlx::PgPool;

use super::context::BotContext;
use crate::events::service::UpdateDeadLettered;

/// Why an update could not be processed; nothing of it was committed. A
/// [transient](UpdateError::is_transient) one is retried (the webhook answers 503 so Telegram
/// retries); any other is [dead-lettered](dead_letter) so it does not hold back the updates
/// after it.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The database failed or was unreachable.
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

impl UpdateError {
    /// Whether trying again later may succeed: the connection, not the update, is at fault
    /// (pool timeout, connection refused or reset, the server shutting down or out of
    /// connections) or the transaction lost a serialization race or a deadlock.
    pub fn is_transient(&self) -> bool {
        let Self::Database(e) = self;
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::BeginFailed => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect
                // now; 53300: too many connections; 40001/40P01: serialization failure,
                // deadlock.
                c.starts_with("08")
                    || matches!(
                        &*c,
                        "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01"
                    )
            }),
            _ => false,
        }
    }
}

/// Stores an update that failed with a permanent error in `dead_letter_updates` together with
/// its error, and records its `update_id` as processed (one statement, one transaction), so
/// neither Telegram nor polling offers it again. `payload` is the update's JSON text.
pub async fn dead_letter(
    pool: &PgPool,
    update_id: i64,
    payload: &str,
    error: &str,
    transport: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH pu AS (INSERT INTO processed_updates (update_id) VALUES ($1) ON CONFLICT DO NOTHING) \
         INSERT INTO dead_letter_updates (update_id, payload, error, transport) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (update_id) DO NOTHING",
    )
    .bind(update_id)
    .bind(clean(payload))
    .bind(clean(error))
    .bind(transport)
    .execute(pool)
    .await?;
    Ok(())
}

/// What a transport does with a failed update. A transient error comes back to be retried. Any
/// other is logged once with its causes and `update_id`, [dead-lettered](dead_letter) and
/// counted; `Ok` then means the update is settled and the next one can be handled. If storing
/// it fails too, that error comes back (the update is retried and classified again).
pub async fn settle_failure(
    ctx: &BotContext,
    update_id: i64,
    payload: &str,
    err: UpdateError,
    transport: &'static str,
) -> Result<(), UpdateError> {
    if err.is_transient() {
        return Err(err);
    }
    let error = shared::error::error_chain(&err);
    dead_letter(&ctx.pool, update_id, payload, &error, transport).await?;
    UpdateDeadLettered {
        update_id,
        transport,
        error: &error,
    }
    .emit(&ctx.metrics);
    Ok(())
}

/// PostgreSQL text and jsonb cannot hold NUL; a NUL echoed into a reply would fail the
/// update on every redelivery, so it is replaced on the way in.
pub(super) fn clean(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{fffd}"))
    } else {
        Cow::Borrowed(s)
    }
}
