//! Service-level events: `service_started`, `webhook_rejected`, update outcomes, database
//! outages and outbox delivery problems. Each type's `emit()` writes the log line and moves
//! its metric together, at the one place where the thing happens.
//!
//! The service's lifecycle events live here; the update events are in `update` and the
//! outbox delivery events in `outbox`, re-exported so every event keeps its path.

mod outbox;
mod update;

use crate::metrics::Metrics;

pub use self::outbox::{OutboxChatFull, OutboxGaveUp, OutboxRetry};
pub use self::update::{Outcome, UpdateDeadLettered, UpdateHandled};

/// `service_started`: the service listens and its background tasks run.
#[derive(Debug)]
pub struct ServiceStarted<'a> {
    /// Listen address.
    pub listen: &'a str,
    /// `webhook` or `polling`.
    pub mode: &'a str,
    /// True without a bot token: replies are kept in the outbox, nothing is sent.
    pub offline: bool,
}

impl ServiceStarted<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::info!(
            event = "service_started",
            listen = self.listen,
            mode = self.mode,
            offline = self.offline,
            version = env!("CARGO_PKG_VERSION"),
            "bot-api started"
        );
    }
}

/// Why a webhook request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// The secret header is absent.
    SecretMissing,
    /// The secret header does not match.
    SecretMismatch,
    /// The body is not a Telegram update.
    BadBody,
    /// The body exceeds the size limit.
    TooLarge,
    /// The database is unavailable; Telegram will retry.
    DatabaseUnavailable,
}

impl RejectReason {
    /// The `reason` field value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecretMissing => "secret_missing",
            Self::SecretMismatch => "secret_mismatch",
            Self::BadBody => "bad_body",
            Self::TooLarge => "too_large",
            Self::DatabaseUnavailable => "database_unavailable",
        }
    }
}

/// `webhook_rejected`: a webhook request answered with an error status.
#[derive(Debug)]
pub struct WebhookRejected<'a> {
    /// Why.
    pub reason: RejectReason,
    /// The HTTP status answered.
    pub status: u16,
    /// A short explanation (never the body, never the header value).
    pub detail: &'a str,
}

impl WebhookRejected<'_> {
    /// Logs the event and counts the update as `rejected` (or `error` for an outage).
    pub fn emit(&self, metrics: &Metrics) {
        let outcome = match self.reason {
            RejectReason::DatabaseUnavailable => "error",
            _ => "rejected",
        };
        metrics.telegram_updates.with_label_values(&[outcome]).inc();
        tracing::warn!(
            event = "webhook_rejected",
            reason = self.reason.as_str(),
            status = self.status,
            detail = self.detail,
            "Webhook request rejected"
        );
    }
}

/// `database_unavailable`: a loop waits for the database.
#[derive(Debug)]
pub struct DatabaseUnavailable<'a> {
    /// What was being attempted.
    pub during: &'a str,
    /// The error text (sqlx errors do not carry the URL; the formatter redacts regardless).
    pub error: &'a str,
    /// Delay before the next attempt.
    pub retry_in_ms: u64,
}

impl DatabaseUnavailable<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "database_unavailable",
            during = self.during,
            error = self.error,
            retry_in_ms = self.retry_in_ms,
            "Database unavailable; retrying"
        );
    }
}

/// `webhook_insecure_open`: the webhook takes requests without a secret on an address that is
/// not loopback (`BOT_INSECURE_OPEN_WEBHOOK`); logged at start and every hour.
#[derive(Debug)]
pub struct WebhookInsecureOpen<'a> {
    /// Listen address.
    pub listen: &'a str,
}

impl WebhookInsecureOpen<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "webhook_insecure_open",
            listen = self.listen,
            "The webhook accepts updates without TELEGRAM_WEBHOOK_SECRET on a non-loopback address \
             (BOT_INSECURE_OPEN_WEBHOOK): anyone who reaches it can post updates as any user"
        );
    }
}

/// `retention_pruned`: the scheduled prune deleted rows past their retention.
#[derive(Debug)]
pub struct RetentionPruned {
    /// `processed_updates` or `outbox`.
    pub table: &'static str,
    /// Rows deleted in this run.
    pub deleted_rows: u64,
}

impl RetentionPruned {
    /// Logs the event (the metric is moved batch by batch by the prune).
    pub fn emit(&self) {
        tracing::info!(
            event = "retention_pruned",
            table = self.table,
            deleted_rows = self.deleted_rows,
            "Rows past retention deleted"
        );
    }
}
