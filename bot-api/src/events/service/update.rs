//! Update events: how one update ended (`update_handled`, counted by [`Outcome`]) and
//! `update_dead_lettered` for one that failed with a permanent error.

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
