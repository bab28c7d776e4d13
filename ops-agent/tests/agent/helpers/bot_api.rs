//! A bot-api stand-in that can be stopped, started again on the same port and made to fail.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::testing::eventually;
use tokio::sync::oneshot;
use warp::Filter;
use warp::http::StatusCode;

/// A bot-api stand-in: `/health`, `/ready` (status settable) and `/metrics` with settable
/// booking counters (`failure` includes `system`, as in the bot-api) and refused users;
/// `stop()` closes the port, `start()` opens it again on the same address.
pub struct FakeBotApi {
    pub addr: SocketAddr,
    pub ready_status: Arc<AtomicU16>,
    pub success: Arc<AtomicU64>,
    pub failure: Arc<AtomicU64>,
    pub system: Arc<AtomicU64>,
    pub refusing_users: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
}

impl FakeBotApi {
    pub async fn start_new() -> Self {
        let mut me = Self {
            addr: ([127, 0, 0, 1], 0).into(),
            ready_status: Arc::new(AtomicU16::new(200)),
            success: Arc::new(AtomicU64::new(0)),
            failure: Arc::new(AtomicU64::new(0)),
            system: Arc::new(AtomicU64::new(0)),
            refusing_users: Arc::new(AtomicU64::new(0)),
            stop: None,
        };
        me.start().await;
        me
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn start(&mut self) {
        // The port of a stopped stand-in may take a moment to be free again.
        let bound = Mutex::new(None);
        let addr = self.addr;
        eventually(
            || async {
                if let Ok(l) = tokio::net::TcpListener::bind(addr).await {
                    *bound.lock().unwrap() = Some(l);
                }
                bound.lock().unwrap().is_some()
            },
            Duration::from_secs(5),
        )
        .await;
        let listener = bound
            .into_inner()
            .unwrap()
            .expect("rebinding the fake bot-api's port");
        self.addr = listener.local_addr().unwrap();
        let (ready, s, f) = (
            self.ready_status.clone(),
            self.success.clone(),
            self.failure.clone(),
        );
        let (sys, users) = (self.system.clone(), self.refusing_users.clone());
        let health = warp::path!("health").map(|| "ok");
        let ready = warp::path!("ready").map(move || {
            let code = StatusCode::from_u16(ready.load(Ordering::SeqCst)).unwrap();
            warp::reply::with_status("ready?", code)
        });
        let metrics = warp::path!("metrics").map(move || {
            format!(
                "# HELP bot_api_bookings_total Bookings by outcome.\n# TYPE bot_api_bookings_total counter\n\
                 bot_api_bookings_total{{outcome=\"success\"}} {}\nbot_api_bookings_total{{outcome=\"failure\"}} {}\n\
                 # TYPE bot_api_booking_system_failures_total counter\n\
                 bot_api_booking_system_failures_total{{reason=\"database\"}} {}\n\
                 # TYPE bot_api_booking_refusing_users gauge\nbot_api_booking_refusing_users {}\n",
                s.load(Ordering::SeqCst),
                f.load(Ordering::SeqCst),
                sys.load(Ordering::SeqCst),
                users.load(Ordering::SeqCst)
            )
        });
        let routes = health.or(ready).or(metrics);
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(
            warp::serve(routes)
                .incoming(listener)
                .graceful(async {
                    let _ = rx.await;
                })
                .run(),
        );
        self.stop = Some(tx);
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let addr = self.addr;
        let refused = eventually(
            || async { tokio::net::TcpStream::connect(addr).await.is_err() },
            Duration::from_secs(5),
        )
        .await;
        assert!(
            refused,
            "the fake bot-api at {addr} still accepts connections"
        );
    }
}
