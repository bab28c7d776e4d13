//! The daemon under test, on port 0, on the agent's `Clock` seam: a [`TokioClock`], so a
//! test started with paused time (`#[tokio::test(start_paused = true)]`) runs its schedules,
//! `for` durations and windows in virtual time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ops_agent::daemon::scheduler::TokioClock;
use ops_agent::daemon::{self, DaemonConfig, DaemonSetup};
use ops_agent::metrics::AgentMetrics;
use ops_agent::pgtools::PgTarget;
use ops_agent::store::BackupStore;
use secrecy::SecretString;
use shared::testing::eventually;
use tokio::sync::oneshot;

use super::UNUSED_DATABASE_URL;

/// A database nobody connects to (backup, prune and verify jobs are disabled in these tests).
pub fn unused_database() -> PgTarget {
    let url = SecretString::from(UNUSED_DATABASE_URL);
    PgTarget::from_url(&url, "DATABASE_URL").unwrap()
}

/// Job tables that switch off everything but a one-second probe.
pub fn probe_only(extra: &str) -> String {
    format!(
        "[jobs.backup]\nenabled = false\n[jobs.prune]\nenabled = false\n[jobs.verify]\nenabled = false\n\
         [jobs.probe]\nschedule = \"* * * * * *\"\ntimeout_seconds = 1\n{extra}"
    )
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

    /// [`TestDaemon::start`] with `backup_dir` as its backup folder (status files in it).
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

    /// The value of one series of a fresh scrape, e.g.
    /// `ops_agent_alerts_firing{alertname="BotApiDown"}`; panics when the scrape lacks it.
    pub async fn sample(&self, series: &str) -> f64 {
        super::sample(&self.scrape().await, series)
    }

    /// Finished runs of `job`, either outcome.
    pub fn runs(&self, job: &str) -> u64 {
        ["success", "failure"]
            .iter()
            .map(|o| {
                self.metrics
                    .job_runs_total
                    .with_label_values(&[job, o])
                    .get()
            })
            .sum()
    }

    /// Whether `alertname` is firing, as the last evaluation left it.
    pub fn firing(&self, alertname: &str) -> bool {
        self.metrics
            .alerts_firing
            .with_label_values(&[alertname])
            .get()
            > 0.0
    }

    /// Waits for `n` more probe rounds (each a probe and an alert evaluation) to finish. Probe
    /// rounds never overlap, so with `n >= 2` at least one round started after the call: a
    /// negative check after it is about an evaluation that saw what the test set before.
    pub async fn evaluations(&self, n: u64) {
        let from = self.runs("probe");
        let held = eventually(
            || async { self.runs("probe") >= from + n },
            Duration::from_secs(60),
        )
        .await;
        assert!(
            held,
            "{n} probe rounds never finished after {from}: {}",
            self.runs("probe")
        );
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
