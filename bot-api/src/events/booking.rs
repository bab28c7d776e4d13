//! Booking and schedule lifecycle events: `booking_created`, `booking_failed`,
//! `booking_cancelled`, `schedule_updated`. Each logs operational ids only (never message
//! text) and moves its counter in the same call.

use crate::metrics::Metrics;

/// A booking was committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingCreated {
    /// `bookings.id`.
    pub booking_id: i64,
    /// `masters.id`.
    pub master_id: i64,
    /// Telegram id of the client.
    pub client_telegram_id: i64,
}

impl BookingCreated {
    /// Logs and counts `bookings_total{outcome="success"}`.
    pub fn emit(&self, metrics: &Metrics) {
        tracing::info!(
            event = "booking_created",
            booking_id = self.booking_id,
            master_id = self.master_id,
            client_telegram_id = self.client_telegram_id,
            "Booking created"
        );
        metrics.bookings.with_label_values(&["success"]).inc();
    }
}

/// A booking attempt was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFailed {
    /// One of [`crate::metrics::FAILURE_REASONS`].
    pub reason: &'static str,
    /// The master asked for, when known.
    pub master_id: Option<i64>,
    /// Telegram id of the client.
    pub client_telegram_id: i64,
}

impl BookingFailed {
    /// Logs and counts `bookings_total{outcome="failure"}` and `booking_failures_total{reason}`.
    pub fn emit(&self, metrics: &Metrics) {
        tracing::info!(
            event = "booking_failed",
            reason = self.reason,
            master_id = self.master_id,
            client_telegram_id = self.client_telegram_id,
            "Booking refused"
        );
        metrics.bookings.with_label_values(&["failure"]).inc();
        metrics
            .booking_failures
            .with_label_values(&[self.reason])
            .inc();
    }
}

/// A booking was cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingCancelled {
    /// `bookings.id`.
    pub booking_id: i64,
    /// `masters.id`.
    pub master_id: i64,
    /// `client`, `master` or `admin`.
    pub by: &'static str,
}

impl BookingCancelled {
    /// Logs and counts `booking_cancellations_total{by}`.
    pub fn emit(&self, metrics: &Metrics) {
        tracing::info!(
            event = "booking_cancelled",
            booking_id = self.booking_id,
            master_id = self.master_id,
            by = self.by,
            "Booking cancelled"
        );
        metrics.cancellations.with_label_values(&[self.by]).inc();
    }
}

/// A schedule write (hours, blocks, time zone, masters) succeeded or was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleUpdated {
    /// One of [`crate::metrics::SCHEDULE_ACTIONS`].
    pub action: &'static str,
    /// `success` or `failure`.
    pub outcome: &'static str,
    /// The master concerned, when known.
    pub master_id: Option<i64>,
    /// Telegram id of the caller.
    pub actor_telegram_id: i64,
}

impl ScheduleUpdated {
    /// Logs and counts `schedule_writes_total{action,outcome}`.
    pub fn emit(&self, metrics: &Metrics) {
        tracing::info!(
            event = "schedule_updated",
            action = self.action,
            outcome = self.outcome,
            master_id = self.master_id,
            actor_telegram_id = self.actor_telegram_id,
            "Schedule write"
        );
        metrics
            .schedule_writes
            .with_label_values(&[self.action, self.outcome])
            .inc();
    }
}
