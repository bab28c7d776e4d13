//! Unit tests of the second step of the booking decision, `admit`: a decided slot against
//! what was read for its range — blocked before taken before the client's limit. The first
//! step, `decide`, and the shared fixtures are tested in `decide_tests.rs`.
#![allow(clippy::unwrap_used)]

use super::tests::{monday_ten, reason};
use super::*;

fn occupancy(active_bookings: i64, blocked: bool, taken: bool) -> Occupancy {
    Occupancy {
        active_bookings,
        blocked,
        taken,
    }
}

fn admit_with(o: Occupancy) -> Result<Slot, Refusal> {
    admit(monday_ten().unwrap(), &o, &BookingRules::default())
}

#[test]
fn a_free_slot_below_the_limit_is_admitted_unchanged() {
    assert_eq!(admit_with(occupancy(4, false, false)), monday_ten());
}

#[test]
fn a_blocked_slot_is_refused_before_a_taken_one_and_before_the_limit() {
    let r = admit_with(occupancy(5, true, true));
    assert_eq!(reason(r.clone()), "blocked");
    assert_eq!(
        r.unwrap_err().to_string(),
        "Master #7 is not available at 2030-03-04 10:00."
    );
}

#[test]
fn a_taken_slot_is_refused_before_the_limit() {
    let r = admit_with(occupancy(5, false, true));
    assert_eq!(r, Err(Refusal::taken(&monday_ten().unwrap())));
    assert_eq!(
        r.unwrap_err().to_string(),
        "2030-03-04 10:00 with master #7 is already taken."
    );
}

#[test]
fn holding_the_maximum_of_upcoming_bookings_reaches_the_limit() {
    let r = admit_with(occupancy(5, false, false));
    assert_eq!(reason(r.clone()), "limit_reached");
    assert_eq!(
        r.unwrap_err().to_string(),
        "You already have 5 upcoming bookings, the most one client may hold."
    );
}
