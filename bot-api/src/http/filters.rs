//! Which request reaches which handler: the four routes, the webhook's secret check and size
//! limit, one timing wrapper around the combined routes, and one `.recover()` that renders
//! every refusal in the same JSON shape (and emits `webhook_rejected` for webhook ones).

use std::convert::Infallible;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, Method, StatusCode};
use warp::path::FullPath;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::models::{ApiError, error_response};
use super::{AppState, MAX_BODY_BYTES, WebhookAuth, handlers};
use crate::events::service::{RejectReason, WebhookRejected};
use crate::metrics::Metrics;

/// The webhook path.
pub const WEBHOOK_PATH: &str = "/telegram/webhook";

/// The header Telegram puts the `secret_token` of `setWebhook` in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Hands a clone of the state to a handler.
pub fn with_state(
    state: AppState,
) -> impl Filter<Extract = (AppState,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// Every route, recovered and (unless observability is off) timed.
pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    // Path before method, so a wrong path is a 404 and a wrong method on a known path a 405.
    let webhook = warp::path!("telegram" / "webhook")
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(authenticated(state.webhook_auth.clone()))
        .and(limited_body(MAX_BODY_BYTES))
        .and_then(handlers::webhook);
    let health = warp::path!("health")
        .and(warp::get())
        .and_then(handlers::health);
    let ready = warp::path!("ready")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(handlers::ready);
    let metrics = warp::path!("metrics")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(handlers::metrics);
    let recover_state = state.clone();
    let all = webhook
        .or(health)
        .unify()
        .or(ready)
        .unify()
        .or(metrics)
        .unify()
        .recover(move |r| recover(recover_state.clone(), r))
        .unify();
    if state.observability {
        timed(state.ctx.metrics.clone(), all).boxed()
    } else {
        all.boxed()
    }
}

/// The route name of `path` for metrics: the contract's fixed set, `unmatched` otherwise.
pub fn route_name(path: &str) -> &'static str {
    match path {
        WEBHOOK_PATH => "webhook",
        "/health" => "health",
        "/ready" => "ready",
        "/metrics" => "metrics",
        _ => "unmatched",
    }
}

/// The `method` label: a fixed set, so a client cannot invent series.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

/// One wrapper around the combined routes: counts every answer (404s included, once) and
/// observes its duration, labelled with the matched route's name.
fn timed<F>(
    metrics: std::sync::Arc<Metrics>,
    routes: F,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone
where
    F: Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static,
{
    warp::any()
        .map(Instant::now)
        .and(warp::path::full())
        .and(warp::method())
        .and(routes)
        .map(
            move |start: Instant, path: FullPath, method: Method, resp: Response| {
                let route = route_name(path.as_str());
                let method = method_label(&method);
                let status = resp.status();
                metrics
                    .http_requests
                    .with_label_values(&[route, method, status.as_str()])
                    .inc();
                metrics
                    .http_duration
                    .with_label_values(&[route, method])
                    .observe(start.elapsed().as_secs_f64());
                resp
            },
        )
}

/// Checks the secret header (raw bytes, constant time) before the body is read.
fn authenticated(auth: WebhookAuth) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    // Only this header is cloned, and compared as raw bytes (a non-UTF-8 value is a mismatch).
    let header = warp::header::value(SECRET_HEADER)
        .map(Some)
        .or(warp::any().map(|| None))
        .unify();
    header
        .and_then(move |value: Option<HeaderValue>| {
            let result = auth
                .check(value.as_ref().map(HeaderValue::as_bytes))
                .map_err(reject);
            async move { result }
        })
        .untuple_one()
}

/// The body, refused with 413 once it passes `limit` bytes, whether or not the client sent
/// a `Content-Length` (a chunked body is counted as it arrives).
fn limited_body(limit: u64) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone {
    warp::header::optional::<u64>("content-length")
        .and(warp::body::stream())
        .and_then(move |len: Option<u64>, body| async move {
            if len.is_some_and(|n| n > limit) {
                return Err(reject(RejectReason::TooLarge));
            }
            collect(body, limit).await
        })
}

async fn collect<S, B>(body: S, limit: u64) -> Result<Bytes, Rejection>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut body = std::pin::pin!(body);
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|_| reject(RejectReason::BadBody))?;
        if (buf.len() + chunk.remaining()) as u64 > limit {
            return Err(reject(RejectReason::TooLarge));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            buf.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(buf.freeze())
}

fn reject(reason: RejectReason) -> Rejection {
    warp::reject::custom(ApiError::Webhook(reason))
}

/// The one rejection handler: every refusal as `{"error", "message"}`.
async fn recover(state: AppState, r: Rejection) -> Result<Response, Infallible> {
    if let Some(e) = r.find::<ApiError>() {
        let (status, code, message) = e.parts();
        let ApiError::Webhook(reason) = e;
        WebhookRejected {
            reason: *reason,
            status: status.as_u16(),
            detail: message,
        }
        .emit(&state.ctx.metrics);
        return Ok(error_response(status, code, message));
    }
    let (status, code, message) = if r.is_not_found() {
        (StatusCode::NOT_FOUND, "not_found", "No such route.")
    } else if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This route does not take that method.",
        )
    } else if r.find::<warp::reject::InvalidHeader>().is_some() {
        (
            StatusCode::BAD_REQUEST,
            "bad_request",
            "A header is malformed.",
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request could not be read.",
        )
    };
    Ok(error_response(status, code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_names_come_from_a_fixed_set() {
        assert_eq!(route_name("/telegram/webhook"), "webhook");
        assert_eq!(route_name("/health"), "health");
        assert_eq!(route_name("/ready"), "ready");
        assert_eq!(route_name("/metrics"), "metrics");
        for other in [
            "/",
            "/telegram/webhook/",
            "/metrics?x=1",
            "/users/123",
            "/HEALTH",
        ] {
            assert_eq!(route_name(other), "unmatched", "{other}");
        }
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::PATCH), "OTHER");
        let custom = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&custom), "OTHER");
    }
}
