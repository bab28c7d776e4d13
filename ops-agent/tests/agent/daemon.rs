//! The schedule loop under paused time, the agent's own /metrics (checked by the real promtool)
//! and /health, and gauges derived from the status files.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ops_agent::daemon::scheduler::{self, Clock, JobFn, ScheduledJob, TokioClock};
use ops_agent::job::Job;
use ops_agent::metrics::AgentMetrics;
use ops_agent::schedule::CronSchedule;
use ops_agent::status::{self, RunKind, RunStatus};
use shared::testing::eventually;
use shared::testing::prom::check_metrics;

use crate::helpers::{FakeBotApi, FakeReceiver, TestDaemon, is, probe_only};

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

fn record(dir: &std::path::Path, kind: RunKind, success: bool, at: i64) {
    let t = DateTime::from_timestamp(at, 0).unwrap();
    let s = RunStatus {
        kind,
        started_at: t,
        finished_at: t,
        duration_seconds: 12.5,
        success,
        backup_id: Some("20260101T000000Z".into()),
        size_bytes: Some(4096),
        error: (!success).then(|| "pg_dump exited with status 1".into()),
        last_success_at: None,
        last_success_size_bytes: None,
        last_success_duration_seconds: None,
    };
    status::record(dir, s).unwrap();
}

#[tokio::test(start_paused = true)]
async fn own_metrics_pass_promtool_and_follow_the_status_files() {
    let api = FakeBotApi::start_new().await;
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), RunKind::Backup, true, 1_700_000_000);
    let daemon = TestDaemon::start_in(&probe_only(""), &api.url(), dir).await;
    daemon.evaluations(1).await;

    let resp = reqwest::get(format!("http://{}/metrics", daemon.addr))
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        shared::metrics::CONTENT_TYPE
    );
    let text = resp.text().await.unwrap();
    let (ok, findings) = check_metrics(text.as_bytes());
    assert!(
        ok && findings.trim().is_empty(),
        "promtool check metrics found:\n{findings}\n---\n{text}"
    );
    for family in [
        "ops_agent_backup_last_success_timestamp_seconds",
        "ops_agent_backup_last_size_bytes",
        "ops_agent_backup_last_duration_seconds",
        "ops_agent_backups_total",
        "ops_agent_restore_verify_last_success_timestamp_seconds",
        "ops_agent_restore_verifies_total",
        "ops_agent_probe_success",
        "ops_agent_probe_duration_seconds",
        "ops_agent_alerts_firing",
        "ops_agent_alert_notifications_total",
        "ops_agent_job_last_run_timestamp_seconds",
        "ops_agent_job_runs_total",
        "ops_agent_jobs_skipped_total",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family} missing:\n{text}"
        );
    }
    for target in ["health", "ready", "metrics"] {
        assert_eq!(
            daemon
                .sample(&format!("ops_agent_probe_success{{target=\"{target}\"}}"))
                .await,
            1.0
        );
    }
    assert_eq!(
        daemon
            .sample("ops_agent_backup_last_success_timestamp_seconds")
            .await,
        1_700_000_000.0
    );
    assert_eq!(
        daemon.sample("ops_agent_backup_last_size_bytes").await,
        4096.0
    );
    // The run already on disk at start is not counted; a later one (say, from system cron) is.
    assert_eq!(
        daemon
            .sample("ops_agent_backups_total{outcome=\"success\"}")
            .await,
        0.0
    );
    record(
        daemon.backup_dir.path(),
        RunKind::Backup,
        false,
        1_700_090_000,
    );
    assert_eq!(
        daemon
            .sample("ops_agent_backups_total{outcome=\"failure\"}")
            .await,
        1.0
    );
    assert_eq!(
        daemon.sample("ops_agent_backup_last_attempt_success").await,
        0.0
    );
    // The rules' BackupFailed condition needs the time of the failed attempt.
    assert_eq!(
        daemon
            .sample("ops_agent_backup_last_attempt_timestamp_seconds")
            .await,
        1_700_090_000.0
    );
    assert_eq!(
        daemon
            .sample("ops_agent_backup_last_success_timestamp_seconds")
            .await,
        1_700_000_000.0
    );
    record(
        daemon.backup_dir.path(),
        RunKind::Verify,
        true,
        1_700_100_000,
    );
    assert_eq!(
        daemon
            .sample("ops_agent_restore_verifies_total{outcome=\"success\"}")
            .await,
        1.0
    );
    assert_eq!(
        daemon
            .sample("ops_agent_restore_verify_last_success_timestamp_seconds")
            .await,
        1_700_100_000.0
    );
    let (ok, findings) = check_metrics(daemon.scrape().await.as_bytes());
    assert!(ok && findings.trim().is_empty(), "{findings}");

    let health = reqwest::get(format!("http://{}/health", daemon.addr))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let missing = reqwest::get(format!("http://{}/nope", daemon.addr))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_backup_in_the_status_file_fires_backup_failed() {
    let api = FakeBotApi::start_new().await;
    let hook = FakeReceiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    record(
        dir.path(),
        RunKind::Backup,
        true,
        Utc::now().timestamp() - 3600,
    );
    record(
        dir.path(),
        RunKind::Backup,
        false,
        Utc::now().timestamp() - 60,
    );
    let toml = probe_only(&format!(
        "[[receivers]]\nkind = \"webhook\"\nurl = \"{}\"\n",
        hook.url()
    ));
    let daemon = TestDaemon::start_in(&toml, &api.url(), dir).await;
    hook.wait_for(
        "BackupFailed",
        Duration::from_secs(10),
        is("BackupFailed", "firing"),
    )
    .await;
    // The successful one an hour ago is recent: not stale, in the evaluation that fired
    // BackupFailed (status-file alerts have no `for`) and in the ones after it.
    daemon.evaluations(2).await;
    assert!(daemon.firing("BackupFailed"));
    assert!(!daemon.firing("BackupStale"));
    assert!(hook.about("BackupStale").is_empty(), "{:#?}", hook.bodies());
    daemon.stop().await;
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
