//! The schedule loop: each job at its own cron times under paused time, a job still running at
//! its next fire time skipped and counted, no burst after a clock jump, and the scheduled
//! backup, prune, drill and probe running the one-shot code without a failure stopping anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ops_agent::daemon::scheduler::{self, Clock, JobFn, ScheduledJob, TokioClock};
use ops_agent::job::Job;
use ops_agent::metrics::AgentMetrics;
use ops_agent::schedule::CronSchedule;
use shared::testing::eventually;

use crate::helpers::{FakeBotApi, TestDaemon};

fn counting_job(count: Arc<AtomicUsize>, takes: Duration) -> JobFn {
    Arc::new(move || {
        let count = count.clone();
        Box::pin(async move {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(takes).await;
            true
        })
    })
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::milliseconds(500)
}

#[tokio::test(start_paused = true)]
async fn a_job_still_running_at_its_next_fire_time_is_skipped_and_counted() {
    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let runs = Arc::new(AtomicUsize::new(0));
    let job = ScheduledJob {
        job: Job::Backup,
        schedule: CronSchedule::parse("0 * * * * *").unwrap(),
        run: counting_job(runs.clone(), Duration::from_secs(90)),
    };
    let clock = Arc::new(TokioClock::starting_at(start()));
    // Ten minutes of paused time: fires at :01..:10; each run takes 90 s, so every second fire
    // time finds the previous run going.
    let stop = tokio::time::sleep(Duration::from_secs(600));
    scheduler::run(vec![job], clock, metrics.clone(), stop).await;
    assert_eq!(runs.load(Ordering::SeqCst), 5);
    assert_eq!(
        metrics
            .jobs_skipped_total
            .with_label_values(&["backup"])
            .get(),
        5
    );
    assert_eq!(
        metrics
            .job_runs_total
            .with_label_values(&["backup", "success"])
            .get(),
        5
    );
}

#[tokio::test(start_paused = true)]
async fn fire_times_missed_while_the_clock_jumped_are_not_replayed_in_a_burst() {
    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let runs = Arc::new(AtomicUsize::new(0));
    let job = ScheduledJob {
        job: Job::Probe,
        schedule: CronSchedule::parse("0 * * * * *").unwrap(),
        run: counting_job(runs.clone(), Duration::from_millis(10)),
    };
    let clock = Arc::new(TokioClock::starting_at(start()));
    let c2 = clock.clone();
    let driver = async move {
        tokio::time::sleep(Duration::from_secs(150)).await; // fires at 00:01, 00:02
        c2.jump(chrono::Duration::hours(3)); // suspend: 180 fire times missed
        tokio::time::sleep(Duration::from_secs(45)).await; // wakes, fires once at most
    };
    scheduler::run(vec![job], clock.clone(), metrics.clone(), driver).await;
    let n = runs.load(Ordering::SeqCst);
    assert!((3..=4).contains(&n), "{n} runs");
    assert_eq!(
        metrics
            .jobs_skipped_total
            .with_label_values(&["probe"])
            .get(),
        0
    );
    assert!(clock.now() > start() + chrono::Duration::hours(3));
}

#[tokio::test(start_paused = true)]
async fn each_job_fires_at_its_own_cron_times() {
    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let (a, b) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let jobs = vec![
        ScheduledJob {
            job: Job::Probe,
            schedule: CronSchedule::parse("*/30 * * * * *").unwrap(),
            run: counting_job(a.clone(), Duration::ZERO),
        },
        ScheduledJob {
            job: Job::Backup,
            schedule: CronSchedule::parse("0 0 3 * * *").unwrap(),
            run: counting_job(b.clone(), Duration::ZERO),
        },
    ];
    let clock = Arc::new(TokioClock::starting_at(start()));
    scheduler::run(
        jobs,
        clock,
        metrics.clone(),
        tokio::time::sleep(Duration::from_secs(3 * 3600 + 10)),
    )
    .await;
    assert_eq!(a.load(Ordering::SeqCst), 3 * 120);
    assert_eq!(b.load(Ordering::SeqCst), 1);
    let last = metrics.job_last_run.with_label_values(&["backup"]).get();
    assert_eq!(
        last as i64,
        Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0)
            .unwrap()
            .timestamp()
    );
}
#[tokio::test]
async fn scheduled_backup_prune_and_drill_run_the_one_shot_code_and_a_failure_stops_nothing() {
    // The database is unreachable, so every run fails; the daemon counts each and goes on.
    let api = FakeBotApi::start_new().await;
    let toml = "[jobs.backup]\nschedule = \"* * * * * *\"\n[jobs.prune]\nschedule = \"* * * * * *\"\n\
                [jobs.verify]\nschedule = \"* * * * * *\"\n[jobs.probe]\nschedule = \"* * * * * *\"\n";
    let daemon = TestDaemon::start(toml, &api.url()).await;
    // Real time: the backup and drill jobs run pg_dump and psql, processes that tokio's paused
    // clock would race past.
    let jobs = ["backup", "prune", "verify", "probe"];
    let ran = eventually(
        || async { jobs.iter().all(|job| daemon.runs(job) >= 2) },
        Duration::from_secs(15),
    )
    .await;
    let runs: Vec<u64> = jobs.iter().map(|job| daemon.runs(job)).collect();
    assert!(ran, "runs of {jobs:?}: {runs:?}");
    for job in ["backup", "prune", "verify", "probe"] {
        let runs = daemon
            .sample(&format!(
                "ops_agent_job_runs_total{{job=\"{job}\",outcome=\"success\"}}"
            ))
            .await
            + daemon
                .sample(&format!(
                    "ops_agent_job_runs_total{{job=\"{job}\",outcome=\"failure\"}}"
                ))
                .await;
        assert!(runs >= 2.0, "{job} ran {runs} times");
        assert!(
            daemon
                .sample(&format!(
                    "ops_agent_job_last_run_timestamp_seconds{{job=\"{job}\"}}"
                ))
                .await
                > 0.0
        );
    }
    assert_eq!(
        daemon
            .sample("ops_agent_probe_success{target=\"health\"}")
            .await,
        1.0
    );
    daemon.stop().await;
}
