//! The daemon behind `ops-agent run`: the schedule loop ([`scheduler`]) running the backup,
//! prune, drill and probe jobs ([`jobs`]) from the TOML configuration ([`config`]), alert
//! evaluation after each probe, notifications, and the agent's own HTTP endpoint.
//!
//! [`run`] is the seam between `main` and the tests: it takes a bound listener and a shutdown
//! future, so tests bind port 0 and stop the daemon when they are done.

pub mod config;
pub mod jobs;
pub mod scheduler;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;

use crate::events::daemon::{ServiceStarted, ServiceStopped};
use crate::job::Job;
use crate::metrics::AgentMetrics;
use crate::notify::Notifier;
use crate::pgtools::PgTarget;
use crate::store::BackupStore;
pub use config::DaemonConfig;
use jobs::JobContext;
use scheduler::{Clock, ScheduledJob, SystemClock};

/// Everything [`run`] needs.
#[derive(Debug)]
pub struct DaemonSetup {
    /// The validated TOML configuration.
    pub config: DaemonConfig,
    /// The database to back up; its server hosts the drills' scratch databases.
    pub database: PgTarget,
    /// Where backups go, as for `ops-agent backup`.
    pub store: BackupStore,
    /// Base URL of the bot-api.
    pub bot_api_url: String,
    /// Where `/metrics` and `/health` are served.
    pub listener: tokio::net::TcpListener,
}

/// A handle on a running daemon's metrics (tests read them).
pub type SharedMetrics = Arc<AgentMetrics>;

/// Runs the daemon until `shutdown` resolves.
pub async fn run(
    setup: DaemonSetup,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics = Arc::new(AgentMetrics::new().context("registering metrics")?);
    run_with(setup, metrics, wall_clock(), shutdown).await
}

/// The clock [`run`] uses: the wall clock, read at every call (schedules and staleness follow
/// the real time, not the start time plus monotonic time).
pub fn wall_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// [`run`] with the metrics and clock given by the caller.
pub async fn run_with(
    setup: DaemonSetup,
    metrics: SharedMetrics,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let DaemonSetup {
        config,
        database,
        store,
        bot_api_url,
        listener,
    } = setup;
    let local = listener
        .local_addr()
        .context("reading the listen address")?;
    let external_url = config
        .external_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let backup_dir = store.dir.clone();
    metrics.baseline_status(&backup_dir);
    metrics.refresh_status(&backup_dir);
    metrics.set_firing(|_| false);
    metrics.start_time.set(clock.now().timestamp() as f64);
    let notifier = Notifier::start(config.receivers.clone(), external_url, metrics.clone());
    let ctx = Arc::new(JobContext::new(
        &config,
        database,
        store,
        bot_api_url,
        metrics.clone(),
        notifier,
        clock.now(),
    ));

    let scheduled: Vec<ScheduledJob> = Job::ALL
        .into_iter()
        .filter(|job| config.job(*job).enabled)
        .map(|job| ScheduledJob {
            job,
            schedule: config.job(job).schedule.clone(),
            run: jobs::job_fn(job, ctx.clone(), clock.clone()),
        })
        .collect();
    let job_list: Vec<(&'static str, String)> = scheduled
        .iter()
        .map(|j| (j.job.as_str(), j.schedule.source().to_owned()))
        .collect();
    ServiceStarted {
        listen: local,
        jobs: &job_list,
        receivers: config.receivers.len(),
    }
    .emit();

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut http_stop = stop_rx.clone();
    let server = tokio::spawn(crate::http::serve(
        listener,
        metrics.clone(),
        backup_dir,
        config.http,
        async move {
            let _ = http_stop.wait_for(|s| *s).await;
        },
    ));
    scheduler::run(scheduled, clock, metrics, shutdown).await;
    let _ = stop_tx.send(true);
    server.await.context("the HTTP server task failed")?;
    ServiceStopped.emit();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_daemons_clock_is_the_wall_clock_not_start_plus_monotonic_time() {
        let clock = wall_clock();
        // Monotonic time runs ahead of the wall clock (as it lags behind it across a suspend).
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        let drift = (clock.now() - chrono::Utc::now()).num_seconds().abs();
        assert!(
            drift < 5,
            "the daemon's clock drifted {drift} s from the wall clock"
        );
    }
}
