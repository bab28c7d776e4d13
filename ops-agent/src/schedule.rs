//! Cron schedules of the daemon's jobs: parsing (the `cron` crate, 6 or 7 fields with seconds)
//! and the pure next-fire arithmetic the scheduler loop relies on.
//!
//! The rule that keeps a restarted or suspended agent from running a burst of missed jobs lives
//! here: the next fire time is always computed from *now*, never from the previous fire time.

use std::str::FromStr;

use chrono::{DateTime, Utc};

/// A parsed cron expression, kept with its source text for messages.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    inner: cron::Schedule,
}

/// Why a cron expression was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid cron expression {expr:?} (want 6 or 7 fields: sec min hour day-of-month month day-of-week [year]): {reason}"
)]
pub struct CronError {
    expr: String,
    reason: String,
}

impl CronSchedule {
    /// Parses a 6- or 7-field cron expression (seconds first).
    pub fn parse(expr: &str) -> Result<Self, CronError> {
        cron::Schedule::from_str(expr.trim())
            .map(|inner| Self { inner })
            .map_err(|e| CronError {
                expr: expr.to_owned(),
                reason: e.to_string(),
            })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        self.inner.source()
    }

    /// The first fire time strictly after `after`; `None` when the schedule never fires again
    /// (e.g. a year field in the past).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.inner.after(&after).next()
    }
}

/// What the scheduler does with one job at time `now`, given its planned fire time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not yet due; nothing to do.
    Wait,
    /// Due: start it (or count a skip if it is still running), then plan the returned time.
    Fire {
        /// The next planned fire time, computed from `now` so missed runs are not replayed.
        next: Option<DateTime<Utc>>,
    },
}

/// Decides whether a job planned for `planned` is due at `now`. However many fire times were
/// missed (the agent was stopped, the machine suspended, the clock jumped), a due job fires
/// once and its next time is the first one after `now`.
pub fn decide(schedule: &CronSchedule, planned: DateTime<Utc>, now: DateTime<Utc>) -> Decision {
    if now < planned {
        Decision::Wait
    } else {
        Decision::Fire {
            next: schedule.next_after(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn every_thirty_seconds_fires_on_the_half_minute() {
        let s = CronSchedule::parse("*/30 * * * * *").unwrap();
        assert_eq!(
            s.next_after(at(2026, 1, 1, 0, 0, 0)),
            Some(at(2026, 1, 1, 0, 0, 30))
        );
        assert_eq!(
            s.next_after(at(2026, 1, 1, 0, 0, 31)),
            Some(at(2026, 1, 1, 0, 1, 0))
        );
    }

    #[test]
    fn daily_backup_fires_next_day_when_todays_time_has_passed() {
        let s = CronSchedule::parse("0 0 3 * * *").unwrap();
        assert_eq!(
            s.next_after(at(2026, 3, 10, 2, 59, 59)),
            Some(at(2026, 3, 10, 3, 0, 0))
        );
        assert_eq!(
            s.next_after(at(2026, 3, 10, 3, 0, 0)),
            Some(at(2026, 3, 11, 3, 0, 0))
        );
        // Across a month and a year boundary.
        assert_eq!(
            s.next_after(at(2026, 12, 31, 4, 0, 0)),
            Some(at(2027, 1, 1, 3, 0, 0))
        );
    }

    #[test]
    fn weekly_drill_fires_on_sunday() {
        let s = CronSchedule::parse("0 0 4 * * Sun").unwrap();
        // 2026-11-27 is a Friday.
        assert_eq!(
            s.next_after(at(2026, 11, 27, 12, 0, 0)),
            Some(at(2026, 11, 29, 4, 0, 0))
        );
    }

    #[test]
    fn seven_field_expression_with_a_past_year_never_fires() {
        let s = CronSchedule::parse("0 0 0 1 1 * 2020").unwrap();
        assert_eq!(s.next_after(at(2026, 1, 1, 0, 0, 0)), None);
    }

    #[test]
    fn five_field_and_garbage_expressions_are_refused_with_the_expression() {
        for bad in ["* * * * *", "", "every day", "61 * * * * *"] {
            let err = CronSchedule::parse(bad).unwrap_err().to_string();
            assert!(err.contains("invalid cron expression"), "{err}");
        }
    }

    #[test]
    fn a_job_missed_for_hours_fires_once_and_plans_from_now() {
        let s = CronSchedule::parse("0 * * * * *").unwrap();
        let planned = at(2026, 1, 1, 0, 1, 0);
        let now = at(2026, 1, 1, 5, 30, 10);
        assert_eq!(
            decide(&s, planned, now),
            Decision::Fire {
                next: Some(at(2026, 1, 1, 5, 31, 0))
            }
        );
        assert_eq!(
            decide(&s, planned, at(2026, 1, 1, 0, 0, 59)),
            Decision::Wait
        );
    }
}
