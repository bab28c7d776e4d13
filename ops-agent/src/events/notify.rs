//! Delivery events: `notification_sent`, `notification_retry`, `notification_failed` (every
//! attempt failed, or the receiver's queue dropped the notification). Sent and failed
//! deliveries move `ops_agent_alert_notifications_total` in the same call.

use std::time::Duration;

use crate::metrics::AgentMetrics;

/// Which receiver, as the notification events name it.
#[derive(Debug, Clone, Copy)]
pub struct ReceiverRef<'a> {
    /// Its configured name.
    pub name: &'a str,
    /// `webhook`, `alertmanager` or `telegram`.
    pub kind: &'static str,
}

/// `notification_sent`: a receiver accepted a notification.
#[derive(Debug)]
pub struct NotificationSent<'a> {
    /// The receiver.
    pub receiver: ReceiverRef<'a>,
    /// Names of the alerts sent.
    pub alerts: &'a [&'a str],
    /// The attempt that succeeded (1-based).
    pub attempt: u32,
}

impl NotificationSent<'_> {
    /// Logs the event and counts a successful delivery.
    pub fn emit(&self, metrics: &AgentMetrics) {
        metrics.observe_notification(true);
        tracing::info!(
            event = "notification_sent",
            receiver = self.receiver.name,
            kind = self.receiver.kind,
            alerts = ?self.alerts,
            attempt = self.attempt,
            "Notification delivered"
        );
    }
}

/// `notification_retry`: a delivery attempt failed; another follows after `wait`.
#[derive(Debug)]
pub struct NotificationRetry<'a> {
    /// The receiver.
    pub receiver: ReceiverRef<'a>,
    /// The attempt that failed (1-based).
    pub attempt: u32,
    /// Why (never a URL or a token).
    pub error: &'a (dyn std::error::Error + 'static),
    /// The wait before the next attempt.
    pub wait: Duration,
}

impl NotificationRetry<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "notification_retry",
            receiver = self.receiver.name,
            kind = self.receiver.kind,
            attempt = self.attempt,
            error = %self.error,
            wait_ms = self.wait.as_millis() as u64,
            "Notification attempt failed; retrying"
        );
    }
}

/// `notification_failed` (error): every attempt failed; the daemon goes on.
#[derive(Debug)]
pub struct NotificationFailed<'a> {
    /// The receiver.
    pub receiver: ReceiverRef<'a>,
    /// Names of the alerts not delivered.
    pub alerts: &'a [&'a str],
    /// The last attempt (1-based).
    pub attempt: u32,
    /// Why the last attempt failed (never a URL or a token).
    pub error: &'a (dyn std::error::Error + 'static),
}

impl NotificationFailed<'_> {
    /// Logs the event and counts a failed delivery.
    pub fn emit(&self, metrics: &AgentMetrics) {
        metrics.observe_notification(false);
        tracing::error!(
            event = "notification_failed",
            receiver = self.receiver.name,
            kind = self.receiver.kind,
            alerts = ?self.alerts,
            attempt = self.attempt,
            error = %self.error,
            "Notification not delivered"
        );
    }
}

/// `notification_failed` (warn): the receiver's queue was full or closed; the notification
/// was dropped without an attempt.
#[derive(Debug)]
pub struct NotificationDropped<'a> {
    /// The receiver's name.
    pub receiver: &'a str,
}

impl NotificationDropped<'_> {
    /// Logs the event and counts a failed delivery.
    pub fn emit(&self, metrics: &AgentMetrics) {
        metrics.observe_notification(false);
        tracing::warn!(
            event = "notification_failed",
            receiver = self.receiver,
            "Notification queue full or closed; dropped"
        );
    }
}
