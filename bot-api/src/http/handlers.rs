//! What each route does once [`super::filters`] has matched it and checked its inputs.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Rejection, Reply};

use super::AppState;
use super::models::{ApiError, Status, WebhookAck, error_response};
use crate::events::service::{RejectReason, UpdateHandled};
use crate::telegram::types::Update;
use crate::updates::{Outcome, process_update, settle_failure};

/// How long `/ready` waits for `SELECT 1`.
pub const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// `POST /telegram/webhook` after authentication and the size limit: parse, process, answer
/// 200 only once the update is committed (or a duplicate, or ignored, or dead-lettered after a
/// permanent error); 503 on a connection-class error, so Telegram retries.
pub async fn webhook(state: AppState, body: Bytes) -> Result<Response, Rejection> {
    let update: Update = serde_json::from_slice(&body)
        .map_err(|_| warp::reject::custom(ApiError::Webhook(RejectReason::BadBody)))?;
    match process_update(&state.ctx, &update).await {
        Ok(outcome) => {
            if state.observability {
                UpdateHandled {
                    update_id: update.update_id,
                    outcome,
                    transport: "webhook",
                }
                .emit(&state.ctx.metrics);
            }
            if matches!(outcome, Outcome::Processed | Outcome::Throttled) {
                state.wake_sender.notify_waiters();
            }
            let ack = WebhookAck {
                ok: true,
                outcome: UpdateHandled::label(outcome),
            };
            Ok(warp::reply::json(&ack).into_response())
        }
        Err(e) => {
            // The body parsed as JSON, so it is UTF-8.
            let payload = String::from_utf8_lossy(&body);
            match settle_failure(&state.ctx, update.update_id, &payload, e, "webhook").await {
                Ok(()) => {
                    let ack = WebhookAck {
                        ok: true,
                        outcome: "dead_lettered",
                    };
                    Ok(warp::reply::json(&ack).into_response())
                }
                Err(_retry) => Err(warp::reject::custom(ApiError::Webhook(
                    RejectReason::DatabaseUnavailable,
                ))),
            }
        }
    }
}

/// `GET /health`: the process serves.
pub async fn health() -> Result<Response, Infallible> {
    Ok(warp::reply::json(&Status { status: "ok" }).into_response())
}

/// Whether the database answers `SELECT 1` within [`READY_TIMEOUT`]; sets `bot_api_healthy`.
pub async fn check_ready(state: &AppState) -> bool {
    let probe = sqlx::query("SELECT 1").execute(&state.ctx.pool);
    let ready = matches!(tokio::time::timeout(READY_TIMEOUT, probe).await, Ok(Ok(_)));
    state.ctx.metrics.healthy.set(i64::from(ready));
    ready
}

/// `GET /ready`: 200 when the database answers, else 503.
pub async fn ready(state: AppState) -> Result<Response, Infallible> {
    if check_ready(&state).await {
        Ok(warp::reply::json(&Status { status: "ready" }).into_response())
    } else {
        Ok(error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "The database does not answer.",
        ))
    }
}

/// `GET /metrics`: refreshes the gauges read at scrape time, then encodes the registry.
pub async fn metrics(state: AppState) -> Result<Response, Infallible> {
    let m = &state.ctx.metrics;
    if check_ready(&state).await {
        let pending = crate::telegram::sender::pending(&state.ctx.pool);
        if let Ok(Ok(n)) = tokio::time::timeout(READY_TIMEOUT, pending).await {
            m.outbox_pending.set(n);
        }
    }
    let dropped = state.dropped_lines.get();
    let seen = m.log_lines_dropped.get();
    if dropped > seen {
        m.log_lines_dropped.inc_by(dropped - seen);
    }
    let body = shared::metrics::encode(&m.registry);
    Ok(
        warp::reply::with_header(body, "content-type", shared::metrics::CONTENT_TYPE)
            .into_response(),
    )
}
