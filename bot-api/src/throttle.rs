//! Flood control per user: a token bucket per Telegram user id, in memory (each bot-api
//! process limits what reaches it). Beyond the rate an update is recorded as processed with the
//! outcome `throttled`, in one statement, and the user gets one polite reply per throttled
//! stretch. Admins are exempt (the caller checks).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::FloodLimits;

/// Users tracked before idle (full) buckets are dropped.
const PRUNE_ABOVE: usize = 10_000;

/// The reply a throttled user gets once per throttled stretch.
pub const SLOW_DOWN: &str =
    "You are sending messages faster than I can answer. Please wait a minute, then try again.";

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    warned: bool,
}

/// What to do with one update of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the rate: handle it.
    Allow,
    /// Beyond the rate: record it as throttled; `reply` for the first one of a stretch.
    Throttle {
        /// Send the "slow down" reply.
        reply: bool,
    },
}

/// The per-user buckets.
#[derive(Debug)]
pub struct Throttle {
    /// The limits.
    pub limits: FloodLimits,
    buckets: Mutex<HashMap<i64, Bucket>>,
}

impl Throttle {
    /// Buckets for `limits`.
    pub fn new(limits: FloodLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token of `user`'s bucket now.
    pub fn check(&self, user: i64) -> Verdict {
        self.check_at(user, Instant::now())
    }

    /// Takes one token of `user`'s bucket at `now`. A rate of 0 turns flood control off.
    pub fn check_at(&self, user: i64, now: Instant) -> Verdict {
        let per_minute = self.limits.user_updates_per_minute;
        if per_minute == 0 {
            return Verdict::Allow;
        }
        let rate = f64::from(per_minute) / 60.0;
        let cap = f64::from(self.limits.user_burst.max(1));
        let refill = |b: &Bucket| {
            (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate).min(cap)
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| refill(b) < cap);
        }
        let b = buckets.entry(user).or_insert(Bucket {
            tokens: cap,
            at: now,
            warned: false,
        });
        b.tokens = refill(b);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            b.warned = false;
            Verdict::Allow
        } else {
            let reply = !b.warned;
            b.warned = true;
            Verdict::Throttle { reply }
        }
    }

    /// Gives back the token [`Throttle::check`] took for an update of `user` of which nothing
    /// was committed (the database was unavailable): its retry is the same message, so only
    /// the attempt that commits counts against the user's rate.
    pub fn refund(&self, user: i64) {
        if self.limits.user_updates_per_minute == 0 {
            return;
        }
        let cap = f64::from(self.limits.user_burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = buckets.get_mut(&user) {
            b.tokens = (b.tokens + 1.0).min(cap);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn throttle(per_minute: u32, burst: u32) -> Throttle {
        Throttle::new(FloodLimits {
            user_updates_per_minute: per_minute,
            user_burst: burst,
            ..FloodLimits::default()
        })
    }

    #[test]
    fn a_burst_passes_then_one_reply_per_throttled_stretch_then_the_rate_refills() {
        let t = throttle(20, 10);
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(t.check_at(1, t0), Verdict::Allow);
        }
        assert_eq!(t.check_at(1, t0), Verdict::Throttle { reply: true });
        assert_eq!(t.check_at(1, t0), Verdict::Throttle { reply: false });
        // Another user has their own bucket.
        assert_eq!(t.check_at(2, t0), Verdict::Allow);
        // 20 a minute: one token every 3 s.
        let t1 = t0 + Duration::from_secs(3);
        assert_eq!(t.check_at(1, t1), Verdict::Allow);
        assert_eq!(t.check_at(1, t1), Verdict::Throttle { reply: true });
        let later = t0 + Duration::from_secs(600);
        for _ in 0..10 {
            assert_eq!(t.check_at(1, later), Verdict::Allow);
        }
    }

    #[test]
    fn a_refunded_token_can_be_taken_again_but_never_beyond_the_burst() {
        let t = throttle(20, 2);
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(t.check_at(1, t0), Verdict::Allow);
            t.refund(1);
        }
        assert_eq!(t.check_at(1, t0), Verdict::Allow);
        assert_eq!(t.check_at(1, t0), Verdict::Allow);
        assert_eq!(t.check_at(1, t0), Verdict::Throttle { reply: true });
        t.refund(1);
        t.refund(1);
        t.refund(1);
        assert_eq!(t.check_at(1, t0), Verdict::Allow);
        assert_eq!(t.check_at(1, t0), Verdict::Allow);
        assert_eq!(t.check_at(1, t0), Verdict::Throttle { reply: true });
    }

    #[test]
    fn a_rate_of_zero_is_off() {
        let t = throttle(0, 1);
        let now = Instant::now();
        for _ in 0..100 {
            assert_eq!(t.check_at(1, now), Verdict::Allow);
        }
    }
}
