//! Long polling: `getUpdates` with a positive timeout, each update fed to the same
//! [`crate::updates::process_update`] as the webhook. The offset only moves past an update
//! once its effects are committed (or it was a duplicate or ignored), so an outage of the
//! database never loses one: the same update is fetched again and retried.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::{Notify, watch};

use super::client::{ApiError, BotApi};
use super::types::Update;
use crate::events::service::{DatabaseUnavailable, UpdateHandled};
use crate::updates::{BotContext, process_update, settle_failure};

/// Long-poll settings.
#[derive(Debug, Clone)]
pub struct PollConfig {
    /// `timeout` of `getUpdates` in seconds (positive: Telegram holds the request open).
    pub timeout_s: u64,
    /// Most updates per call.
    pub limit: u32,
}

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            timeout_s: 25,
            limit: 100,
        }
    }
}

/// Polls until `shutdown` turns true. Removes any webhook first: Telegram refuses
/// `getUpdates` while one is set.
pub async fn run(
    ctx: BotContext,
    api: BotApi,
    cfg: PollConfig,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    if let Err(e) = api
        .call(
            "deleteWebhook",
            &json!({ "drop_pending_updates": false }),
            None,
        )
        .await
    {
        tracing::warn!(event = "polling_error", error = %e, "deleteWebhook failed; polling anyway");
    }
    let mut offset: i64 = 0;
    let mut delay = Duration::ZERO;
    while !*shutdown.borrow() {
        if !delay.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => continue,
            }
        }
        let params = json!({ "offset": offset, "timeout": cfg.timeout_s, "limit": cfg.limit });
        let call = api.call(
            "getUpdates",
            &params,
            Some(Duration::from_secs(cfg.timeout_s)),
        );
        let answer = tokio::select! {
            a = call => a,
            _ = shutdown.changed() => continue,
        };
        let updates = match answer {
            Ok(v) => v,
            Err(e) => {
                delay = match &e {
                    ApiError::RetryAfter { retry_after_s } => Duration::from_secs(*retry_after_s),
                    _ => (delay * 2).clamp(Duration::from_secs(1), Duration::from_secs(30)),
                };
                tracing::warn!(event = "polling_error", error = %e, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "getUpdates failed; retrying");
                continue;
            }
        };
        delay = Duration::ZERO;
        let list = updates.as_array().cloned().unwrap_or_default();
        for raw in list {
            let Some(id) = raw.get("update_id").and_then(serde_json::Value::as_i64) else {
                continue;
            };
            // JSON text of the update, for the dead-letter table should it fail for good.
            let payload = raw.to_string();
            match serde_json::from_value::<Update>(raw) {
                Ok(update) => {
                    if !handle_until_committed(&ctx, &update, &payload, &mut shutdown).await {
                        return;
                    }
                    wake.notify_waiters();
                }
                Err(e) => {
                    // Not an update we can read: skip it rather than fetch it forever.
                    tracing::warn!(event = "polling_error", update_id = id, error = %e, "Skipping an unreadable update");
                }
            }
            offset = offset.max(id.saturating_add(1));
        }
    }
}

/// Processes one update, retrying while the database is unavailable; an update that fails with
/// a permanent error is dead-lettered instead, so it does not hold back the ones after it.
/// Returns false when shutdown arrived first (the offset is then not advanced; the update comes
/// again).
async fn handle_until_committed(
    ctx: &BotContext,
    update: &Update,
    payload: &str,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    let mut delay = Duration::from_millis(500);
    loop {
        match process_update(ctx, update).await {
            Ok(outcome) => {
                UpdateHandled {
                    update_id: update.update_id,
                    outcome,
                    transport: "polling",
                }
                .emit(&ctx.metrics);
                return true;
            }
            Err(e) => {
                let Err(e) = settle_failure(ctx, update.update_id, payload, e, "polling").await
                else {
                    return true;
                };
                ctx.metrics
                    .telegram_updates
                    .with_label_values(&["error"])
                    .inc();
                DatabaseUnavailable {
                    during: "processing a polled update",
                    error: &shared::error::error_chain(&e),
                    retry_in_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                }
                .emit();
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    _ = shutdown.changed() => return false,
                }
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}
