//! The per-alert state machine, as Prometheus runs it: inactive → pending (while the condition
//! has held for less than the alert's `for`) → firing → resolved (back to inactive).
//!
//! [`step`] is a pure function of the previous state, whether the condition holds now, the `for`
//! duration and the time; it returns the new state and what changed, so it is tested without
//! clocks or I/O.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where one alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertState {
    /// The condition does not hold.
    #[default]
    Inactive,
    /// The condition holds since `since`, not yet for the alert's `for` duration.
    Pending {
        /// When the condition started to hold.
        since: DateTime<Utc>,
    },
    /// The condition has held for at least `for`; notifications go out.
    Firing {
        /// When the condition started to hold (the alert's `startsAt`).
        since: DateTime<Utc>,
    },
}

/// What one evaluation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Nothing visible changed.
    None,
    /// Inactive → pending.
    Pending,
    /// The alert started firing (from pending, or directly when `for` is zero).
    Fired {
        /// When the condition started to hold.
        since: DateTime<Utc>,
    },
    /// Firing → inactive.
    Resolved {
        /// When the condition started to hold.
        since: DateTime<Utc>,
    },
    /// Pending → inactive without ever firing (no notification, as in Prometheus).
    Cleared,
}

/// One evaluation: the new state and the transition it took.
pub fn step(
    state: AlertState,
    active: bool,
    for_duration: Duration,
    now: DateTime<Utc>,
) -> (AlertState, Transition) {
    let held_long_enough = |since: DateTime<Utc>| {
        chrono::Duration::from_std(for_duration)
            .is_ok_and(|f| now.signed_duration_since(since) >= f)
    };
    match (state, active) {
        (AlertState::Inactive, false) => (state, Transition::None),
        (AlertState::Inactive, true) => {
            if for_duration.is_zero() {
                (
                    AlertState::Firing { since: now },
                    Transition::Fired { since: now },
                )
            } else {
                (AlertState::Pending { since: now }, Transition::Pending)
            }
        }
        (AlertState::Pending { since }, true) if held_long_enough(since) => {
            (AlertState::Firing { since }, Transition::Fired { since })
        }
        (AlertState::Pending { .. }, true) => (state, Transition::None),
        (AlertState::Pending { .. }, false) => (AlertState::Inactive, Transition::Cleared),
        (AlertState::Firing { .. }, true) => (state, Transition::None),
        (AlertState::Firing { since }, false) => {
            (AlertState::Inactive, Transition::Resolved { since })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    const TWO_MIN: Duration = Duration::from_secs(120);

    #[test]
    fn a_condition_goes_pending_then_fires_after_for_then_resolves() {
        let (s, tr) = step(AlertState::Inactive, true, TWO_MIN, t(0));
        assert_eq!(
            (s, tr),
            (AlertState::Pending { since: t(0) }, Transition::Pending)
        );
        let (s, tr) = step(s, true, TWO_MIN, t(119));
        assert_eq!(
            (s, tr),
            (AlertState::Pending { since: t(0) }, Transition::None)
        );
        let (s, tr) = step(s, true, TWO_MIN, t(120));
        assert_eq!(
            (s, tr),
            (
                AlertState::Firing { since: t(0) },
                Transition::Fired { since: t(0) }
            )
        );
        let (s, tr) = step(s, true, TWO_MIN, t(500));
        assert_eq!(
            (s, tr),
            (AlertState::Firing { since: t(0) }, Transition::None)
        );
        let (s, tr) = step(s, false, TWO_MIN, t(530));
        assert_eq!(
            (s, tr),
            (AlertState::Inactive, Transition::Resolved { since: t(0) })
        );
    }

    #[test]
    fn a_blip_shorter_than_for_never_fires() {
        let (s, _) = step(AlertState::Inactive, true, TWO_MIN, t(0));
        let (s, tr) = step(s, false, TWO_MIN, t(60));
        assert_eq!((s, tr), (AlertState::Inactive, Transition::Cleared));
        // A new episode starts its own clock.
        let (s, _) = step(s, true, TWO_MIN, t(90));
        let (_, tr) = step(s, true, TWO_MIN, t(200));
        assert_eq!(tr, Transition::None);
    }

    #[test]
    fn zero_for_fires_on_the_first_evaluation() {
        let (s, tr) = step(AlertState::Inactive, true, Duration::ZERO, t(7));
        assert_eq!(
            (s, tr),
            (
                AlertState::Firing { since: t(7) },
                Transition::Fired { since: t(7) }
            )
        );
    }

    proptest! {
        /// Over any sequence of observations: firing only after the condition held for `for`
        /// without a break, every Fired is later matched by at most one Resolved, and the state
        /// is Inactive exactly when the last observation was false.
        #[test]
        fn fires_only_after_an_unbroken_for(obs in proptest::collection::vec(any::<bool>(), 0..60),
                                            for_s in 0u64..10) {
            let for_d = Duration::from_secs(for_s);
            let mut state = AlertState::Inactive;
            let mut run_start: Option<i64> = None;
            let mut firing = false;
            for (i, &active) in obs.iter().enumerate() {
                let now = i as i64;
                if active { run_start.get_or_insert(now); } else { run_start = None; }
                let (s, tr) = step(state, active, for_d, t(now));
                match tr {
                    Transition::Fired { since } => {
                        prop_assert!(!firing);
                        prop_assert_eq!(Some(since.timestamp()), run_start);
                        prop_assert!(now - since.timestamp() >= for_s as i64);
                        firing = true;
                    }
                    Transition::Resolved { .. } => { prop_assert!(firing); firing = false; }
                    _ => {}
                }
                prop_assert_eq!(matches!(s, AlertState::Inactive), !active);
                prop_assert_eq!(matches!(s, AlertState::Firing { .. }), firing);
                if let Some(start) = run_start {
                    prop_assert_eq!(firing, now - start >= for_s as i64);
                }
                state = s;
            }
        }
    }
}
