//! The context every update is handled in: the database, the booking rules, the admins, the
//! metrics and the flood control, built once by the server and shared by every transport.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::PgPool;

use crate::config::BookingRules;
use crate::metrics::Metrics;
use crate::throttle::Throttle;

/// What the update handler needs.
#[derive(Debug, Clone)]
pub struct BotContext {
    /// The database.
    pub pool: PgPool,
    /// Booking rules from configuration.
    pub rules: BookingRules,
    /// Telegram ids of admins (`BOT_ADMIN_IDS`).
    pub admins: Arc<HashSet<i64>>,
    /// Where events are counted.
    pub metrics: Arc<Metrics>,
    /// Flood control per user and the outbox's per-chat cap.
    pub throttle: Arc<Throttle>,
}
