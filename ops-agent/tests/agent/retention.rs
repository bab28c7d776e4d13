//! `ops-agent prune` on a folder of backups: dry runs, deletions, files without a manifest,
//! and no deletion after a failed backup.

use chrono::{DateTime, Duration, Utc};
use ops_agent::manifest::{self, Manifest};
use ops_agent::retention::RetentionPolicy;
use ops_agent::status::{self, RunKind, RunStatus};

/// Writes a fake complete backup (a dump file and its manifest) taken at `at`.
fn fake_backup(dir: &std::path::Path, at: DateTime<Utc>) -> String {
    let id = manifest::new_id(at);
    std::fs::write(manifest::dump_path(dir, &id), b"dump").unwrap();
    let m = Manifest {
        id: id.clone(),
        created_at: at,
        database: "app".into(),
        server_version: "15".into(),
        pg_dump_version: "pg_dump (PostgreSQL) 15".into(),
        size_bytes: 4,
        sha256: String::new(),
        row_counts: Default::default(),
        indexes: vec![],
        duration_seconds: 0.1,
    };
    std::fs::write(
        manifest::manifest_path(dir, &id),
        serde_json::to_vec(&m).unwrap(),
    )
    .unwrap();
    id
}

/// Keep only the newest `keep_last`: no calendar buckets.
fn policy(keep_last: u32) -> RetentionPolicy {
    RetentionPolicy {
        keep_last,
        keep_daily: 0,
        keep_weekly: 0,
        keep_monthly: 0,
    }
}

#[tokio::test]
async fn prune_keeps_the_newest_deletes_the_rest_and_leaves_files_without_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let ids: Vec<String> = (0..5)
        .map(|h| fake_backup(dir.path(), now - Duration::hours(h)))
        .collect();
    std::fs::write(
        dir.path().join("20200101T000000Z-beef.dump"),
        b"no manifest",
    )
    .unwrap();

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
        .args([
            "prune",
            "--dry-run",
            "--keep-last",
            "2",
            "--keep-daily",
            "0",
        ])
        .args(["--keep-weekly", "0", "--keep-monthly", "0"])
        .env("OPS_BACKUP_DIR", dir.path())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("would delete {}", ids[4])),
        "{stdout}"
    );
    assert!(stdout.contains("2 kept, 3 would delete"), "{stdout}");

    let dry = ops_agent::retention::prune(dir.path(), &policy(2), true)
        .await
        .unwrap();
    assert_eq!(dry.kept, ids[..2].to_vec());
    assert_eq!(dry.deleted, ids[2..].to_vec());
    assert_eq!(
        manifest::list(dir.path()).unwrap().len(),
        5,
        "a dry run deletes nothing"
    );

    let done = ops_agent::retention::prune(dir.path(), &policy(2), false)
        .await
        .unwrap();
    assert_eq!(done.deleted, ids[2..].to_vec());
    let left: Vec<_> = manifest::list(dir.path())
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, ids[..2].to_vec());
    assert!(dir.path().join("20200101T000000Z-beef.dump").exists());
    assert!(!manifest::dump_path(dir.path(), &ids[4]).exists());
}

#[tokio::test]
async fn prune_deletes_nothing_while_the_last_backup_failed() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    for h in 0..4 {
        fake_backup(dir.path(), now - Duration::days(h));
    }
    status::record(
        dir.path(),
        RunStatus {
            kind: RunKind::Backup,
            started_at: now,
            finished_at: now,
            duration_seconds: 1.0,
            success: false,
            backup_id: None,
            size_bytes: None,
            error: Some("pg_dump exited with status 1".into()),
            last_success_at: None,
            last_success_size_bytes: None,
            last_success_duration_seconds: None,
        },
    )
    .unwrap();
    let report = ops_agent::retention::prune(dir.path(), &policy(1), false)
        .await
        .unwrap();
    assert!(report.skipped.unwrap().contains("failed"));
    assert!(report.deleted.is_empty());
    assert_eq!(manifest::list(dir.path()).unwrap().len(), 4);
}
