//! The schedule loop: fires each job at its cron times, never two runs of one job at once (a
//! fire time that finds the previous run still going is skipped and counted), and never a burst
//! of missed runs (see [`crate::schedule::decide`]).
//!
//! Time comes from a [`Clock`]. The daemon runs on [`SystemClock`], the wall clock read at
//! every call, so schedules and staleness follow the real time across suspends and clock
//! steps (the loop never sleeps more than 30 s, so a step is noticed quickly). Tests use
//! [`TokioClock`], which derives wall time from tokio's clock, to drive the loop with
//! `tokio::time::pause()` and make the wall clock jump.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use crate::events::daemon::{JobSkipped, JobsAborted};
use crate::job::Job;
use crate::metrics::AgentMetrics;
use crate::schedule::{CronSchedule, Decision, decide};

/// Wall-clock time for the scheduler.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock: `Utc::now()` at every call. What the daemon runs on.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// For tests: wall time = a starting instant plus tokio's elapsed time (plus jumps). Not the
/// daemon's clock: tokio's time is monotonic and stands still while the machine sleeps.
#[derive(Debug)]
pub struct TokioClock {
    wall: DateTime<Utc>,
    start: tokio::time::Instant,
    jumped: Mutex<chrono::Duration>,
}

impl TokioClock {
    /// A clock reading the system time now, then advancing with tokio's time.
    pub fn system() -> Self {
        Self::starting_at(Utc::now())
    }

    /// A clock that reads `wall` now and advances with tokio's (possibly paused) time.
    pub fn starting_at(wall: DateTime<Utc>) -> Self {
        Self {
            wall,
            start: tokio::time::Instant::now(),
            jumped: Mutex::new(chrono::Duration::zero()),
        }
    }

    /// Moves the wall clock forward without tokio time passing (suspend, NTP step).
    pub fn jump(&self, by: chrono::Duration) {
        if let Ok(mut j) = self.jumped.lock() {
            *j += by;
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.start.elapsed()).unwrap_or_default();
        let jumped = self.jumped.lock().map(|j| *j).unwrap_or_default();
        self.wall + elapsed + jumped
    }
}

/// A job body: runs once, returns whether it succeeded.
pub type JobFn = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// One job under the scheduler.
#[derive(Clone)]
pub struct ScheduledJob {
    /// Which job (its `job` label).
    pub job: Job,
    /// When it fires.
    pub schedule: CronSchedule,
    /// What it does.
    pub run: JobFn,
}

impl std::fmt::Debug for ScheduledJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledJob")
            .field("job", &self.job)
            .field("schedule", &self.schedule.source())
            .finish()
    }
}

/// Longest single sleep, so a wall-clock step is noticed within this time.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// How long running jobs may finish after shutdown is asked.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(60);

/// Runs `jobs` on their schedules until `shutdown` resolves, then waits (bounded) for running jobs.
pub async fn run(
    jobs: Vec<ScheduledJob>,
    clock: Arc<dyn Clock>,
    metrics: Arc<AgentMetrics>,
    shutdown: impl Future<Output = ()>,
) {
    let start = clock.now();
    let mut planned: Vec<Option<DateTime<Utc>>> =
        jobs.iter().map(|j| j.schedule.next_after(start)).collect();
    let running: Vec<Arc<AtomicBool>> = jobs
        .iter()
        .map(|_| Arc::new(AtomicBool::new(false)))
        .collect();
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let now = clock.now();
        for (i, job) in jobs.iter().enumerate() {
            let Some(at) = planned[i] else { continue };
            let Decision::Fire { next } = decide(&job.schedule, at, now) else {
                continue;
            };
            planned[i] = next;
            if running[i].swap(true, Ordering::AcqRel) {
                JobSkipped { job: job.job }.emit(&metrics);
                continue;
            }
            let (run, flag, clock, metrics, which) = (
                job.run.clone(),
                running[i].clone(),
                clock.clone(),
                metrics.clone(),
                job.job,
            );
            tasks.spawn(async move {
                let ok = run().await;
                metrics.observe_job(which, ok, clock.now());
                flag.store(false, Ordering::Release);
            });
        }
        while tasks.try_join_next().is_some() {}
        let wait = planned
            .iter()
            .flatten()
            .min()
            .map(|at| (*at - now).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(MAX_SLEEP)
            .min(MAX_SLEEP);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut shutdown => break,
        }
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        JobsAborted.emit();
    }
}
