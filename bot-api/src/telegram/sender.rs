//! The outbox sender: drains `outbox` into the Bot API, one row per step.
//!
//! A step ([`try_send_next`]) claims the oldest due chat head ([`CLAIM`]) in one statement:
//! picked with `FOR UPDATE SKIP LOCKED`, the row gets a short lease (`locked_until`,
//! [`SenderConfig::lease`]) and the statement commits; then Telegram is called with no
//! transaction open, and the result is recorded (clearing the lease). So several bot-api
//! processes on one database do not send a message twice while its lease holds, and a crash
//! mid-call leaves the row pending, claimed again once its lease expired; a result the database
//! cannot take (an outage) is recorded again while the lease holds, so an outage does not get a
//! delivered message sent twice. A chat whose head is leased waits. Rows of one chat go out in order, at most one per `per_chat_gap` (answers to
//! button presses excepted); the overall limit is checked against the rows every process sent
//! in the last second, and [`Pacer`] spaces each process's calls. 429 pauses the whole sender
//! (every loop of the process) for `retry_after`; 5xx and timeouts back off exponentially;
//! other 4xx (400, 403 "blocked by the user") give up with the reason in `last_error`.

mod claim;
mod pace;
mod record;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{Mutex, Notify, watch};
use tokio::time::Instant;

use self::claim::claim;
use self::record::record;
use super::client::{ApiError, BotApi};
use crate::events::service::{OutboxGaveUp, OutboxRetry};
use crate::metrics::Metrics;

pub use self::claim::CLAIM;
pub use self::pace::{Pacer, backoff};

/// Tunables of the sender; [`Default`] follows Telegram's published limits.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Minimum time between two messages to one chat.
    pub per_chat_gap: Duration,
    /// Most messages per second overall (all processes on the database together).
    pub per_second: u32,
    /// Attempts after which a temporary failure becomes permanent.
    pub max_attempts: i32,
    /// First retry delay after a 5xx or timeout; doubled each attempt.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Concurrent sending loops in this process.
    pub workers: usize,
    /// How often an idle loop looks for rows enqueued by other processes.
    pub idle_poll: Duration,
    /// How long a claimed row stays leased to its sender (longer than a Bot API call may
    /// take); an expired lease is claimed again.
    pub lease: Duration,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            per_chat_gap: Duration::from_secs(1),
            per_second: 30,
            max_attempts: 10,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            workers: 4,
            idle_poll: Duration::from_millis(250),
            lease: Duration::from_secs(60),
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Nothing was due.
    Empty,
    /// The row was delivered.
    Sent { id: i64 },
    /// The row stays pending until `after` from now.
    RetryLater { id: i64, after: Duration },
    /// Telegram answered 429: the row stays pending and the whole sender pauses for `after`.
    RateLimited { id: i64, after: Duration },
    /// The row was given up (`status = 'failed'`).
    GaveUp { id: i64 },
}
/// One step: claim the next due row, send it, record the result. Database errors are
/// returned (the row stays pending); Telegram's answers are recorded on the row.
pub async fn try_send_next(
    pool: &PgPool,
    api: &BotApi,
    cfg: &SenderConfig,
    pacer: &Pacer,
) -> Result<SendOutcome, sqlx::Error> {
    // Pace before claiming, so the overall count the claim checks is fresh when it is sent.
    pacer.wait().await;
    // The claim is one statement (its own transaction): the row is leased, not locked, while
    // Telegram is called.
    let claimed_at = Instant::now();
    let row = claim(pool, cfg.per_chat_gap, cfg.per_second, cfg.lease).await?;
    let Some(row) = row else {
        return Ok(SendOutcome::Empty);
    };
    let attempts = row.attempts.saturating_add(1);
    let outcome = match api.call(&row.method, &row.payload, None).await {
        Ok(_) => {
            record(claimed_at, cfg.lease, || {
                sqlx::query(
                    "UPDATE outbox SET status = 'sent', sent_at = clock_timestamp(), \
                     attempts = $2, last_error = NULL, locked_until = NULL WHERE id = $1",
                )
                .bind(row.id)
                .bind(attempts)
                .execute(pool)
            })
            .await?;
            SendOutcome::Sent { id: row.id }
        }
        Err(err) => {
            let retry = match &err {
                ApiError::RetryAfter { retry_after_s } => {
                    Some(Duration::from_secs((*retry_after_s).min(3600)))
                }
                ApiError::Temporary(_) if attempts < cfg.max_attempts => {
                    Some(backoff(attempts, cfg.backoff_base, cfg.backoff_max))
                }
                _ => None,
            };
            let reason = err.to_string();
            match retry {
                Some(after) => {
                    record(claimed_at, cfg.lease, || {
                        sqlx::query(
                            "UPDATE outbox SET attempts = $2, last_error = $3, locked_until = NULL, \
                             not_before = clock_timestamp() + make_interval(secs => $4) WHERE id = $1",
                        )
                        .bind(row.id)
                        .bind(attempts)
                        .bind(&reason)
                        .bind(after.as_secs_f64())
                        .execute(pool)
                    })
                    .await?;
                    OutboxRetry {
                        outbox_id: row.id,
                        method: &row.method,
                        attempts,
                        retry_in_ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                        reason: &reason,
                    }
                    .emit();
                    if matches!(err, ApiError::RetryAfter { .. }) {
                        SendOutcome::RateLimited { id: row.id, after }
                    } else {
                        SendOutcome::RetryLater { id: row.id, after }
                    }
                }
                None => {
                    record(claimed_at, cfg.lease, || {
                        sqlx::query(
                            "UPDATE outbox SET status = 'failed', attempts = $2, last_error = $3, \
                             locked_until = NULL WHERE id = $1",
                        )
                        .bind(row.id)
                        .bind(attempts)
                        .bind(&reason)
                        .execute(pool)
                    })
                    .await?;
                    OutboxGaveUp {
                        outbox_id: row.id,
                        method: &row.method,
                        attempts,
                        reason: &reason,
                    }
                    .emit();
                    SendOutcome::GaveUp { id: row.id }
                }
            }
        }
    };
    Ok(outcome)
}

