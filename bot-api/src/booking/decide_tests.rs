//! Unit and property tests of the booking decision: every refusal `decide` gives, their
//! order, the rule boundaries, and both Berlin DST days of 2030 (31 March forward, 27 October
//! back), plus the fixtures `admit_tests.rs` shares. The refusals' labels and texts are tested
//! in `refusal.rs`.
#![allow(clippy::unwrap_used)]

use super::*;
use chrono::TimeZone;
use chrono_tz::Europe::Berlin;
use proptest::prelude::*;

const MASTER: i64 = 7;
const MASTER_USER: i64 = 70;
const CLIENT_USER: i64 = 10;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn utc(y: i32, mo: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, day, h, mi, 0).unwrap()
}

/// A Berlin master with hourly slots working `hours` on every weekday asked about.
fn master(hours: Option<(NaiveTime, NaiveTime)>) -> MasterDay {
    MasterDay {
        id: MASTER,
        display_name: "Anna".into(),
        time_zone: "Europe/Berlin".into(),
        slot_minutes: 60,
        active: true,
        user_id: MASTER_USER,
        chat_id: 700,
        starts_local: hours.map(|h| h.0),
        ends_local: hours.map(|h| h.1),
    }
}

fn nine_to_six() -> MasterDay {
    master(Some((t(9, 0), t(18, 0))))
}

fn request(date: NaiveDate, time: NaiveTime) -> Request {
    Request {
        master_id: MASTER,
        date,
        time,
        later: false,
    }
}

/// Decides `req` for the client, with `master` read and the clock at `now`.
fn decide_at(m: Option<&MasterDay>, req: Request, now: DateTime<Utc>) -> Result<Slot, Refusal> {
    let facts = Facts {
        request: req,
        master: m,
        client_user_id: CLIENT_USER,
        now,
    };
    decide(&facts, &BookingRules::default())
}

/// Monday 4 March 2030, 10:00 in Berlin (09:00 UTC), decided a week before.
pub(super) fn monday_ten() -> Result<Slot, Refusal> {
    let m = nine_to_six();
    decide_at(
        Some(&m),
        request(d(2030, 3, 4), t(10, 0)),
        utc(2030, 2, 25, 9, 0),
    )
}

pub(super) fn reason(r: Result<Slot, Refusal>) -> &'static str {
    r.unwrap_err().reason().as_str()
}

#[test]
fn a_slot_inside_the_hours_is_decided_with_its_end_one_slot_later() {
    let slot = monday_ten().unwrap();
    assert_eq!(slot.start, utc(2030, 3, 4, 9, 0));
    assert_eq!(slot.end, utc(2030, 3, 4, 10, 0));
    assert_eq!((slot.master_id, slot.tz), (MASTER, Berlin));
    assert_eq!(slot.when(), "2030-03-04 10:00");
}

#[test]
fn a_missing_master_is_master_not_found() {
    let r = decide_at(
        None,
        request(d(2030, 3, 4), t(10, 0)),
        utc(2030, 2, 25, 9, 0),
    );
    assert_eq!(r, Err(Refusal::MasterNotFound { master_id: MASTER }));
    assert_eq!(reason(r), "master_not_found");
}

#[test]
fn a_deactivated_master_is_master_not_found_even_for_themselves() {
    let mut m = nine_to_six();
    m.active = false;
    m.user_id = CLIENT_USER;
    let r = decide_at(
        Some(&m),
        request(d(2030, 3, 4), t(10, 0)),
        utc(2030, 2, 25, 9, 0),
    );
    assert_eq!(reason(r), "master_not_found");
}

#[test]
fn a_master_booking_their_own_slot_is_invalid_input() {
    let mut m = nine_to_six();
    m.user_id = CLIENT_USER;
    let r = decide_at(
        Some(&m),
        request(d(2030, 3, 4), t(10, 0)),
        utc(2030, 2, 25, 9, 0),
    );
    assert_eq!(r, Err(Refusal::OwnSlot));
    assert_eq!(reason(r), "invalid_input");
}

#[test]
fn a_time_the_clocks_skip_in_spring_is_invalid_input_naming_the_zone() {
    let m = master(Some((t(0, 0), t(23, 59))));
    let r = decide_at(
        Some(&m),
        request(d(2030, 3, 31), t(2, 30)),
        utc(2030, 3, 20, 0, 0),
    );
    let refusal = r.clone().unwrap_err();
    assert_eq!(reason(r), "invalid_input");
    assert_eq!(
        refusal.to_string(),
        "02:30 does not exist on 2030-03-31 in Europe/Berlin: the clocks jump forward then."
    );
}

#[test]
fn the_spring_forward_day_grid_runs_in_absolute_time_across_the_gap() {
    // 01:00 CET is 00:00 UTC; one hour later it is 03:00 CEST.
    let m = master(Some((t(1, 0), t(5, 0))));
    let now = utc(2030, 3, 20, 0, 0);
    let three = decide_at(Some(&m), request(d(2030, 3, 31), t(3, 0)), now).unwrap();
    assert_eq!(three.start, utc(2030, 3, 31, 1, 0));
    let four = decide_at(Some(&m), request(d(2030, 3, 31), t(4, 0)), now).unwrap();
    assert_eq!(four.start, three.end);
}

