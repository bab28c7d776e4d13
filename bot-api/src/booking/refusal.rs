//! Why a booking was refused: one [`Refusal`] per reason, with the metric label it counts
//! under and the sentence the client reads. Kept apart from the decision so the texts and the
//! label mapping can be read (and tested) in one place.

use std::fmt;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::events::booking::FailureReason;

/// Why a booking was refused. [`Refusal::reason`] is the `reason` label of
/// `bot_api_booking_failures_total` and of the `booking_failed` event; `Display` is the
/// sentence the client reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No master with that id, or a deactivated one.
    MasterNotFound { master_id: i64 },
    /// A master asked to book their own slot.
    OwnSlot,
    /// The wall-clock time does not exist that day (clocks jump forward over it).
    SkippedTime {
        date: NaiveDate,
        time: NaiveTime,
        tz: Tz,
    },
    /// The start is not after now.
    InPast,
    /// The start is closer than the minimum notice.
    TooSoon { min_notice_minutes: u32 },
    /// The start is further ahead than the horizon.
    BeyondHorizon { horizon_days: u32 },
    /// No hours that day, or the slot does not fit in them.
    OutsideHours {
        master_id: i64,
        date: NaiveDate,
        time: NaiveTime,
    },
    /// Inside the hours but not at a slot boundary.
    NotOnGrid {
        master_id: i64,
        date: NaiveDate,
        slot_minutes: i32,
    },
    /// A block of the master overlaps the slot.
    Blocked { master_id: i64, when: String },
    /// Another confirmed booking overlaps the slot.
    Taken { master_id: i64, when: String },
    /// The client already holds the most upcoming bookings allowed.
    LimitReached { active: i64 },
}

impl Refusal {
    /// The metric and log label.
    pub fn reason(&self) -> FailureReason {
        match self {
            Self::MasterNotFound { .. } => FailureReason::MasterNotFound,
            Self::OwnSlot | Self::SkippedTime { .. } => FailureReason::InvalidInput,
            Self::InPast => FailureReason::InPast,
            Self::TooSoon { .. } => FailureReason::TooSoon,
            Self::BeyondHorizon { .. } => FailureReason::BeyondHorizon,
            Self::OutsideHours { .. } | Self::NotOnGrid { .. } => FailureReason::OutsideHours,
            Self::Blocked { .. } => FailureReason::Blocked,
            Self::Taken { .. } => FailureReason::Taken,
            Self::LimitReached { .. } => FailureReason::LimitReached,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MasterNotFound { master_id } => {
                write!(f, "There is no active master #{master_id}; see /masters.")
            }
            Self::OwnSlot => f.write_str("Masters cannot book themselves."),
            Self::SkippedTime { date, time, tz } => write!(
                f,
                "{} does not exist on {date} in {tz}: the clocks jump forward then.",
                time.format("%H:%M")
            ),
            Self::InPast => f.write_str("That time is in the past."),
            Self::TooSoon { min_notice_minutes } => write!(
                f,
                "Bookings need at least {min_notice_minutes} minutes' notice."
            ),
            Self::BeyondHorizon { horizon_days } => {
                write!(f, "Bookings are taken at most {horizon_days} days ahead.")
            }
            Self::OutsideHours {
                master_id,
                date,
                time,
            } => write!(
                f,
                "{} on {date} is outside master #{master_id}'s working hours.",
                time.format("%H:%M")
            ),
            Self::NotOnGrid {
                master_id,
                date,
                slot_minutes,
            } => write!(
                f,
                "Slots with master #{master_id} are {slot_minutes} minutes long and start on the grid; see /slots {master_id} {date}."
            ),
            Self::Blocked { master_id, when } => {
                write!(f, "Master #{master_id} is not available at {when}.")
            }
            Self::Taken { master_id, when } => {
                write!(f, "{when} with master #{master_id} is already taken.")
            }
            Self::LimitReached { active } => write!(
                f,
                "You already have {active} upcoming bookings, the most one client may hold."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::booking::{CancelledBy, SystemFailureReason};
    use crate::metrics::{CANCELLED_BY, FAILURE_REASONS, SYSTEM_FAILURE_REASONS};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn the_fixed_texts_read_as_before() {
        assert_eq!(
            Refusal::MasterNotFound { master_id: 3 }.to_string(),
            "There is no active master #3; see /masters."
        );
        assert_eq!(
            Refusal::OwnSlot.to_string(),
            "Masters cannot book themselves."
        );
        assert_eq!(Refusal::InPast.to_string(), "That time is in the past.");
        assert_eq!(
            Refusal::TooSoon {
                min_notice_minutes: 60
            }
            .to_string(),
            "Bookings need at least 60 minutes' notice."
        );
        assert_eq!(
            Refusal::BeyondHorizon { horizon_days: 60 }.to_string(),
            "Bookings are taken at most 60 days ahead."
        );
    }

    #[test]
    fn every_failure_reason_but_internal_has_a_refusal() {
        let when = String::new();
        let refusals = [
            Refusal::MasterNotFound { master_id: 1 },
            Refusal::OwnSlot,
            Refusal::InPast,
            Refusal::TooSoon {
                min_notice_minutes: 1,
            },
            Refusal::BeyondHorizon { horizon_days: 1 },
            Refusal::NotOnGrid {
                master_id: 1,
                date: d(2030, 1, 1),
                slot_minutes: 60,
            },
            Refusal::Blocked {
                master_id: 1,
                when: when.clone(),
            },
            Refusal::Taken { master_id: 1, when },
            Refusal::LimitReached { active: 1 },
        ];
        let mut seen: Vec<&str> = refusals.iter().map(|r| r.reason().as_str()).collect();
        seen.push(FailureReason::Internal.as_str());
        seen.sort_unstable();
        seen.dedup();
        let mut all = FAILURE_REASONS.to_vec();
        all.sort_unstable();
        assert_eq!(seen, all);
    }

    #[test]
    fn the_label_enums_spell_exactly_the_metric_label_sets() {
        let reasons: Vec<&str> = FailureReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(reasons, FAILURE_REASONS);
        let by: Vec<&str> = CancelledBy::ALL.iter().map(|b| b.as_str()).collect();
        assert_eq!(by, CANCELLED_BY);
        let system: Vec<&str> = SystemFailureReason::ALL
            .iter()
            .map(|r| r.as_str())
            .collect();
        assert_eq!(system, SYSTEM_FAILURE_REASONS);
    }
}
