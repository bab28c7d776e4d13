//! Pure slot arithmetic, no I/O: free slots = working hours − blocks − bookings, on the
//! master's grid, in the master's IANA zone. Working hours are local wall-clock times turned
//! into absolute instants per day, and the grid steps in absolute time from the start of the
//! hours, so a 23-hour or 25-hour day simply has one slot fewer or more. A local time that does
//! not exist (spring forward) resolves to the first instant after the gap; an ambiguous one
//! (fall back) to the earlier instant.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A half-open interval `[start, end)` of instants.
pub type Interval = (DateTime<Utc>, DateTime<Utc>);

/// How a local wall-clock time maps to instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalInstant {
    /// Exactly one instant.
    Unique(DateTime<Utc>),
    /// Clocks went back: two instants (earlier, later).
    Ambiguous(DateTime<Utc>, DateTime<Utc>),
    /// Clocks went forward over it: the first instant after the gap.
    Skipped(DateTime<Utc>),
}

/// Maps `naive` in `tz` to instants.
pub fn resolve(tz: Tz, naive: NaiveDateTime) -> LocalInstant {
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => LocalInstant::Unique(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(a, b) => {
            LocalInstant::Ambiguous(a.with_timezone(&Utc), b.with_timezone(&Utc))
        }
        chrono::LocalResult::None => {
            // Gaps are at most a day (Samoa 2011); find the first valid wall-clock minute.
            let after = (1..=2 * 1440)
                .find_map(|m| {
                    tz.from_local_datetime(&(naive + Duration::minutes(m)))
                        .earliest()
                })
                .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc));
            LocalInstant::Skipped(after)
        }
    }
}

/// The instant a local time stands for, leniently (earlier of two, or just after a gap).
pub fn instant(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    match resolve(tz, naive) {
        LocalInstant::Unique(t) | LocalInstant::Ambiguous(t, _) | LocalInstant::Skipped(t) => t,
    }
}

/// The whole local day `date` in `tz`, as instants.
pub fn day_bounds(date: NaiveDate, tz: Tz) -> Interval {
    let next = date.succ_opt().unwrap_or(date);
    (
        instant(tz, date.and_time(NaiveTime::MIN)),
        instant(tz, next.and_time(NaiveTime::MIN)),
    )
}

/// The working window of `date` for local `hours`; `None` if nothing is left of it.
pub fn working_window(date: NaiveDate, tz: Tz, hours: (NaiveTime, NaiveTime)) -> Option<Interval> {
    let start = instant(tz, date.and_time(hours.0));
    let end = instant(tz, date.and_time(hours.1));
    (end > start).then_some((start, end))
}

/// Whether two half-open intervals share an instant.
pub fn overlaps(a: Interval, b: Interval) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Every grid slot start of `window` (slots that end inside it).
pub fn grid(window: Interval, slot_minutes: u32) -> impl Iterator<Item = DateTime<Utc>> {
    let step = Duration::minutes(i64::from(slot_minutes.max(1)));
    let (start, end) = window;
    (0..)
        .map(move |i| start + step * i)
        .take_while(move |s| *s + step <= end)
}

/// Free slot starts of `window`: grid slots that overlap no busy interval.
pub fn free_slots(window: Interval, slot_minutes: u32, busy: &[Interval]) -> Vec<DateTime<Utc>> {
    let len = Duration::minutes(i64::from(slot_minutes.max(1)));
    grid(window, slot_minutes)
        .filter(|s| !busy.iter().any(|b| overlaps((*s, *s + len), *b)))
        .collect()
}

/// Why a start is not a slot of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffGrid {
    /// No hours that day, or outside them.
    OutsideHours,
    /// Inside the hours but not at a slot boundary.
    NotOnGrid,
}

/// Checks that `start` is a grid slot of `window`.
pub fn check_slot(
    window: Option<Interval>,
    slot_minutes: u32,
    start: DateTime<Utc>,
) -> Result<(), OffGrid> {
    let Some((from, to)) = window else {
        return Err(OffGrid::OutsideHours);
    };
    let len = Duration::minutes(i64::from(slot_minutes.max(1)));
    if start < from || start + len > to {
        return Err(OffGrid::OutsideHours);
    }
    if (start - from).num_seconds() % len.num_seconds() != 0 {
        return Err(OffGrid::NotOnGrid);
    }
    Ok(())
}

/// `HH:MM` of `t` in `tz`, with the zone abbreviation when that wall-clock time is ambiguous.
pub fn local_time(tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    match resolve(tz, local.naive_local()) {
        LocalInstant::Ambiguous(..) => local.format("%H:%M %Z").to_string(),
        _ => local.format("%H:%M").to_string(),
    }
}

/// `YYYY-MM-DD HH:MM` of `t` in `tz`.
pub fn local_datetime(tz: Tz, t: DateTime<Utc>) -> String {
    format!(
        "{} {}",
        t.with_timezone(&tz).format("%Y-%m-%d"),
        local_time(tz, t)
    )
}

/// Today's date in `tz`.
pub fn today(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

#[cfg(test)]
#[path = "slots_tests.rs"]
mod tests;
