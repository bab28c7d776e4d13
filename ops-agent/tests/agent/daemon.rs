//! The agent's own /metrics (checked by the real promtool) and /health, and gauges and alerts
//! derived from the status files. The schedule loop is [`crate::scheduler`]'s.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ops_agent::status::{self, RunKind, RunStatus};
use shared::testing::prom::check_metrics;

use crate::helpers::{FakeBotApi, FakeReceiver, TestDaemon, is, probe_only};

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
