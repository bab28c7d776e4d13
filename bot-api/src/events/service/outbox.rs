//! Outbox delivery events: `outbox_retry`, `outbox_gave_up` and `outbox_chat_full` — a
//! message kept for later, given up, or dropped because its chat had too many pending.

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
