//! The daemon's job bodies. Backup, prune and drill call the very functions the one-shot
//! commands call (`backup::take`, `retention::prune`, `restore::verify`), which record their
//! outcome in the status files; the probe job probes the bot-api and then evaluates the alerts
//! ([`JobContext::probe_round`]), a step the tests can call directly. A job that finds its lock
//! held by another run (cron, a person) is skipped, not failed: `job_busy` and
//! `ops_agent_job_skips_total{job,reason="busy"}`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

use super::config::DaemonConfig;
use super::scheduler::{Clock, JobFn};
use crate::alert_state;
use crate::alerting::rules::RunSummary;
use crate::alerting::window::BookingWindow;
use crate::alerting::{AlertEngine, Evaluation, Observations};
use crate::events::backup::StatusUnreadable;
use crate::events::daemon::{
    AlertFiring, AlertResolved, AlertStateUnreadable, AlertStateWriteFailed, JobBusy, JobFailed,
    JobFinished,
};
use crate::exit::is_busy;
use crate::job::Job;
use crate::metrics::AgentMetrics;
use crate::notify::Notifier;
use crate::pgtools::PgTarget;
use crate::probe::{self, ProbeReport, Target};
use crate::status::{self, RunKind};
use crate::store::BackupStore;

/// Alert state carried from one probe round to the next.
#[derive(Debug)]
struct AlertLoop {
    engine: AlertEngine,
    window: BookingWindow,
}

/// What the jobs share.
#[derive(Debug)]
pub struct JobContext {
    database: PgTarget,
    store: BackupStore,
    bot_api_url: String,
    probe_timeout: Duration,
    client: reqwest::Client,
    metrics: Arc<AgentMetrics>,
    notifier: Notifier,
    watching_since: DateTime<Utc>,
    alerts: Mutex<AlertLoop>,
}

impl JobContext {
    /// A context whose alerts resume from the state file (firing ones stay firing until they
    /// clear); `started_at` is the reference for "no backup yet".
    pub fn new(
        config: &DaemonConfig,
        database: PgTarget,
        store: BackupStore,
        bot_api_url: String,
        metrics: Arc<AgentMetrics>,
        notifier: Notifier,
        started_at: DateTime<Utc>,
    ) -> Self {
        let mut engine = AlertEngine::new(config.thresholds.clone(), &config.runbook_base_url);
        match alert_state::read(&store.dir) {
            Ok(firing) => engine.resume(firing),
            Err(error) => AlertStateUnreadable { error: &error }.emit(),
        }
        metrics.set_firing(|a| engine.is_firing(a));
        Self {
            database,
            store,
            bot_api_url,
            probe_timeout: config.probe_timeout,
            client: reqwest::Client::new(),
            metrics,
            notifier,
            watching_since: started_at,
            alerts: Mutex::new(AlertLoop {
                engine,
                window: BookingWindow::default(),
            }),
        }
    }

    /// One probe of the bot-api followed by one alert evaluation at `now`; notifications are
    /// queued, not awaited.
    pub async fn probe_round(&self, now: DateTime<Utc>) -> (ProbeReport, Evaluation) {
        let report = probe::probe(&self.client, &self.bot_api_url, self.probe_timeout).await;
        self.metrics.observe_probe(&report);
        let backup_dir = &self.store.dir;
        self.metrics.refresh_status(backup_dir);
        let mut state = self.alerts.lock().await;
        let window_len = state.engine.thresholds().failure_window;
        if let Some(b) = report.bookings {
            state.window.observe(now, b, window_len);
        }
        let obs = Observations {
            health_ok: report.ok(Target::Health),
            ready_ok: report.ok(Target::Ready),
            bookings: state.window.counts(now, window_len),
            backup: run_summary(backup_dir, RunKind::Backup),
            verify: run_summary(backup_dir, RunKind::Verify),
            watching_since: self.watching_since,
        };
        let eval = state.engine.evaluate(&obs, now);
        if (!eval.fired.is_empty() || !eval.resolved.is_empty())
            && let Err(error) = alert_state::write(backup_dir, &state.engine.firing_since())
        {
            AlertStateWriteFailed { error: &error }.emit();
        }
        for alert in &eval.fired {
            AlertFiring { alert }.emit();
        }
        for alert in &eval.resolved {
            AlertResolved { alert }.emit();
        }
        self.metrics.set_firing(|a| state.engine.is_firing(a));
        drop(state);
        self.notifier.notify(&eval, now);
        (report, eval)
    }

    /// The backup job. A failure was logged once as `backup_failed` where it ended.
    async fn backup(&self) -> bool {
        match crate::backup::take(&self.database, &self.store).await {
            Ok(m) => {
                JobFinished::Backup {
                    backup_id: &m.id,
                    size_bytes: m.size_bytes,
                }
                .emit();
                true
            }
            Err(error) if is_busy(&error) => {
                JobBusy {
                    job: Job::Backup,
                    error: &error,
                }
                .emit(&self.metrics);
                true
            }
            Err(_logged_as_backup_failed) => false,
        }
    }

    /// The prune job; nothing below logs its error, so this is where it is logged.
    async fn prune(&self) -> bool {
        let store = &self.store;
        match crate::retention::prune(&store.dir, &store.retention, false).await {
            Ok(r) => {
                JobFinished::Prune {
                    kept: r.kept.len(),
                    deleted: r.deleted.len(),
                }
                .emit();
                true
            }
            Err(error) if is_busy(&error) => {
                JobBusy {
                    job: Job::Prune,
                    error: &error,
                }
                .emit(&self.metrics);
                true
            }
            Err(error) => {
                JobFailed {
                    job: Job::Prune,
                    error: &error,
                }
                .emit();
                false
            }
        }
    }

    /// The drill job. A failure was logged once as `restore_verify_failed` where it ended.
    async fn verify(&self) -> bool {
        match crate::restore::verify(&self.database, &self.store, None).await {
            Ok(r) => {
                JobFinished::Verify {
                    backup_id: &r.backup_id,
                    passed: r.passed,
                }
                .emit();
                r.passed
            }
            Err(error) if is_busy(&error) => {
                JobBusy {
                    job: Job::Verify,
                    error: &error,
                }
                .emit(&self.metrics);
                true
            }
            Err(_logged_as_restore_verify_failed) => false,
        }
    }
}

fn run_summary(dir: &Path, kind: RunKind) -> Option<RunSummary> {
    match status::read(dir, kind) {
        Ok(s) => s.map(|s| RunSummary {
            last_ok: s.success,
            last_success_at: s.last_success_at,
        }),
        Err(error) => {
            // An unreadable status file is treated as a failed run: it needs a human either way.
            StatusUnreadable { error: &error }.emit();
            Some(RunSummary {
                last_ok: false,
                last_success_at: None,
            })
        }
    }
}

/// The scheduler's body for `job`.
pub fn job_fn(job: Job, ctx: Arc<JobContext>, clock: Arc<dyn Clock>) -> JobFn {
    Arc::new(move || {
        let (ctx, clock) = (ctx.clone(), clock.clone());
        Box::pin(async move {
            match job {
                Job::Backup => ctx.backup().await,
                Job::Prune => ctx.prune().await,
                Job::Verify => ctx.verify().await,
                Job::Probe => ctx.probe_round(clock.now()).await.0.healthy(),
            }
        })
    })
}
