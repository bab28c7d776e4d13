//! A webhook receiver stand-in (Alertmanager's webhook format) that records every request and
//! can answer an error status or slowly.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::testing::eventually;
use warp::Filter;
use warp::http::StatusCode;

/// One request a receiver stand-in got.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub body: serde_json::Value,
}

/// A webhook receiver stand-in: records every request; answers `status` (settable).
pub struct FakeReceiver {
    pub addr: SocketAddr,
    pub status: Arc<AtomicU16>,
    /// Answer only after this many milliseconds (to make the sender time out).
    pub delay_ms: Arc<AtomicU64>,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeReceiver {
    pub async fn start() -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let (st, rq, dl) = (status.clone(), requests.clone(), delay_ms.clone());
        let route = warp::post()
            .and(warp::path::full())
            .and(warp::header::optional::<String>("authorization"))
            .and(warp::body::json())
            .then(move |path: warp::path::FullPath, authorization, body| {
                let (st, rq, dl) = (st.clone(), rq.clone(), dl.clone());
                async move {
                    rq.lock().unwrap().push(Recorded {
                        path: path.as_str().to_owned(),
                        authorization,
                        body,
                    });
                    tokio::time::sleep(Duration::from_millis(dl.load(Ordering::SeqCst))).await;
                    let code = StatusCode::from_u16(st.load(Ordering::SeqCst)).unwrap();
                    warp::reply::with_status(
                        warp::reply::json(&serde_json::json!({"ok": code.is_success()})),
                        code,
                    )
                }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Self {
            addr,
            status,
            delay_ms,
            requests,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }

    /// Payloads about `alertname`.
    pub fn about(&self, alertname: &str) -> Vec<serde_json::Value> {
        self.bodies()
            .into_iter()
            .filter(|b| b["groupLabels"]["alertname"] == alertname)
            .collect()
    }

    /// Waits until a recorded payload matches `pred`, and returns it.
    pub async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let found = || self.bodies().into_iter().find(|b| pred(b));
        let held = eventually(|| async { found().is_some() }, timeout).await;
        assert!(
            held,
            "timed out waiting for {what}; got {:#?}",
            self.bodies()
        );
        found().unwrap()
    }
}

/// A payload predicate: `alertname` with `status`.
pub fn is(alertname: &str, status: &str) -> impl Fn(&serde_json::Value) -> bool {
    let (n, s) = (alertname.to_owned(), status.to_owned());
    move |b| b["status"] == s.as_str() && b["alerts"][0]["labels"]["alertname"] == n.as_str()
}
