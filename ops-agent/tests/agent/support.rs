//! Stand-ins and helpers for the daemon tests: a bot-api that can be stopped, started and made
//! to fail; a webhook receiver that records payloads and can misbehave; a daemon on port 0.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ops_agent::daemon::scheduler::TokioClock;
use ops_agent::daemon::{self, DaemonConfig, DaemonSetup};
use ops_agent::metrics::AgentMetrics;
use ops_agent::pgtools::PgTarget;
use ops_agent::store::BackupStore;
use secrecy::SecretString;
use tokio::sync::oneshot;
use warp::Filter;
use warp::http::StatusCode;

/// A database nobody connects to (backup, prune and verify jobs are disabled in these tests).
pub fn unused_database() -> PgTarget {
    let url = SecretString::from("postgres://nobody:pw@127.0.0.1:1/none");
    PgTarget::from_url(&url, "DATABASE_URL").unwrap()
}

/// A bot-api stand-in: `/health`, `/ready` (status settable) and `/metrics` with settable
/// booking counters; `stop()` closes the port, `start()` opens it again on the same address.
pub struct FakeBotApi {
    pub addr: SocketAddr,
    pub ready_status: Arc<AtomicU16>,
    pub success: Arc<AtomicU64>,
    pub failure: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
}

impl FakeBotApi {
    pub async fn start_new() -> Self {
        let mut me = Self {
            addr: ([127, 0, 0, 1], 0).into(),
            ready_status: Arc::new(AtomicU16::new(200)),
            success: Arc::new(AtomicU64::new(0)),
            failure: Arc::new(AtomicU64::new(0)),
            stop: None,
        };
        me.start().await;
        me
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn start(&mut self) {
        let mut listener = None;
        for _ in 0..50 {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let listener = listener.expect("rebinding the fake bot-api's port");
        self.addr = listener.local_addr().unwrap();
        let (ready, s, f) = (
            self.ready_status.clone(),
            self.success.clone(),
            self.failure.clone(),
        );
        let health = warp::path!("health").map(|| "ok");
        let ready = warp::path!("ready").map(move || {
            let code = StatusCode::from_u16(ready.load(Ordering::SeqCst)).unwrap();
            warp::reply::with_status("ready?", code)
        });
        let metrics = warp::path!("metrics").map(move || {
            format!(
                "# HELP bot_api_bookings_total Bookings by outcome.\n# TYPE bot_api_bookings_total counter\n\
                 bot_api_bookings_total{{outcome=\"success\"}} {}\nbot_api_bookings_total{{outcome=\"failure\"}} {}\n",
                s.load(Ordering::SeqCst),
                f.load(Ordering::SeqCst)
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
        // Wait until the port refuses connections.
        for _ in 0..50 {
            if tokio::net::TcpStream::connect(self.addr).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

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

    /// Waits until a recorded payload matches `pred`.
    pub async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(b) = self.bodies().into_iter().find(|b| pred(b)) {
                return b;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; got {:#?}",
                self.bodies()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A payload predicate: `alertname` with `status`.
pub fn is(alertname: &str, status: &str) -> impl Fn(&serde_json::Value) -> bool {
    let (n, s) = (alertname.to_owned(), status.to_owned());
    move |b| b["status"] == s.as_str() && b["alerts"][0]["labels"]["alertname"] == n.as_str()
}

/// A daemon running on port 0.
pub struct TestDaemon {
    pub addr: SocketAddr,
    pub metrics: Arc<AgentMetrics>,
    pub backup_dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestDaemon {
    /// Starts a daemon with `toml` (backup, prune and verify jobs should be disabled in it).
    pub async fn start(toml: &str, bot_api_url: &str) -> Self {
        let backup_dir = tempfile::tempdir().unwrap();
        Self::start_in(toml, bot_api_url, backup_dir).await
    }

    pub async fn start_in(toml: &str, bot_api_url: &str, backup_dir: tempfile::TempDir) -> Self {
        let config = DaemonConfig::parse(toml).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = Arc::new(AgentMetrics::new().unwrap());
        let setup = DaemonSetup {
            config,
            database: unused_database(),
            store: BackupStore::new(backup_dir.path()),
            bot_api_url: bot_api_url.to_owned(),
            listener,
        };
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(daemon::run_with(
            setup,
            metrics.clone(),
            Arc::new(TokioClock::system()),
            async {
                let _ = rx.await;
            },
        ));
        Self {
            addr,
            metrics,
            backup_dir,
            stop: Some(tx),
            task,
        }
    }

    pub async fn scrape(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.addr))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The value of one sample line of the scrape, e.g. `ops_agent_alerts_firing{alertname="BotApiDown"}`.
    pub async fn sample(&self, series: &str) -> f64 {
        let text = self.scrape().await;
        text.lines()
            .find_map(|l| {
                l.strip_prefix(series)
                    .and_then(|rest| rest.strip_prefix(' '))
            })
            .unwrap_or_else(|| panic!("{series} not in scrape:\n{text}"))
            .trim()
            .parse()
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(70), self.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

/// Job tables that switch off everything but a one-second probe.
pub fn probe_only(extra: &str) -> String {
    format!(
        "[jobs.backup]\nenabled = false\n[jobs.prune]\nenabled = false\n[jobs.verify]\nenabled = false\n\
         [jobs.probe]\nschedule = \"* * * * * *\"\ntimeout_seconds = 1\n{extra}"
    )
}
