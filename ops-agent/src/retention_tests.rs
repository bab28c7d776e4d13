//! Unit tests of the retention selection: gaps, daylight-saving changes, leap years, ISO weeks
//! across a year boundary, and properties over random calendars.

use super::*;
use chrono_tz::Europe::Berlin;
use proptest::prelude::*;

fn policy(last: u32, daily: u32, weekly: u32, monthly: u32) -> RetentionPolicy {
    RetentionPolicy {
        keep_last: last,
        keep_daily: daily,
        keep_weekly: weekly,
        keep_monthly: monthly,
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn backups(times: &[&str]) -> Vec<(String, DateTime<Utc>)> {
    times.iter().map(|t| ((*t).to_owned(), at(t))).collect()
}

#[test]
fn the_newest_is_kept_even_by_an_all_zero_policy() {
    let b = backups(&["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]);
    let s = select(&b, &policy(0, 0, 0, 0), &Utc);
    assert_eq!(s.keep, vec!["2026-01-02T00:00:00Z"]);
    assert_eq!(s.delete, vec!["2026-01-01T00:00:00Z"]);
}

#[test]
fn an_empty_folder_selects_nothing() {
    assert_eq!(select(&[], &policy(7, 7, 4, 6), &Utc), Selection::default());
}

#[test]
fn daily_keeps_the_newest_of_each_day_and_counts_only_days_with_backups() {
    // Three backups on the 10th, none on the 11th–14th (a gap), two on the 15th.
    let b = backups(&[
        "2026-03-10T01:00:00Z",
        "2026-03-10T09:00:00Z",
        "2026-03-10T17:00:00Z",
        "2026-03-15T02:00:00Z",
        "2026-03-15T20:00:00Z",
        "2026-03-01T12:00:00Z",
    ]);
    let s = select(&b, &policy(0, 2, 0, 0), &Utc);
    assert_eq!(s.keep, vec!["2026-03-15T20:00:00Z", "2026-03-10T17:00:00Z"]);
    assert_eq!(s.delete.len(), 4);
}

#[test]
fn days_follow_the_local_calendar_across_the_autumn_dst_change() {
    // Berlin leaves summer time on 2026-10-25. 21:30Z on the 24th is 23:30 local (24th);
    // 22:30Z is 00:30 local on the 25th; 23:30Z is 00:30+1h... still the 25th.
    let b = backups(&[
        "2026-10-24T21:30:00Z",
        "2026-10-24T22:30:00Z",
        "2026-10-25T00:30:00Z",
        "2026-10-25T22:59:00Z",
        "2026-10-25T23:01:00Z",
    ]);
    let s = select(&b, &policy(0, 3, 0, 0), &Berlin);
    // Local days: 24th (21:30Z), 25th (22:30Z, 00:30Z, 22:59Z = 23:59 CET), 26th (23:01Z).
    assert_eq!(
        s.keep,
        vec![
            "2026-10-25T23:01:00Z",
            "2026-10-25T22:59:00Z",
            "2026-10-24T21:30:00Z"
        ]
    );
    // In UTC the same backups fall on two days only.
    let utc = select(&b, &policy(0, 3, 0, 0), &Utc);
    assert_eq!(
        utc.keep,
        vec!["2026-10-25T23:01:00Z", "2026-10-24T22:30:00Z"]
    );
}

#[test]
fn the_spring_dst_change_does_not_split_or_merge_a_day() {
    // 2026-03-29: 01:59 CET → 03:00 CEST. Both backups are on local day 29.
    let b = backups(&[
        "2026-03-29T00:30:00Z",
        "2026-03-29T01:30:00Z",
        "2026-03-28T23:01:00Z",
    ]);
    let s = select(&b, &policy(0, 5, 0, 0), &Berlin);
    assert_eq!(s.keep, vec!["2026-03-29T01:30:00Z"]);
    let s = select(&b, &policy(0, 5, 0, 0), &Utc);
    assert_eq!(s.keep, vec!["2026-03-29T01:30:00Z", "2026-03-28T23:01:00Z"]);
}

#[test]
fn february_29th_is_a_day_of_its_own_in_a_leap_year() {
    let b = backups(&[
        "2028-02-28T12:00:00Z",
        "2028-02-29T12:00:00Z",
        "2028-03-01T12:00:00Z",
    ]);
    let s = select(&b, &policy(0, 3, 0, 0), &Utc);
    assert_eq!(s.keep.len(), 3);
    let s = select(&b, &policy(0, 0, 0, 2), &Utc);
    assert_eq!(s.keep, vec!["2028-03-01T12:00:00Z", "2028-02-29T12:00:00Z"]);
}

#[test]
fn iso_weeks_span_the_new_year() {
    // 2026-12-31 (Thu) and 2027-01-03 (Sun) are both in ISO week 2026-W53.
    let b = backups(&[
        "2026-12-27T12:00:00Z", // Sun, W52
        "2026-12-31T12:00:00Z",
        "2027-01-03T12:00:00Z",
        "2027-01-04T12:00:00Z", // Mon, 2027-W01
    ]);
    let s = select(&b, &policy(0, 0, 3, 0), &Utc);
    assert_eq!(
        s.keep,
        vec![
            "2027-01-04T12:00:00Z",
            "2027-01-03T12:00:00Z",
            "2026-12-27T12:00:00Z"
        ]
    );
}

#[test]
fn the_default_policy_on_a_year_of_nightly_backups_keeps_a_bounded_set() {
    let start = at("2026-01-01T02:00:00Z");
    let b: Vec<_> = (0..366)
        .map(|d| {
            let t = start + chrono::Duration::days(d);
            (t.to_rfc3339(), t)
        })
        .collect();
    let s = select(&b, &policy(7, 7, 4, 6), &Berlin);
    // 7 newest days overlap daily; +3 older weeks; +5 older months (month ends).
    assert!(s.keep.len() <= 7 + 7 + 4 + 6);
    assert!(s.keep.len() >= 6 + 7);
    assert_eq!(s.keep.len() + s.delete.len(), 366);
}

fn arb_backups() -> impl Strategy<Value = Vec<(String, DateTime<Utc>)>> {
    // Up to 80 backups over ~3 years, with collisions and gaps.
    prop::collection::vec(1_700_000_000i64..1_800_000_000i64, 0..80).prop_map(|ts| {
        ts.into_iter()
            .enumerate()
            .map(|(i, t)| (format!("b{i:03}"), DateTime::from_timestamp(t, 0).unwrap()))
            .collect()
    })
}

proptest! {
    #[test]
    fn selection_invariants_hold(
        b in arb_backups(),
        last in 0u32..10, daily in 0u32..10, weekly in 0u32..6, monthly in 0u32..8,
    ) {
        let p = policy(last, daily, weekly, monthly);
        let s = select(&b, &p, &Berlin);
        // A partition of the input.
        prop_assert_eq!(s.keep.len() + s.delete.len(), b.len());
        prop_assert!(s.keep.iter().all(|k| !s.delete.contains(k)));
        let mut newest_first = b.clone();
        newest_first.sort_by(|a, c| (c.1, &c.0).cmp(&(a.1, &a.0)));
        if let Some(newest) = newest_first.first() {
            prop_assert!(s.keep.contains(&newest.0), "the newest backup is kept");
        }
        for (id, _) in newest_first.iter().take(last as usize) {
            prop_assert!(s.keep.contains(id), "the newest N are kept");
        }
        let bound = (last.max(1) + daily + weekly + monthly) as usize;
        prop_assert!(s.keep.len() <= bound.max(1));
        // The newest of each of the `daily` newest local days is kept.
        let mut seen = Vec::new();
        for (id, t) in &newest_first {
            let d = t.with_timezone(&Berlin).date_naive();
            if !seen.contains(&d) {
                if seen.len() < daily as usize {
                    prop_assert!(s.keep.contains(id));
                }
                seen.push(d);
            }
        }
        // Deterministic whatever the input order.
        let mut rev = b.clone();
        rev.reverse();
        prop_assert_eq!(select(&rev, &p, &Berlin), s);
    }
}
