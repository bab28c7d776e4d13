//! A time limit on pg_dump/pg_restore: past it the child and everything it started are killed,
//! the temporary file goes, and the run is recorded as failed, saying so.

use std::time::{Duration, Instant};

use ops_agent::status::{self, RunKind};

use crate::helpers::seeded::{fake_tools, seeded, text};

/// Whether process `pid` still runs (a zombie waiting for its reaper does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with(['R', 'S', 'D']))
        })
        .unwrap_or(false)
}

#[tokio::test]
async fn a_pg_dump_past_its_time_limit_is_killed_with_its_children_and_the_run_fails() {
    let env = seeded().await;
    let slow = fake_tools(
        &env.bindir,
        "[ \"$1\" = \"--version\" ] && exec \"$REAL\" \"$@\"\n\
         sleep 120 &\necho $! > \"$HERE/sleep.pid\"\nwait",
    );
    let started = Instant::now();
    let out = env
        .agent(slow.path(), &["backup", "--tool-timeout-seconds", "1"])
        .await;
    let (stdout, stderr) = text(&out);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "not awaited forever"
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("pg_dump timed out after 1 s"), "{stderr}");
    assert!(stdout.contains("\"event\":\"backup_failed\""), "{stdout}");
    let st = status::read(env.dir.path(), RunKind::Backup)
        .unwrap()
        .unwrap();
    assert!(!st.success);
    assert!(
        st.error.unwrap().contains("timed out after 1 s"),
        "the reason is recorded"
    );
    assert!(
        env.files().is_empty(),
        "the temporary dump is removed: {:?}",
        env.files()
    );
    let pid: u32 = std::fs::read_to_string(slow.path().join("sleep.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while running(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!running(pid), "pg_dump's own child is killed with it");
}

#[test]
fn a_time_limit_that_is_not_a_positive_number_is_a_usage_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
        .args(["backup", "--tool-timeout-seconds", "0"])
        .env_clear()
        .env("DATABASE_URL", "postgres://u:p@127.0.0.1:1/db")
        .env("OPS_BACKUP_DIR", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
