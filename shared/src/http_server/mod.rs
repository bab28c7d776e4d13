//! The HTTP server both binaries run their warp routes on, in place of `warp::serve`, which
//! builds hyper without a timer: a client that sent half a request head held its connection,
//! and graceful shutdown waited for it, forever.
//!
//! This module owns, for both binaries:
//! - the accept loop over the tokio listener, with a cap on open connections
//!   ([`Limits::max_connections`]): at the cap nothing is accepted, so further clients wait in
//!   the kernel's accept backlog and no task is spawned for them;
//! - each connection served by hyper 1 (HTTP/1.1, keep-alive) with a timer, so a request head
//!   (and an idle keep-alive connection waiting for one) has [`Limits::header_timeout`];
//! - the whole-request time limit ([`Limits::request_timeout`]), answered 503
//!   ([`connection`]);
//! - the bounded graceful shutdown: stop accepting, let requests in flight finish, and after
//!   [`Limits::shutdown_grace`] drop what is left, logging `shutdown_deadline`.
//!
//! The routes come in as a tower service: `warp::service(filter)`. With the feature `testing`,
//! [`raw_client`] is the misbehaving client the servers' tests use.

mod connection;
#[cfg(feature = "testing")]
pub mod raw_client;
#[cfg(test)]
mod tests;

use std::convert::Infallible;
use std::future::Future;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Bytes, Incoming};
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// The error type of a response body, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Accepted values of the timeout and grace settings, in seconds (0 is refused: it would
/// close every connection or switch the limit off, which is not what a number means here).
pub const SECONDS_RANGE: RangeInclusive<u64> = 1..=3600;
/// Accepted values of the connection cap.
pub const MAX_CONNECTIONS_RANGE: RangeInclusive<u64> = 1..=100_000;

/// The limits a server runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A connection that has not sent a complete request head within this is closed; it also
    /// bounds how long an idle keep-alive connection waits for its next request.
    pub header_timeout: Duration,
    /// A request not answered within this (reading its body included) gets a 503.
    pub request_timeout: Duration,
    /// At most this many connections are open; more wait in the accept backlog.
    pub max_connections: usize,
    /// On shutdown, requests in flight get this long to finish; then they are dropped.
    pub shutdown_grace: Duration,
}

impl Limits {
    /// The default header timeout (10 s).
    pub const DEFAULT_HEADER_TIMEOUT_SECONDS: u64 = 10;
    /// The default whole-request timeout (30 s).
    pub const DEFAULT_REQUEST_TIMEOUT_SECONDS: u64 = 30;
    /// The default connection cap (512).
    pub const DEFAULT_MAX_CONNECTIONS: u64 = 512;
    /// The default shutdown grace (10 s).
    pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 10;

    /// Limits from the settings' values (seconds and a count, as the flags spell them).
    pub fn from_settings(
        header_timeout_seconds: u64,
        request_timeout_seconds: u64,
        max_connections: u64,
        shutdown_grace_seconds: u64,
    ) -> Self {
        Self {
            header_timeout: Duration::from_secs(header_timeout_seconds),
            request_timeout: Duration::from_secs(request_timeout_seconds),
            max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
            shutdown_grace: Duration::from_secs(shutdown_grace_seconds),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::from_settings(
            Self::DEFAULT_HEADER_TIMEOUT_SECONDS,
            Self::DEFAULT_REQUEST_TIMEOUT_SECONDS,
            Self::DEFAULT_MAX_CONNECTIONS,
            Self::DEFAULT_SHUTDOWN_GRACE_SECONDS,
        )
    }
}

/// Refuses a value outside `range`: `"0 is not in 1..=3600"`; the caller names the setting.
/// For settings read outside clap (the agent's TOML file).
pub fn check_range(value: u64, range: &RangeInclusive<u64>) -> Result<u64, String> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is not in {}..={}",
            range.start(),
            range.end()
        ))
    }
}

/// How a server's shutdown went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still open at the grace deadline, dropped.
    pub dropped_at_deadline: usize,
}

/// Serves `service` on `listener` with `limits` until `shutdown` resolves, then shuts down
/// within [`Limits::shutdown_grace`]. Returns once every connection is closed or dropped.
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> Stopped
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Finished connections are reaped here, so the set holds about the open ones.
        while connections.try_join_next().is_some() {}
        // A permit first: at the cap nothing is accepted and clients wait in the backlog.
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        connections.spawn(connection::serve(
            stream,
            service.clone(),
            connection::Timeouts {
                header: limits.header_timeout,
                request: limits.request_timeout,
            },
            stop_rx.clone(),
            permit,
        ));
    }
    // Stop accepting: clients still in the backlog are refused by the kernel.
    drop(listener);
    let _ = stop_tx.send(true);
    drain(connections, limits.shutdown_grace).await
}

/// Waits for the connections to finish, at most `grace`; then drops the rest.
async fn drain(mut connections: JoinSet<()>, grace: Duration) -> Stopped {
    let deadline = tokio::time::sleep(grace);
    let mut deadline = std::pin::pin!(deadline);
    loop {
        tokio::select! {
            joined = connections.join_next() => if joined.is_none() {
                return Stopped::default();
            },
            () = &mut deadline => break,
        }
    }
    while connections.try_join_next().is_some() {}
    let dropped = connections.len();
    connections.shutdown().await;
    tracing::warn!(
        event = "shutdown_deadline",
        connections = dropped,
        grace_seconds = grace.as_secs_f64(),
        "Shutdown grace over; connections still open were dropped"
    );
    Stopped {
        dropped_at_deadline: dropped,
    }
}

/// A failed `accept`: a client that gave up in the backlog is nothing; running out of file
/// descriptors or memory passes, so the loop pauses briefly instead of spinning.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    tracing::debug!(event = "http_accept_failed", error = %e, "accept failed");
    if !matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
