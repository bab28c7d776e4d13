//! The reminder sweep (TODO(bot-core)): enqueue one reminder per confirmed booking whose
//! start is within the configured lead time, exactly once (FOR UPDATE SKIP LOCKED, then
//! `reminder_sent_at`). `serve` calls [`sweep`] every minute.

use crate::updates::BotContext;

/// Enqueues due reminders; returns how many.
pub async fn sweep(ctx: &BotContext) -> Result<usize, sqlx::Error> {
    let _ = ctx;
    Ok(0)
}