/// Number of pending rows (for `bot_api_outbox_pending`).
pub async fn pending(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'pending'")
        .fetch_one(pool)
        .await
}

/// Runs `cfg.workers` sending loops until `shutdown` turns true. `wake` is notified when an
/// update of this process enqueued replies, so they leave without waiting for a poll.
pub async fn run(
    pool: PgPool,
    api: BotApi,
    cfg: SenderConfig,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
    shutdown: watch::Receiver<bool>,
) {
    let pacer = Arc::new(Pacer::new(cfg.per_second));
    // Until when every loop waits after a 429 (Telegram's retry_after is for the bot, not the
    // message).
    let paused_until = Arc::new(Mutex::new(Instant::now()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..cfg.workers.max(1) {
        let (pool, api, cfg, wake, pacer, paused_until) = (
            pool.clone(),
            api.clone(),
            cfg.clone(),
            wake.clone(),
            pacer.clone(),
            paused_until.clone(),
        );
        let mut shutdown = shutdown.clone();
        tasks.spawn(async move {
            while !*shutdown.borrow() {
                let resume = *paused_until.lock().await;
                if resume > Instant::now() {
                    tokio::select! {
                        () = tokio::time::sleep_until(resume) => {}
                        _ = shutdown.changed() => continue,
                    }
                }
                let idle = match try_send_next(&pool, &api, &cfg, &pacer).await {
                    Ok(SendOutcome::RateLimited { after, .. }) => {
                        let mut until = paused_until.lock().await;
                        *until = (*until).max(Instant::now() + after);
                        continue;
                    }
                    Ok(SendOutcome::Empty) => cfg.idle_poll,
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!(event = "outbox_unavailable", error = %e, "Outbox sender cannot reach the database; retrying");
                        Duration::from_secs(1)
                    }
                };
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(idle) => {}
                    _ = shutdown.changed() => {}
                }
            }
        });
    }
    let mut shutdown_gauge = shutdown.clone();
    tasks.spawn(async move {
        while !*shutdown_gauge.borrow() {
            if let Ok(n) = pending(&pool).await {
                metrics.outbox_pending.set(n);
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = shutdown_gauge.changed() => {}
            }
        }
    });
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let (b, m) = (Duration::from_secs(1), Duration::from_secs(300));
        assert_eq!(backoff(1, b, m), Duration::from_secs(1));
        assert_eq!(backoff(2, b, m), Duration::from_secs(2));
        assert_eq!(backoff(5, b, m), Duration::from_secs(16));
        assert_eq!(backoff(30, b, m), m);
        assert_eq!(backoff(0, b, m), b);
        assert_eq!(backoff(i32::MAX, b, m), m);
    }

    #[tokio::test]
    async fn the_pacer_spaces_calls_by_its_interval() {
        let p = Pacer::new(100);
        let start = Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        // Four intervals of 10 ms after the first, immediate, call.
        assert!(start.elapsed() >= Duration::from_millis(40));
        assert!(start.elapsed() < Duration::from_millis(400));
    }
}
