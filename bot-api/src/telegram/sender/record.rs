//! Recording what Telegram answered on the claimed row. Telegram has already acted on the call,
//! so a result lost to a database outage is not simply an error to return: the row would stay
//! leased, be claimed again once its lease expires, and a message Telegram accepted would be
//! delivered a second time. The record is retried while the lease holds.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::events::service::DatabaseUnavailable;

/// First wait before recording again; doubled each time up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Runs `write` (one statement recording the result) until it succeeds, retrying any database
/// error until `lease` has passed since the claim (`claimed_at`): after that another sender may
/// have claimed the row again, and the last error is returned (the row stays pending, as
/// before).
pub(super) async fn record<F, Fut, T>(
    claimed_at: Instant,
    lease: Duration,
    mut write: F,
) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let deadline = claimed_at + lease;
    let mut wait = RETRY_FIRST;
    loop {
        match write().await {
            Ok(v) => return Ok(v),
            Err(e) if Instant::now() + wait >= deadline => return Err(e),
            Err(e) => {
                DatabaseUnavailable {
                    during: "recording Telegram's answer on an outbox row",
                    error: &e.to_string(),
                    retry_in_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                }
                .emit();
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RETRY_MAX);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_failed_record_is_retried_until_it_succeeds() {
        let tries = AtomicU32::new(0);
        let out = record(Instant::now(), Duration::from_secs(60), || async {
            if tries.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(sqlx::Error::PoolTimedOut)
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(out.unwrap(), 7);
        assert_eq!(tries.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn it_gives_up_before_the_lease_expires() {
        let start = Instant::now();
        let tries = AtomicU32::new(0);
        let out: Result<(), _> = record(start, Duration::from_secs(1), || async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err(sqlx::Error::PoolTimedOut)
        })
        .await;
        assert!(matches!(out, Err(sqlx::Error::PoolTimedOut)));
        assert!(tries.load(Ordering::SeqCst) >= 2);
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
