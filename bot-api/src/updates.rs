//! Where an update enters (TODO(bot-core): implement).
//!
//! Contract used by the transports (webhook, polling, terminal chat):
//! `process_update` opens one transaction, records `update_id` (a duplicate returns
//! [`Outcome::Duplicate`] with no effect), applies the command, enqueues every reply and
//! notification in the outbox, and commits. Only after the commit are the collected
//! [`crate::events`] emitted (logs + metrics), so a rolled-back update counts nothing.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::PgPool;

use crate::config::BookingRules;
use crate::metrics::Metrics;
use crate::telegram::types::Update;

/// What the update handler needs.
#[derive(Debug, Clone)]
pub struct BotContext {
    pub pool: PgPool,
    pub rules: BookingRules,
    pub admins: Arc<HashSet<i64>>,
    pub metrics: Arc<Metrics>,
}

/// What happened to one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Effects and replies committed.
    Processed,
    /// This `update_id` was already processed: nothing done.
    Duplicate,
    /// A kind the bot does not act on; recorded so it is not redelivered forever.
    Ignored,
}

/// Why an update could not be processed; the transport answers 503 so Telegram retries.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("database unavailable: {0}")]
    Database(#[from] sqlx::Error),
}

/// Processes one update exactly once.
pub async fn process_update(ctx: &BotContext, update: &Update) -> Result<Outcome, UpdateError> {
    let _ = (ctx, update);
    Ok(Outcome::Ignored)
}
