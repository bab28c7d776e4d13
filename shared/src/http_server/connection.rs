//! One accepted connection: hyper 1's HTTP/1.1 (keep-alive) with a tokio timer, so the request
//! head has a time limit; the routes wrapped in the whole-request time limit; graceful shutdown
//! when the server stops. The connection holds its permit of the connection cap until it ends.

use std::convert::Infallible;
use std::time::Duration;

use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, watch};

use super::BoxError;

/// The body every answer is sent with: the routes' own, or the time-limit answer.
type AnyBody = UnsyncBoxBody<Bytes, BoxError>;

/// The two per-connection time limits.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    /// Until the request head is complete (and between keep-alive requests).
    pub header: Duration,
    /// From the head until the routes' answer, the body read included.
    pub request: Duration,
}

/// Serves one connection until the client closes it, a time limit closes it, or `stop` turns
/// true and the request in flight (if any) has been answered.
pub(super) async fn serve<S, B>(
    stream: TcpStream,
    service: S,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let _ = stream.set_nodelay(true);
    let limit = timeouts.request;
    let routes = hyper::service::service_fn(move |req: Request<Incoming>| {
        let service = service.clone();
        async move { Ok::<_, Infallible>(answer_within(limit, service, req).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header);
    let conn = builder.serve_connection(TokioIo::new(stream), routes);
    let mut conn = std::pin::pin!(conn);
    let served = tokio::select! {
        served = conn.as_mut() => served,
        () = async { let _ = stop.wait_for(|stopping| *stopping).await; } => {
            // Closes the connection now if it is between requests, else after this answer.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = served {
        // Debug only: a hostile client must not be able to flood the logs.
        let reason = if e.is_timeout() {
            "header_timeout"
        } else {
            "error"
        };
        tracing::debug!(event = "http_connection_dropped", reason, error = %e, "HTTP connection dropped");
    }
}

/// The routes' answer to `req`, or after `limit` a 503.
async fn answer_within<S, B>(
    limit: Duration,
    mut service: S,
    req: Request<Incoming>,
) -> Response<AnyBody>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let handled = async move {
        std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
        service.call(req).await
    };
    match tokio::time::timeout(limit, handled).await {
        Ok(Ok(resp)) => resp.map(|body| body.map_err(Into::into).boxed_unsync()),
        Ok(Err(never)) => match never {},
        Err(_) => {
            tracing::debug!(
                event = "http_connection_dropped",
                reason = "request_timeout",
                "HTTP request over its time limit; answered 503"
            );
            timed_out(limit)
        }
    }
}

/// The answer to a request over its time limit. 503, not 408, and not a dropped connection:
/// Telegram retries a webhook delivery that got any non-2xx answer, and 503 is what the
/// webhook already answers when the database is unavailable, so to Telegram (and to a
/// Prometheus scrape) it is the familiar "try again later". Nothing was committed, or the
/// update's id was committed with its effects and the retry is answered `duplicate`. The
/// handler's work is cancelled with the request; the connection is closed after the answer,
/// since the request's body may not have been read.
pub(super) fn timed_out(limit: Duration) -> Response<AnyBody> {
    let body = format!(
        "{{\"error\":\"request_timeout\",\"message\":\"the request was not handled within {} s\"}}",
        limit.as_secs_f64()
    );
    let mut resp = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    resp
}
