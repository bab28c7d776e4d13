//! Exit codes that tell outcomes apart (0, 1, 2, 3, 75) and "busy is not failure": a run that
//! finds the lock held exits 75 and records nothing; the daemon counts it as a skip.

use std::time::Duration;

use ops_agent::lock::FolderLock;
use ops_agent::status::{self, RunKind};

use crate::helpers::TestDaemon;
use crate::helpers::seeded::{seeded, text};

fn agent() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    c
}

#[tokio::test]
async fn a_backup_prune_or_drill_that_finds_the_lock_held_exits_75_and_records_nothing() {
    let env = seeded().await;
    let backup_lock = FolderLock::acquire(env.dir.path()).unwrap();
    let drill_lock = FolderLock::acquire_verify(env.dir.path()).unwrap();
    for args in [&["backup"][..], &["prune"], &["restore", "--verify"]] {
        let out = env.agent(&env.bindir, args).await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(75), "{args:?}: {stdout}\n{stderr}");
        assert!(stderr.contains("ops-agent: busy: another"), "{stderr}");
        assert!(
            !stdout.contains("backup_failed") && !stdout.contains("restore_verify_failed"),
            "{args:?}: {stdout}"
        );
    }
    assert!(
        status::read(env.dir.path(), RunKind::Backup)
            .unwrap()
            .is_none()
    );
    assert!(
        status::read(env.dir.path(), RunKind::Verify)
            .unwrap()
            .is_none()
    );
    drop((backup_lock, drill_lock));
    let out = env.agent(&env.bindir, &["backup"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}

#[tokio::test]
async fn the_daemons_backup_that_finds_the_lock_held_is_a_counted_skip_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let held = FolderLock::acquire(dir.path()).unwrap();
    let toml = "[jobs.backup]\nschedule = \"* * * * * *\"\n[jobs.prune]\nenabled = false\n\
                [jobs.verify]\nenabled = false\n[jobs.probe]\nenabled = false\n";
    let daemon = TestDaemon::start_in(toml, "http://127.0.0.1:1", dir).await;
    let series = "ops_agent_job_skips_total{job=\"backup\",reason=\"busy\"}";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while daemon.sample(series).await < 1.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{}",
            daemon.scrape().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        daemon
            .sample("ops_agent_job_runs_total{job=\"backup\",outcome=\"failure\"}")
            .await,
        0.0
    );
    assert_eq!(
        daemon
            .sample("ops_agent_backups_total{outcome=\"failure\"}")
            .await,
        0.0
    );
    assert!(
        status::read(daemon.backup_dir.path(), RunKind::Backup)
            .unwrap()
            .is_none()
    );
    drop(held);
    daemon.stop().await;
}

#[test]
fn configuration_errors_exit_2_and_could_not_run_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let code = |args: &[&str], url: &str| {
        let out = agent()
            .args(args)
            .env("DATABASE_URL", url)
            .env("OPS_BACKUP_DIR", dir.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Usage (clap) and configuration.
    assert_eq!(
        code(&["restore"], "postgres://u:p@127.0.0.1:1/db").0,
        Some(2)
    );
    let (c, e) = code(&["backup"], "postgres://u:p@127.0.0.1:1/");
    assert_eq!(c, Some(2), "{e}");
    assert!(e.contains("DATABASE_URL names no database"), "{e}");
    let (c, e) = code(
        &["probe", "--bot-api-url", "localhost:8080"],
        "postgres://u:p@127.0.0.1:1/db",
    );
    assert_eq!(c, Some(2), "{e}");
    // Could not run: nothing to restore; the database is unreachable.
    let (c, e) = code(&["restore", "--verify"], "postgres://u:p@127.0.0.1:1/db");
    assert_eq!(c, Some(3), "{e}");
    assert!(e.contains("no complete backup"), "{e}");
    let bindir = shared::testing::server_bindir().unwrap();
    let (c, e) = code(
        &["backup", "--pg-bin-dir", bindir.to_str().unwrap()],
        "postgres://u:p@127.0.0.1:1/db",
    );
    assert_eq!(c, Some(3), "{e}");
    assert!(e.contains("unreachable"), "{e}");
}

#[test]
fn every_subcommands_help_lists_the_exit_codes() {
    for sub in ["backup", "list", "prune", "restore", "probe", "run"] {
        let out = agent().args([sub, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{sub}");
        for needle in [
            "Exit codes: 0 success",
            "2 bad usage",
            "3 could not run",
            "75 busy",
        ] {
            assert!(
                help.contains(needle),
                "{sub} --help lacks {needle:?}:\n{help}"
            );
        }
    }
}
