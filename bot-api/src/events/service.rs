//! Service-level events: `service_started`, `webhook_rejected`, update outcomes, database
//! outages and outbox delivery problems. Each type's `emit()` writes the log line and moves
//! its metric together, at the one place where the thing happens.

use crate::metrics::Metrics;
/// What happened to one update (`bot_api_telegram_updates_total{outcome}` counts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Effects and replies committed.
    Processed,
    /// This `update_id` was already processed: nothing done.
    Duplicate,
    /// A kind the bot does not act on; recorded so it is not redelivered forever.
    Ignored,
    /// The user sent more than their rate allows: recorded, not acted on.
    Throttled,
}

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

/// An update handled by the update handler (any transport).
#[derive(Debug)]
pub struct UpdateHandled {
    /// The update's id.
    pub update_id: i64,
    /// What happened.
    pub outcome: Outcome,
    /// `webhook`, `polling` or `chat`.
    pub transport: &'static str,
}

impl UpdateHandled {
    /// The `outcome` label value.
    pub fn label(outcome: Outcome) -> &'static str {
        match outcome {
            Outcome::Processed => "processed",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
            Outcome::Throttled => "throttled",
        }
    }

    /// Counts the update and logs it at debug level (per-update info lines would double the
    /// log volume of the booking events themselves).
    pub fn emit(&self, metrics: &Metrics) {
        let outcome = Self::label(self.outcome);
        metrics.telegram_updates.with_label_values(&[outcome]).inc();
        tracing::debug!(
            event = "update_handled",
            update_id = self.update_id,
            outcome,
            transport = self.transport,
            "Update handled"
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

/// `outbox_retry`: a message stays pending after a 429, 5xx or timeout.
#[derive(Debug)]
pub struct OutboxRetry<'a> {
    /// Outbox row id.
    pub outbox_id: i64,
    /// Bot API method.
    pub method: &'a str,
    /// Attempts so far.
    pub attempts: i32,
    /// Delay before the next attempt.
    pub retry_in_ms: u64,
    /// Telegram's answer or the transport error (URL stripped).
    pub reason: &'a str,
}

impl OutboxRetry<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "outbox_retry",
            outbox_id = self.outbox_id,
            method = self.method,
            attempts = self.attempts,
            retry_in_ms = self.retry_in_ms,
            reason = self.reason,
            "Telegram call failed; will retry"
        );
    }
}

/// `outbox_gave_up`: a message will never be sent (400, 403, or too many failures).
#[derive(Debug)]
pub struct OutboxGaveUp<'a> {
    /// Outbox row id.
    pub outbox_id: i64,
    /// Bot API method.
    pub method: &'a str,
    /// Attempts made.
    pub attempts: i32,
    /// Why.
    pub reason: &'a str,
}

impl OutboxGaveUp<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::error!(
            event = "outbox_gave_up",
            outbox_id = self.outbox_id,
            method = self.method,
            attempts = self.attempts,
            reason = self.reason,
            "Telegram refused a message; giving up"
        );
    }
}

/// `update_dead_lettered`: an update failed with a permanent error; it is stored in
/// `dead_letter_updates` and acknowledged, so the updates after it are handled.
#[derive(Debug)]
pub struct UpdateDeadLettered<'a> {
    /// The update's id.
    pub update_id: i64,
    /// `webhook` or `polling`.
    pub transport: &'static str,
    /// The error with its causes.
    pub error: &'a str,
}

impl UpdateDeadLettered<'_> {
    /// Logs the event (once per update) and counts it in
    /// `bot_api_updates_dead_lettered_total` and `bot_api_telegram_updates_total{outcome="dead_lettered"}`.
    pub fn emit(&self, metrics: &Metrics) {
        metrics.updates_dead_lettered.inc();
        metrics
            .telegram_updates
            .with_label_values(&["dead_lettered"])
            .inc();
        tracing::error!(
            event = "update_dead_lettered",
            update_id = self.update_id,
            transport = self.transport,
            error = self.error,
            "Update failed with a permanent error; stored in dead_letter_updates and skipped"
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

/// `outbox_chat_full`: a chat already had the most pending messages allowed
/// (`BOT_OUTBOX_MAX_PENDING_PER_CHAT`); replies of an update were dropped.
#[derive(Debug)]
pub struct OutboxChatFull {
    /// The chat of the update.
    pub chat_id: i64,
    /// The update whose replies were dropped.
    pub update_id: i64,
    /// How many messages were dropped.
    pub dropped: u64,
    /// The cap.
    pub cap: u32,
}

impl OutboxChatFull {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "outbox_chat_full",
            chat_id = self.chat_id,
            update_id = self.update_id,
            dropped = self.dropped,
            cap = self.cap,
            "Too many messages pending for a chat; replies dropped"
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
