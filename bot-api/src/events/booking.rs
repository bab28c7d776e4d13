//! Booking and schedule lifecycle events: `booking_created`, `booking_failed`,
//! `booking_cancelled`, `schedule_updated`. Each logs operational ids only (never message
//! text) and moves its counter in the same call. Also [`BookingSystemFailure`], the one booking
//! outcome counted without a line of its own (its error is logged where it is handled).

use crate::metrics::Metrics;

/// The `reason` label of `bot_api_booking_failures_total` and of `booking_failed`; the
/// spellings are those of [`crate::metrics::FAILURE_REASONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// `in_past`.
    InPast,
    /// `too_soon`.
    TooSoon,
    /// `beyond_horizon`.
    BeyondHorizon,
    /// `outside_hours`.
    OutsideHours,
    /// `blocked`.
    Blocked,
    /// `taken`.
    Taken,
    /// `limit_reached`.
    LimitReached,
    /// `invalid_input`.
    InvalidInput,
    /// `master_not_found`.
    MasterNotFound,
    /// `internal`: not a refusal but a system failure, counted by [`BookingSystemFailure`].
    Internal,
}

impl FailureReason {
    /// Every reason, in the order of [`crate::metrics::FAILURE_REASONS`].
    pub const ALL: [Self; 10] = [
        Self::InPast,
        Self::TooSoon,
        Self::BeyondHorizon,
        Self::OutsideHours,
        Self::Blocked,
        Self::Taken,
        Self::LimitReached,
        Self::InvalidInput,
        Self::MasterNotFound,
        Self::Internal,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InPast => "in_past",
            Self::TooSoon => "too_soon",
            Self::BeyondHorizon => "beyond_horizon",
            Self::OutsideHours => "outside_hours",
            Self::Blocked => "blocked",
            Self::Taken => "taken",
            Self::LimitReached => "limit_reached",
            Self::InvalidInput => "invalid_input",
            Self::MasterNotFound => "master_not_found",
            Self::Internal => "internal",
        }
    }
}

/// The `reason` label of `bot_api_booking_system_failures_total`; the spellings are those of
/// [`crate::metrics::SYSTEM_FAILURE_REASONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemFailureReason {
    /// `database`: a database error while the booking was decided or written.
    Database,
}

impl SystemFailureReason {
    /// Every reason, in the order of [`crate::metrics::SYSTEM_FAILURE_REASONS`].
    pub const ALL: [Self; 1] = [Self::Database];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Database => "database",
        }
    }
}

/// Who cancelled a booking: the `by` label of `bot_api_booking_cancellations_total` and of
/// `booking_cancelled`, and the value stored in `bookings.cancelled_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelledBy {
    /// The booking's client.
    Client,
    /// The booking's master.
    Master,
    /// An admin.
    Admin,
}

impl CancelledBy {
    /// Every value, in the order of [`crate::metrics::CANCELLED_BY`].
    pub const ALL: [Self; 3] = [Self::Client, Self::Master, Self::Admin];

    /// The label (and column) value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Master => "master",
            Self::Admin => "admin",
        }
    }
}

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
    /// Why.
    pub reason: FailureReason,
    /// The master asked for, when known.
    pub master_id: Option<i64>,
    /// Telegram id of the client.
    pub client_telegram_id: i64,
}

impl BookingFailed {
    /// Logs and counts `bookings_total{outcome="failure"}` and `booking_failures_total{reason}`,
    /// and notes the client among the users refused lately (`booking_refusing_users`).
    pub fn emit(&self, metrics: &Metrics) {
        tracing::info!(
            event = "booking_failed",
            reason = self.reason.as_str(),
            master_id = self.master_id,
            client_telegram_id = self.client_telegram_id,
            "Booking refused"
        );
        metrics.bookings.with_label_values(&["failure"]).inc();
        metrics
            .booking_failures
            .with_label_values(&[self.reason.as_str()])
            .inc();
        metrics.refusing_users.record(self.client_telegram_id);
    }
}

/// A booking attempt failed because of the system, not the request: `/book` returned a
/// database error, so its update rolls back (and is retried or dead-lettered). Counted when the
/// error comes back, not after a commit that will not happen, because these are the failures
/// BookingFailureSpike is about. No log line: the error itself is logged once where the
/// transport handles it (`webhook_rejected`, `database_unavailable` or `update_dead_lettered`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingSystemFailure {
    /// Why.
    pub reason: SystemFailureReason,
}

impl BookingSystemFailure {
    /// Counts `bookings_total{outcome="failure"}`, `booking_failures_total{reason="internal"}`
    /// (so failures by reason still add up to failed attempts) and
    /// `booking_system_failures_total{reason}`. The client is not a refused user.
    pub fn emit(&self, metrics: &Metrics) {
        metrics.bookings.with_label_values(&["failure"]).inc();
        metrics
            .booking_failures
            .with_label_values(&[FailureReason::Internal.as_str()])
            .inc();
        metrics
            .booking_system_failures
            .with_label_values(&[self.reason.as_str()])
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
    /// Who cancelled.
    pub by: CancelledBy,
}

impl BookingCancelled {
    /// Logs and counts `booking_cancellations_total{by}`.
    pub fn emit(&self, metrics: &Metrics) {
        tracing::info!(
            event = "booking_cancelled",
            booking_id = self.booking_id,
            master_id = self.master_id,
            by = self.by.as_str(),
            "Booking cancelled"
        );
        metrics
            .cancellations
            .with_label_values(&[self.by.as_str()])
            .inc();
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
