//! Booking outcome rates from successive scrapes of the bot-api: `bot_api_bookings_total{outcome}`,
//! `bot_api_booking_system_failures_total` and `bot_api_updates_dead_lettered_total` as counter
//! deltas between scrapes summed over a sliding window, with counter resets (a restarted bot-api
//! starts again from zero) handled as Prometheus' `increase()` does; and the gauge
//! `bot_api_booking_refusing_users` as last scraped.
//!
//! Pure: samples and times are passed in.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Raw values of one scrape.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BookingCounters {
    /// `bot_api_bookings_total{outcome="success"}`.
    pub success: f64,
    /// `bot_api_bookings_total{outcome="failure"}` (refusals and system failures).
    pub failure: f64,
    /// `bot_api_booking_system_failures_total`, all reasons (a part of `failure`).
    pub system_failure: f64,
    /// `bot_api_updates_dead_lettered_total`.
    pub dead_lettered: f64,
    /// `bot_api_booking_refusing_users`: a gauge, distinct users refused in bot-api's last
    /// 10 minutes.
    pub refusing_users: f64,
}

/// Bookings (and dead-lettered updates) that happened in a window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WindowCounts {
    /// Successful bookings in the window.
    pub success: f64,
    /// Failed bookings in the window: refusals and system failures.
    pub failure: f64,
    /// Bookings that failed because of the system (a database error) in the window.
    pub system_failure: f64,
    /// Updates dead-lettered in the window.
    pub dead_lettered: f64,
    /// Distinct users refused a booking lately, as the last scrape said.
    pub refusing_users: f64,
}

impl WindowCounts {
    /// Every booking attempt: successes and failures of both kinds.
    pub fn attempts(&self) -> f64 {
        self.success + self.failure
    }

    /// Failures that were the user's: everything but the system failures.
    pub fn refusals(&self) -> f64 {
        (self.failure - self.system_failure).max(0.0)
    }

    /// `part` over all attempts; 0 when there were none.
    pub fn share(&self, part: f64) -> f64 {
        let total = self.attempts();
        if total > 0.0 { part / total } else { 0.0 }
    }

    /// Failures over all attempts; 0 when there were none.
    pub fn failure_ratio(&self) -> f64 {
        self.share(self.failure)
    }
}

/// Reset-adjusted running totals at each scrape, oldest first.
#[derive(Debug, Clone, Default)]
pub struct BookingWindow {
    last_raw: Option<BookingCounters>,
    points: VecDeque<(DateTime<Utc>, WindowCounts)>,
}

/// The increases between two raw readings (the gauge is not an increase and stays 0 here). All
/// counters come from one process: when any drops, the bot-api restarted and counted from zero,
/// so everything it shows now is new (this also catches a restart after which one counter
/// happens to be higher than before).
fn deltas(prev: BookingCounters, now: BookingCounters) -> WindowCounts {
    let restarted = now.success < prev.success
        || now.failure < prev.failure
        || now.system_failure < prev.system_failure
        || now.dead_lettered < prev.dead_lettered;
    let base = if restarted {
        BookingCounters::default()
    } else {
        prev
    };
    WindowCounts {
        success: now.success - base.success,
        failure: now.failure - base.failure,
        system_failure: now.system_failure - base.system_failure,
        dead_lettered: now.dead_lettered - base.dead_lettered,
        refusing_users: 0.0,
    }
}

impl BookingWindow {
    /// Records one scrape taken at `at`; drops points no longer needed for a `window` look-back.
    pub fn observe(&mut self, at: DateTime<Utc>, raw: BookingCounters, window: Duration) {
        let mut total = self.points.back().map(|p| p.1).unwrap_or_default();
        if let Some(prev) = self.last_raw {
            let d = deltas(prev, raw);
            total.success += d.success;
            total.failure += d.failure;
            total.system_failure += d.system_failure;
            total.dead_lettered += d.dead_lettered;
        }
        self.last_raw = Some(raw);
        self.points.push_back((at, total));
        let start = window_start(at, window);
        // Keep one point at or before the window start as the baseline.
        while self.points.len() > 1 && self.points.get(1).is_some_and(|p| p.0 <= start) {
            self.points.pop_front();
        }
    }

    /// Bookings counted over the `window` ending at `now`. The baseline is the newest scrape at or
    /// before the window start (or the oldest one kept while the agent has not yet watched for a
    /// whole window). The refusing users are those of the last scrape: bot-api counts them over
    /// its own 10 minutes.
    pub fn counts(&self, now: DateTime<Utc>, window: Duration) -> WindowCounts {
        let start = window_start(now, window);
        let Some(last) = self.points.back() else {
            return WindowCounts::default();
        };
        let base = self
            .points
            .iter()
            .rev()
            .find(|p| p.0 <= start)
            .or(self.points.front())
            .map(|p| p.1)
            .unwrap_or_default();
        WindowCounts {
            success: last.1.success - base.success,
            failure: last.1.failure - base.failure,
            system_failure: last.1.system_failure - base.system_failure,
            dead_lettered: last.1.dead_lettered - base.dead_lettered,
            refusing_users: self.last_raw.map_or(0.0, |r| r.refusing_users),
        }
    }
}

fn window_start(now: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(window)
        .ok()
        .and_then(|w| now.checked_sub_signed(w))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
