//! The server on real loopback sockets with a small service: `GET /fast` answers at once,
//! `POST /body` reads the whole body first, `GET /slow` takes a minute.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Full};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::raw_client::{HALF_HEAD, Outcome, RawClient, status};
use super::*;
use hyper::StatusCode;

#[derive(Clone)]
struct Routes;

impl tower_service::Service<Request<Incoming>> for Routes {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Incoming>) -> Self::Future {
        Box::pin(async move {
            let text = match req.uri().path() {
                "/body" => {
                    let body = req.into_body().collect().await.map(|b| b.to_bytes());
                    format!("read {}", body.map(|b| b.len()).unwrap_or(0))
                }
                "/slow" => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    "slow".to_owned()
                }
                _ => "fast".to_owned(),
            };
            Ok(Response::new(Full::new(Bytes::from(text))))
        })
    }
}

const S: Duration = Duration::from_secs(1);

fn limits() -> Limits {
    Limits {
        header_timeout: 30 * S,
        request_timeout: 30 * S,
        max_connections: 16,
        shutdown_grace: 10 * S,
    }
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Stopped>,
}

impl Server {
    async fn start(limits: Limits) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, Routes, limits, async {
            let _ = rx.await;
        }));
        Self {
            addr,
            stop: Some(tx),
            task,
        }
    }

    fn shutdown(&mut self) {
        let _ = self.stop.take().map(|tx| tx.send(()));
    }

    /// Waits at most `within` for `serve` to return.
    async fn stopped_within(self, within: Duration) -> Stopped {
        tokio::time::timeout(within, self.task)
            .await
            .expect("serve returned in time")
            .unwrap()
    }
}

const GET_FAST: &[u8] = b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n";
const BODY_HEAD: &[u8] = b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";

#[tokio::test]
async fn half_a_head_is_closed_after_the_header_timeout() {
    let server = Server::start(Limits {
        header_timeout: S,
        ..limits()
    })
    .await;
    let mut c = RawClient::send_to(server.addr, HALF_HEAD).await.unwrap();
    match c.closed_within(5 * S).await {
        Outcome::Closed(after) => assert!(after >= S / 2, "closed after {after:?}"),
        Outcome::TimedOut => panic!("still open after 5 s"),
    }
}

#[tokio::test]
async fn keep_alive_answers_several_requests_on_one_connection() {
    let server = Server::start(limits()).await;
    let mut c = RawClient::send_to(server.addr, GET_FAST).await.unwrap();
    for _ in 0..3 {
        let resp = c.response_within(5 * S).await.expect("an answer");
        assert_eq!(status(&resp), Some(200), "{resp}");
        assert!(resp.ends_with("fast"), "{resp}");
        c.send(GET_FAST).await.unwrap();
    }
}

#[tokio::test]
async fn a_request_over_its_time_limit_is_answered_503_and_closed() {
    let server = Server::start(Limits {
        request_timeout: S,
        ..limits()
    })
    .await;
    // A body that never completes, and a handler that is too slow.
    let mut c = RawClient::send_to(server.addr, BODY_HEAD).await.unwrap();
    c.send(b"12345").await.unwrap();
    let mut slow = RawClient::send_to(server.addr, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    for c in [&mut c, &mut slow] {
        let resp = c.response_within(5 * S).await.expect("an answer");
        assert_eq!(status(&resp), Some(503), "{resp}");
        assert!(resp.contains("request_timeout"), "{resp}");
        assert!(matches!(c.closed_within(5 * S).await, Outcome::Closed(_)));
    }
}

#[tokio::test]
async fn beyond_the_cap_connections_wait_until_one_is_freed() {
    let server = Server::start(Limits {
        max_connections: 2,
        ..limits()
    })
    .await;
    let mut holders = Vec::new();
    for _ in 0..2 {
        holders.push(RawClient::send_to(server.addr, HALF_HEAD).await.unwrap());
    }
    let mut waiting = RawClient::send_to(server.addr, GET_FAST).await.unwrap();
    assert_eq!(
        waiting.response_within(S / 2).await,
        None,
        "served beyond the cap"
    );
    drop(holders.pop());
    let resp = waiting
        .response_within(5 * S)
        .await
        .expect("served once one was freed");
    assert_eq!(status(&resp), Some(200), "{resp}");
}

#[tokio::test]
async fn a_request_in_flight_at_shutdown_is_answered_and_new_ones_are_refused() {
    let mut server = Server::start(limits()).await;
    let mut c = RawClient::send_to(server.addr, BODY_HEAD).await.unwrap();
    c.send(b"12345").await.unwrap();
    tokio::time::sleep(S / 5).await;
    server.shutdown();
    tokio::time::sleep(S / 5).await;
    assert!(
        tokio::net::TcpStream::connect(server.addr).await.is_err(),
        "still accepting after shutdown"
    );
    c.send(b"67890").await.unwrap();
    let resp = c.response_within(5 * S).await.expect("answered");
    assert_eq!(status(&resp), Some(200), "{resp}");
    assert!(resp.ends_with("read 10"), "{resp}");
    let stopped = server.stopped_within(5 * S).await;
    assert_eq!(stopped.dropped_at_deadline, 0);
}

#[tokio::test]
async fn at_the_deadline_what_is_left_is_dropped() {
    let mut server = Server::start(Limits {
        shutdown_grace: S,
        ..limits()
    })
    .await;
    let mut stuck = RawClient::send_to(server.addr, BODY_HEAD).await.unwrap();
    stuck.send(b"12345").await.unwrap();
    let mut half = RawClient::send_to(server.addr, HALF_HEAD).await.unwrap();
    let mut idle = RawClient::send_to(server.addr, GET_FAST).await.unwrap();
    assert!(idle.response_within(5 * S).await.is_some());
    tokio::time::sleep(S / 5).await;
    server.shutdown();
    // The idle keep-alive connection is closed at once; the stuck body and the half head (a
    // first request hyper counts as begun) are dropped at the deadline.
    assert!(matches!(
        idle.closed_within(S / 2).await,
        Outcome::Closed(_)
    ));
    let stopped = server.stopped_within(4 * S).await;
    assert!(stopped.dropped_at_deadline == 2, "{stopped:?}");
    assert!(matches!(stuck.closed_within(S).await, Outcome::Closed(_)));
    assert!(matches!(half.closed_within(S).await, Outcome::Closed(_)));
}

#[test]
fn out_of_range_values_are_refused() {
    assert_eq!(check_range(1, &SECONDS_RANGE), Ok(1));
    assert_eq!(check_range(3600, &SECONDS_RANGE), Ok(3600));
    assert_eq!(
        check_range(0, &MAX_CONNECTIONS_RANGE).unwrap_err(),
        "0 is not in 1..=100000"
    );
    assert!(check_range(3601, &SECONDS_RANGE).is_err());
}

#[test]
fn the_defaults_are_the_documented_ones() {
    let d = Limits::default();
    assert_eq!(d.header_timeout, 10 * S);
    assert_eq!(d.request_timeout, 30 * S);
    assert_eq!(d.max_connections, 512);
    assert_eq!(d.shutdown_grace, 10 * S);
}

#[test]
fn the_time_limit_answer_is_a_closing_json_503() {
    let resp = connection::timed_out(30 * S);
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()["connection"], "close");
    assert_eq!(resp.headers()["content-type"], "application/json");
}