#[test]
fn an_ambiguous_autumn_time_is_the_earlier_instant_unless_the_later_is_asked_for() {
    let m = master(Some((t(0, 0), t(23, 59))));
    let now = utc(2030, 10, 20, 0, 0);
    let mut req = request(d(2030, 10, 27), t(2, 0));
    let earlier = decide_at(Some(&m), req, now).unwrap();
    req.later = true;
    let later = decide_at(Some(&m), req, now).unwrap();
    assert_eq!(earlier.start, utc(2030, 10, 27, 0, 0));
    assert_eq!(later.start, utc(2030, 10, 27, 1, 0));
    assert_eq!(earlier.end, later.start);
    assert_eq!(earlier.when(), "2030-10-27 02:00 CEST");
    assert_eq!(later.when(), "2030-10-27 02:00 CET");
}

#[test]
fn a_start_at_or_before_now_is_in_the_past() {
    let m = nine_to_six();
    let req = request(d(2030, 3, 4), t(10, 0));
    assert_eq!(
        decide_at(Some(&m), req, utc(2030, 3, 4, 9, 0)),
        Err(Refusal::InPast)
    );
    assert_eq!(
        reason(decide_at(Some(&m), req, utc(2030, 3, 5, 0, 0))),
        "in_past"
    );
}

#[test]
fn less_than_the_minimum_notice_is_too_soon_and_exactly_the_notice_is_fine() {
    let m = nine_to_six();
    let req = request(d(2030, 3, 4), t(10, 0));
    let r = decide_at(Some(&m), req, utc(2030, 3, 4, 8, 1));
    assert_eq!(
        r,
        Err(Refusal::TooSoon {
            min_notice_minutes: 60
        })
    );
    assert_eq!(reason(r), "too_soon");
    assert!(decide_at(Some(&m), req, utc(2030, 3, 4, 8, 0)).is_ok());
}

#[test]
fn beyond_the_horizon_is_refused_and_exactly_the_horizon_is_fine() {
    let m = nine_to_six();
    let req = request(d(2030, 3, 4), t(10, 0));
    assert!(decide_at(Some(&m), req, utc(2030, 1, 3, 9, 0)).is_ok());
    let r = decide_at(Some(&m), req, utc(2030, 1, 3, 8, 59));
    assert_eq!(r, Err(Refusal::BeyondHorizon { horizon_days: 60 }));
    assert_eq!(reason(r), "beyond_horizon");
}

#[test]
fn the_clock_rules_are_checked_before_the_working_hours() {
    let m = master(None);
    let r = decide_at(
        Some(&m),
        request(d(2030, 3, 4), t(10, 0)),
        utc(2030, 3, 5, 0, 0),
    );
    assert_eq!(reason(r), "in_past");
}

#[test]
fn a_day_without_hours_is_outside_hours() {
    let m = master(None);
    let r = decide_at(
        Some(&m),
        request(d(2030, 3, 4), t(10, 0)),
        utc(2030, 2, 25, 9, 0),
    );
    assert_eq!(reason(r.clone()), "outside_hours");
    assert_eq!(
        r.unwrap_err().to_string(),
        "10:00 on 2030-03-04 is outside master #7's working hours."
    );
}

#[test]
fn before_opening_or_ending_after_closing_is_outside_hours() {
    let m = nine_to_six();
    let now = utc(2030, 2, 25, 9, 0);
    for time in [t(8, 0), t(17, 30), t(18, 0)] {
        let r = decide_at(Some(&m), request(d(2030, 3, 4), time), now);
        assert!(matches!(r, Err(Refusal::OutsideHours { .. })), "{time}");
    }
    assert!(decide_at(Some(&m), request(d(2030, 3, 4), t(17, 0)), now).is_ok());
}

#[test]
fn a_start_between_grid_points_is_outside_hours_with_a_pointer_to_the_slots() {
    let m = nine_to_six();
    let r = decide_at(
        Some(&m),
        request(d(2030, 3, 4), t(10, 30)),
        utc(2030, 2, 25, 9, 0),
    );
    assert_eq!(reason(r.clone()), "outside_hours");
    assert_eq!(
        r.unwrap_err().to_string(),
        "Slots with master #7 are 60 minutes long and start on the grid; see /slots 7 2030-03-04."
    );
}

proptest! {
    /// Whatever the time asked for and the clock, a decided slot is one whole grid slot inside
    /// the hours, with at least the notice and at most the horizon ahead.
    #[test]
    fn a_decided_slot_is_always_a_whole_grid_slot_inside_the_rules(
        day in 0u32..28, minute in 0u32..1440, ahead in 0i64..(70 * 1440),
    ) {
        let m = nine_to_six();
        let date = d(2030, 3, 1 + day);
        let now = utc(2030, 3, 1, 0, 0) - Duration::minutes(ahead);
        let req = request(date, t(minute / 60, minute % 60));
        if let Ok(slot) = decide_at(Some(&m), req, now) {
            let (open, close) = m.window(date).unwrap();
            prop_assert!(open <= slot.start && slot.end <= close);
            prop_assert_eq!((slot.start - open).num_minutes() % 60, 0);
            prop_assert_eq!((slot.end - slot.start).num_minutes(), 60);
            prop_assert!(slot.start >= now + Duration::minutes(60));
            prop_assert!(slot.start <= now + Duration::days(60));
        }
    }
}
