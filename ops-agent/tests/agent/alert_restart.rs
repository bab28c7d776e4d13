//! Firing alerts survive a restart: the daemon saves them (status/alerts.json) and, started
//! again, resolves them — "resolved" goes out — when their condition has cleared meanwhile.

use std::time::Duration;

use chrono::Utc;
use ops_agent::status::{self, RunKind, RunStatus};

use crate::helpers::{FakeBotApi, FakeReceiver, TestDaemon, is, probe_only};

fn backup_status(success: bool) -> RunStatus {
    RunStatus {
        success,
        error: (!success).then(|| "pg_dump exited with status 1".into()),
        ..RunStatus::unfinished(RunKind::Backup, Utc::now(), 1.0)
    }
}

#[tokio::test]
async fn an_alert_firing_before_a_restart_is_resolved_after_it() {
    let api = FakeBotApi::start_new().await;
    let first_dir = tempfile::tempdir().unwrap();
    status::record(first_dir.path(), backup_status(false)).unwrap();
    let first = TestDaemon::start_in(&probe_only(""), &api.url(), first_dir).await;
    let fired = shared::testing::eventually(
        || async { first.firing("BackupFailed") },
        Duration::from_secs(30),
    )
    .await;
    assert!(fired, "BackupFailed never fired");
    let saved = ops_agent::alert_state::read(first.backup_dir.path()).unwrap();
    assert!(
        saved.iter().any(|(a, _)| a.as_str() == "BackupFailed"),
        "{saved:?}"
    );
    // The folder as the restarted daemon finds it (the test's folder goes with the daemon).
    let second_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(second_dir.path().join("status")).unwrap();
    for f in ["backup.json", "alerts.json"] {
        std::fs::copy(
            first.backup_dir.path().join("status").join(f),
            second_dir.path().join("status").join(f),
        )
        .unwrap();
    }
    first.stop().await;

    // While it was down, a backup succeeded.
    status::record(second_dir.path(), backup_status(true)).unwrap();
    let hook = FakeReceiver::start().await;
    let toml = probe_only(&format!(
        "[[receivers]]\nkind = \"webhook\"\nurl = \"{}\"\n",
        hook.url()
    ));
    let second = TestDaemon::start_in(&toml, &api.url(), second_dir).await;
    hook.wait_for(
        "BackupFailed resolved after the restart",
        Duration::from_secs(30),
        is("BackupFailed", "resolved"),
    )
    .await;
    assert!(!second.firing("BackupFailed"));
    let saved = ops_agent::alert_state::read(second.backup_dir.path()).unwrap();
    assert!(saved.is_empty(), "{saved:?}");
    second.stop().await;
}
