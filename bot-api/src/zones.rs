//! The time zone of each master as last read, so a day view can read just the bookings of
//! that day in one statement: the day's bounds depend on the zone, which the same statement
//! reads. Every read returns the zone again, so a stale entry is noticed and corrected (the
//! view then reads once more); a master not seen yet is read over a range that covers the day
//! in any zone. Bounded: the map is emptied when it reaches [`CAPACITY`].

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::slots;

/// At most this many masters remembered.
pub const CAPACITY: usize = 4096;

fn map() -> &'static Mutex<HashMap<i64, Tz>> {
    static ZONES: OnceLock<Mutex<HashMap<i64, Tz>>> = OnceLock::new();
    ZONES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The zone last read for `master_id`.
pub fn known(master_id: i64) -> Option<Tz> {
    map().lock().ok()?.get(&master_id).copied()
}

/// Remembers the zone just read for `master_id`.
pub fn remember(master_id: i64, tz: Tz) {
    if let Ok(mut m) = map().lock() {
        if m.len() >= CAPACITY && !m.contains_key(&master_id) {
            m.clear();
        }
        m.insert(master_id, tz);
    }
}

/// The instants whose blocks and bookings a view of `date` (today when `None`) must read: the
/// day's bounds in `zone`, or, with no zone known, a range covering that day in every zone
/// (UTC−12 to UTC+14, and "today" anywhere on earth when no date is given).
pub fn busy_range(
    date: Option<NaiveDate>,
    zone: Option<Tz>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    if let Some(tz) = zone {
        return slots::day_bounds(date.unwrap_or_else(|| slots::today(tz, now)), tz);
    }
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
    match date {
        Some(d) => (
            midnight(d) - Duration::hours(14),
            midnight(d) + Duration::hours(24 + 12),
        ),
        None => {
            let d = now.date_naive();
            (
                midnight(d) - Duration::hours(24 + 14),
                midnight(d) + Duration::hours(48 + 12),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Every zone chrono-tz knows, on days around both clock changes and the date line.
    #[test]
    fn the_range_without_a_zone_covers_the_day_in_every_zone() {
        let nows = [
            Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 10, 25, 23, 59, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 31, 11, 0, 0).unwrap(),
        ];
        for now in nows {
            let dates = [now.date_naive(), now.date_naive() + Duration::days(1)];
            for tz in chrono_tz::TZ_VARIANTS {
                for date in dates {
                    let (from, to) = busy_range(Some(date), None, now);
                    let (a, b) = slots::day_bounds(date, tz);
                    assert!(
                        from <= a && b <= to,
                        "{tz} {date}: {a}..{b} not in {from}..{to}"
                    );
                }
                let (from, to) = busy_range(None, None, now);
                let (a, b) = slots::day_bounds(slots::today(tz, now), tz);
                assert!(
                    from <= a && b <= to,
                    "{tz} today: {a}..{b} not in {from}..{to}"
                );
            }
        }
    }

    #[test]
    fn with_a_zone_the_range_is_that_day() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap();
        let tz = chrono_tz::Europe::Berlin;
        let date = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(
            busy_range(Some(date), Some(tz), now),
            slots::day_bounds(date, tz)
        );
        // 23:30 UTC is already the 2nd in Berlin.
        assert_eq!(busy_range(None, Some(tz), now), slots::day_bounds(date, tz));
    }

    #[test]
    fn the_map_remembers_the_last_zone_and_stays_bounded() {
        remember(-1, chrono_tz::Asia::Tokyo);
        remember(-1, chrono_tz::Europe::Berlin);
        assert_eq!(known(-1), Some(chrono_tz::Europe::Berlin));
        for id in 0..(CAPACITY as i64 + 10) {
            remember(-10_000 - id, Tz::UTC);
        }
        assert!(map().lock().unwrap().len() <= CAPACITY);
    }
}
