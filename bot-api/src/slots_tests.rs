//! Unit and property tests of the slot arithmetic, including both Berlin DST days of 2030.
#![allow(clippy::unwrap_used)]

use super::*;
use chrono_tz::Europe::Berlin;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn all_day(date: NaiveDate) -> Vec<DateTime<Utc>> {
    let w = working_window(date, Berlin, (t(0, 0), t(23, 59))).unwrap();
    free_slots(w, 60, &[])
}

#[test]
fn an_ordinary_day_has_23_hourly_slots_before_23_59() {
    assert_eq!(all_day(d(2030, 3, 30)).len(), 23);
}

#[test]
fn the_spring_forward_day_has_one_slot_fewer_and_skips_two_oclock() {
    let slots = all_day(d(2030, 3, 31));
    assert_eq!(slots.len(), 22);
    let labels: Vec<String> = slots.iter().map(|s| local_time(Berlin, *s)).collect();
    assert!(labels.contains(&"01:00".to_string()));
    assert!(!labels.iter().any(|l| l.starts_with("02:")));
    assert!(labels.contains(&"03:00".to_string()));
}

#[test]
fn the_fall_back_day_has_one_slot_more_and_two_oclock_twice() {
    let slots = all_day(d(2030, 10, 27));
    assert_eq!(slots.len(), 24);
    let twos = slots
        .iter()
        .filter(|s| local_time(Berlin, **s).starts_with("02:00"))
        .count();
    assert_eq!(twos, 2);
}

#[test]
fn a_skipped_local_time_resolves_to_the_end_of_the_gap() {
    let naive = d(2030, 3, 31).and_time(t(2, 30));
    let LocalInstant::Skipped(after) = resolve(Berlin, naive) else {
        panic!("02:30 does not exist that day");
    };
    assert_eq!(local_time(Berlin, after), "03:00");
    assert!(matches!(
        resolve(Berlin, d(2030, 10, 27).and_time(t(2, 30))),
        LocalInstant::Ambiguous(..)
    ));
}

#[test]
fn day_bounds_span_23_and_25_hours_on_dst_days() {
    let (a, b) = day_bounds(d(2030, 3, 31), Berlin);
    assert_eq!((b - a).num_hours(), 23);
    let (a, b) = day_bounds(d(2030, 10, 27), Berlin);
    assert_eq!((b - a).num_hours(), 25);
}

#[test]
fn check_slot_tells_outside_hours_from_off_grid() {
    let w = working_window(d(2030, 5, 6), Berlin, (t(9, 0), t(17, 0)));
    let at = |h, m| instant(Berlin, d(2030, 5, 6).and_time(t(h, m)));
    assert_eq!(check_slot(w, 60, at(9, 0)), Ok(()));
    assert_eq!(check_slot(w, 60, at(16, 0)), Ok(()));
    assert_eq!(check_slot(w, 60, at(16, 30)), Err(OffGrid::OutsideHours));
    assert_eq!(check_slot(w, 60, at(9, 30)), Err(OffGrid::NotOnGrid));
    assert_eq!(check_slot(w, 60, at(8, 0)), Err(OffGrid::OutsideHours));
    assert_eq!(check_slot(None, 60, at(9, 0)), Err(OffGrid::OutsideHours));
}

#[test]
fn busy_intervals_remove_exactly_the_slots_they_touch() {
    let date = d(2030, 5, 6);
    let w = working_window(date, Berlin, (t(9, 0), t(13, 0))).unwrap();
    let at = |h, m| instant(Berlin, date.and_time(t(h, m)));
    let busy = [(at(10, 30), at(11, 0)), (at(12, 0), at(13, 0))];
    let free: Vec<String> = free_slots(w, 60, &busy)
        .iter()
        .map(|s| local_time(Berlin, *s))
        .collect();
    assert_eq!(free, ["09:00", "11:00"]);
}

proptest! {
    #[test]
    fn free_slots_stay_inside_hours_on_the_grid_and_off_busy_intervals(
        day_offset in 0i64..800,
        start_min in 0u32..1380,
        len_min in 1u32..1439,
        slot in prop::sample::select(vec![15u32, 20, 30, 45, 60, 90, 120]),
        busy in prop::collection::vec((0i64..1440, 1i64..300), 0..6),
        zone in prop::sample::select(vec![
            chrono_tz::Europe::Berlin, chrono_tz::America::New_York,
            chrono_tz::Australia::Lord_Howe, chrono_tz::Asia::Kolkata, chrono_tz::UTC,
        ]),
    ) {
        let date = d(2030, 1, 1) + Duration::days(day_offset);
        let end_min = (start_min + len_min).min(1439);
        prop_assume!(end_min > start_min);
        let hours = (
            NaiveTime::MIN + Duration::minutes(i64::from(start_min)),
            NaiveTime::MIN + Duration::minutes(i64::from(end_min)),
        );
        let Some(w) = working_window(date, zone, hours) else { return Ok(()); };
        let day0 = day_bounds(date, zone).0;
        let busy: Vec<Interval> = busy
            .iter()
            .map(|(s, l)| (day0 + Duration::minutes(*s), day0 + Duration::minutes(s + l)))
            .collect();
        let len = Duration::minutes(i64::from(slot));
        let free = free_slots(w, slot, &busy);
        for s in &free {
            prop_assert!(*s >= w.0 && *s + len <= w.1);
            prop_assert!(check_slot(Some(w), slot, *s).is_ok());
            prop_assert!(busy.iter().all(|b| !overlaps((*s, *s + len), *b)));
        }
        for pair in free.windows(2) {
            prop_assert!(pair[0] + len <= pair[1]);
        }
    }
}
