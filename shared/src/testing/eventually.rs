//! Waiting in tests: one poll loop instead of a hand-written one per test.

use std::future::Future;
use std::time::Duration;

/// How often the condition is asked again; short, because a test waits for something that is
/// usually a few milliseconds away, and cheap conditions (a query, a GET) can afford it.
const POLL: Duration = Duration::from_millis(25);

/// Asks `condition` until it holds (`true`) or `timeout` has passed; returns whether it held.
///
/// The caller asserts on the result so that the failure message can show what it was waiting
/// for and what it saw instead:
/// `assert!(eventually(|| async { … }, Duration::from_secs(5)).await, "never …: {state:?}")`.
/// The clock is tokio's, so paused-time tests wait in virtual time.
pub async fn eventually<F, Fut>(mut condition: F, timeout: Duration) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if condition().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_condition_that_comes_true_is_seen_before_the_timeout() {
        let asked = AtomicU32::new(0);
        let held = eventually(
            || async { asked.fetch_add(1, Ordering::Relaxed) >= 2 },
            Duration::from_secs(5),
        )
        .await;
        assert!(held);
        assert_eq!(asked.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn a_condition_that_never_holds_gives_up_after_the_timeout() {
        let started = tokio::time::Instant::now();
        assert!(!eventually(|| async { false }, Duration::from_millis(200)).await);
        assert!(started.elapsed() >= Duration::from_millis(200));
    }
}
