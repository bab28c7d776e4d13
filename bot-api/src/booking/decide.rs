//! The booking decision, pure: given what the transaction read, is the requested local time a
//! slot this client may book, and if not, why not. No I/O and no clock — `now` is a fact.
//!
//! The decision has two steps because the transaction reads in two round trips and the
//! second read is *about the slot the first step chose*: [`decide`] turns the master's row
//! (schedule, time zone, slot length) and the request into a [`Slot`] or a [`Refusal`];
//! [`admit`] then judges that slot against the [`Occupancy`] read for exactly its range.
//! Refusals keep their order: master, self-booking, wall-clock gap, clock rules, grid,
//! blocked, taken, limit.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::refusal::Refusal;
use crate::config::BookingRules;
use crate::schedule::MasterDay;
use crate::slots::{self, LocalInstant, OffGrid};

/// What the client asked for: a master and a wall-clock time in the master's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// `masters.id` asked for.
    pub master_id: i64,
    /// Local date.
    pub date: NaiveDate,
    /// Local time.
    pub time: NaiveTime,
    /// When clocks go back, pick the later of the two equal wall-clock times (buttons only).
    pub later: bool,
}

/// What the first read of the transaction established.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The request.
    pub request: Request,
    /// The master with the hours of the request's weekday; `None` if there is no such row.
    pub master: Option<&'a MasterDay>,
    /// The client's `users.id`.
    pub client_user_id: i64,
    /// The moment the decision is made for.
    pub now: DateTime<Utc>,
}

/// What the second read established about the chosen slot's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Occupancy {
    /// The client's confirmed bookings that have not started yet.
    pub active_bookings: i64,
    /// A block of the master overlaps the slot.
    pub blocked: bool,
    /// A confirmed booking of the master overlaps the slot.
    pub taken: bool,
}

/// A slot of a master that the rules allow booking: `[start, end)` on the master's grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// `masters.id`.
    pub master_id: i64,
    /// The master's zone, for the texts.
    pub tz: Tz,
    /// First instant.
    pub start: DateTime<Utc>,
    /// First instant after it.
    pub end: DateTime<Utc>,
}

impl Refusal {
    /// The refusal when the insert found the slot taken after all (the constraint's verdict).
    /// Here rather than in `refusal.rs`, so the refusals need not know what a slot is.
    pub fn taken(slot: &Slot) -> Self {
        Self::Taken {
            master_id: slot.master_id,
            when: slot.when(),
        }
    }
}

impl Slot {
    /// `YYYY-MM-DD HH:MM` of the start in the master's zone.
    pub fn when(&self) -> String {
        slots::local_datetime(self.tz, self.start)
    }
}

/// Step one: the slot the request stands for, judged by the master's row and the clock rules.
pub fn decide(facts: &Facts<'_>, rules: &BookingRules) -> Result<Slot, Refusal> {
    let Request {
        master_id,
        date,
        time,
        later,
    } = facts.request;
    let m = match facts.master {
        Some(m) if m.active => m,
        _ => return Err(Refusal::MasterNotFound { master_id }),
    };
    if m.user_id == facts.client_user_id {
        return Err(Refusal::OwnSlot);
    }
    let tz = m.tz();
    let start = match slots::resolve(tz, date.and_time(time)) {
        LocalInstant::Unique(t) => t,
        LocalInstant::Ambiguous(earlier, second) => {
            if later {
                second
            } else {
                earlier
            }
        }
        LocalInstant::Skipped(_) => return Err(Refusal::SkippedTime { date, time, tz }),
    };
    check_time(facts.now, start, rules)?;
    slots::check_slot(m.window(date), m.slot_len(), start).map_err(|off| match off {
        OffGrid::OutsideHours => Refusal::OutsideHours {
            master_id,
            date,
            time,
        },
        OffGrid::NotOnGrid => Refusal::NotOnGrid {
            master_id,
            date,
            slot_minutes: m.slot_minutes,
        },
    })?;
    Ok(Slot {
        master_id,
        tz,
        start,
        end: start + Duration::minutes(i64::from(m.slot_len())),
    })
}

/// Step two: the slot against what overlaps it and the client's other bookings.
pub fn admit(slot: Slot, occupancy: &Occupancy, rules: &BookingRules) -> Result<Slot, Refusal> {
    if occupancy.blocked {
        return Err(Refusal::Blocked {
            master_id: slot.master_id,
            when: slot.when(),
        });
    }
    if occupancy.taken {
        return Err(Refusal::taken(&slot));
    }
    if occupancy.active_bookings >= i64::from(rules.max_active_bookings) {
        return Err(Refusal::LimitReached {
            active: occupancy.active_bookings,
        });
    }
    Ok(slot)
}

/// Refuses a start by the clock rules alone: past, minimum notice, horizon.
pub fn check_time(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    rules: &BookingRules,
) -> Result<(), Refusal> {
    if start <= now {
        return Err(Refusal::InPast);
    }
    if start < now + Duration::minutes(i64::from(rules.min_notice_minutes)) {
        return Err(Refusal::TooSoon {
            min_notice_minutes: rules.min_notice_minutes,
        });
    }
    if start > now + Duration::days(i64::from(rules.horizon_days)) {
        return Err(Refusal::BeyondHorizon {
            horizon_days: rules.horizon_days,
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "admit_tests.rs"]
mod admit_tests;
