//! The reminder sweep: enqueue one reminder per confirmed booking of an active master whose
//! start is within the configured lead time, exactly once. Due rows are claimed with `FOR UPDATE SKIP LOCKED`,
//! marked `reminder_sent_at` and their messages enqueued in the same transaction, so several
//! processes sweeping at once never remind twice. `serve` calls [`sweep`] every minute.

use chrono::{DateTime, Utc};

use crate::outbox::{self, Outgoing};
use crate::schedule::parse_tz;
use crate::slots;
use crate::updates::BotContext;

/// At most this many reminders per sweep, so one sweep stays a short transaction.
const BATCH: i64 = 500;

/// Enqueues due reminders; returns how many.
pub async fn sweep(ctx: &BotContext) -> Result<usize, sqlx::Error> {
    let mut tx = ctx.pool.begin().await?;
    let due: Vec<(i64, DateTime<Utc>, i64, i64, String, String)> = sqlx::query_as(
        "WITH due AS ( \
           SELECT id FROM bookings b WHERE status = 'confirmed' AND reminder_sent_at IS NULL \
             AND starts_at > now() AND starts_at <= now() + make_interval(mins => $1) \
             AND EXISTS (SELECT 1 FROM masters m WHERE m.id = b.master_id AND m.active) \
           ORDER BY starts_at LIMIT $2 FOR UPDATE SKIP LOCKED), \
         upd AS ( \
           UPDATE bookings b SET reminder_sent_at = now() FROM due WHERE b.id = due.id \
           RETURNING b.id, b.starts_at, b.client_id, b.master_id) \
         SELECT upd.id, upd.starts_at, cu.chat_id, m.id, m.display_name, m.time_zone \
         FROM upd JOIN users cu ON cu.id = upd.client_id JOIN masters m ON m.id = upd.master_id",
    )
    .bind(i32::try_from(ctx.rules.reminder_minutes).unwrap_or(i32::MAX))
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    let messages: Vec<Outgoing> = due
        .iter()
        .map(|(id, at, chat, master_id, name, tz)| {
            let tz = parse_tz(tz);
            Outgoing::message(
                *chat,
                format!(
                    "Reminder: booking #{id} with master #{master_id} ({name}) on {} ({tz}).",
                    slots::local_datetime(tz, *at)
                ),
                None,
            )
        })
        .collect();
    outbox::enqueue(&mut tx, &messages).await?;
    tx.commit().await?;
    if !messages.is_empty() {
        tracing::info!(
            event = "reminders_enqueued",
            count = messages.len(),
            "Reminders enqueued"
        );
    }
    Ok(messages.len())
}
