//! How the client tools run, through the real binary: a drill with parallel pg_restore jobs
//! and its session settings, a real restore with and without `--jobs`, pg_dump's compression
//! level, and values refused with exit 2 naming the setting.

use std::path::Path;

use crate::helpers::UNUSED_DATABASE_URL;
use crate::helpers::seeded::{SEEDED, json_answer, seeded, spy_tools, text};

/// What the spy recorded for `tool`: its argv lines and its environment, then cleared, so the
/// next run's are read alone.
fn recorded(spy: &Path, tool: &str) -> (Vec<String>, String) {
    let take = |ext: &str| {
        let path = spy.join(format!("{tool}.{ext}"));
        let s = std::fs::read_to_string(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        s
    };
    let argv = take("argv").lines().map(str::to_owned).collect();
    let _ = take("passfile");
    (argv, take("env"))
}

#[tokio::test]
async fn a_drill_with_two_jobs_passes_every_check_and_leaves_no_scratch_database() {
    let env = seeded().await;
    ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let spy = spy_tools(&env.bindir);
    let out = env
        .agent(
            spy.path(),
            &[
                "restore",
                "--verify",
                "--restore-jobs",
                "2",
                "--restore-maintenance-work-mem",
                "128MB",
                "--json",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let report = json_answer(&out);
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(report["checks"].as_array().unwrap().len(), 8, "{report}");
    let (argv, envs) = recorded(spy.path(), "pg_restore");
    assert_two_jobs(&argv);
    assert!(
        envs.lines()
            .any(|l| l == "PGOPTIONS=-c maintenance_work_mem=128MB -c synchronous_commit=off"),
        "{envs}"
    );
    // Other drills of this shared server may be running; none of ours is left.
    let id = report["backup_id"].as_str().unwrap();
    let ours: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'ops_verify_' || $1 || '%'",
    )
    .bind(id.to_ascii_lowercase().replace('-', "_"))
    .fetch_one(&env.db.pool)
    .await
    .unwrap();
    assert_eq!(ours, 0, "the scratch database is dropped");

    // One job is the single transaction of before.
    let out = env
        .agent(spy.path(), &["restore", "--verify", "--restore-jobs", "1"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let (argv, _) = recorded(spy.path(), "pg_restore");
    assert_one_transaction(&argv);
}

#[tokio::test]
async fn a_real_restore_runs_jobs_only_when_asked_on_its_command_line() {
    let env = seeded().await;
    ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let spy = spy_tools(&env.bindir);

    let (_, parallel_url) = shared::testing::empty_db().await;
    let out = env
        .agent(
            spy.path(),
            &[
                "restore",
                "--target-url",
                &parallel_url,
                "--jobs",
                "2",
                "--json",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(json_answer(&out)["passed"], true);
    let (argv, envs) = recorded(spy.path(), "pg_restore");
    assert_two_jobs(&argv);
    // The index builds' memory, but commits stay durable: this is the database to keep.
    assert!(
        envs.lines()
            .any(|l| l == "PGOPTIONS=-c maintenance_work_mem=256MB"),
        "{envs}"
    );
    let pool = sqlx::PgPool::connect(&parallel_url).await.unwrap();
    for (table, n) in SEEDED {
        let got: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(got, n, "{table}");
    }
    pool.close().await;

    // The drills' OPS_RESTORE_JOBS, set in the environment the operator runs in, does not
    // turn a real restore parallel: it stays one transaction.
    let (_, single_url) = shared::testing::empty_db().await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
        .args(["restore", "--target-url", &single_url])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", &env.db.url)
        .env("OPS_BACKUP_DIR", env.dir.path())
        .env("PG_BIN_DIR", spy.path())
        .env("OPS_RESTORE_JOBS", "4")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let (argv, _) = recorded(spy.path(), "pg_restore");
    assert_one_transaction(&argv);
}

#[tokio::test]
async fn the_compression_level_reaches_pg_dump() {
    let env = seeded().await;
    let spy = spy_tools(&env.bindir);
    let mut sizes = Vec::new();
    for level in ["0", "6"] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
            .args(["backup", "--json"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &env.db.url)
            .env("OPS_BACKUP_DIR", env.dir.path())
            .env("PG_BIN_DIR", spy.path())
            .env("OPS_BACKUP_COMPRESSION_LEVEL", level)
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
        let (argv, _) = recorded(spy.path(), "pg_dump");
        assert!(
            argv.contains(&format!("--compress={level}")),
            "{level}: {argv:?}"
        );
        let manifest = json_answer(&out);
        sizes.push(manifest["size_bytes"].as_u64().unwrap());
        // The dump's own header says how it was compressed (PostgreSQL 15: the level;
        // 16 and later: the method).
        let list = std::process::Command::new(env.bindir.join("pg_restore"))
            .arg("--list")
            .arg(ops_agent::manifest::dump_path(
                env.dir.path(),
                manifest["id"].as_str().unwrap(),
            ))
            .output()
            .unwrap();
        let header = String::from_utf8_lossy(&list.stdout);
        let want: &[&str] = if level == "0" {
            &["Compression: 0", "Compression: none"]
        } else {
            &["Compression: 6", "Compression: gzip"]
        };
        assert!(want.iter().any(|w| header.contains(w)), "{header}");
    }
    assert!(
        sizes[0] > sizes[1],
        "level 0 {} vs 6 {}",
        sizes[0],
        sizes[1]
    );

    // The default is level 1.
    let out = env.agent(spy.path(), &["backup"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let (argv, _) = recorded(spy.path(), "pg_dump");
    assert!(argv.contains(&"--compress=1".to_owned()), "{argv:?}");
}

/// Runs the binary with only `vars` (and PATH) set.
fn agent_with(args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", UNUSED_DATABASE_URL)
        .env("OPS_BACKUP_DIR", "/nonexistent/backups")
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn values_out_of_range_exit_2_naming_the_setting() {
    for (args, var, value, named) in [
        (
            &["backup"][..],
            "OPS_BACKUP_COMPRESSION_LEVEL",
            "10",
            "--compress-level",
        ),
        (
            &["restore", "--verify"],
            "OPS_RESTORE_JOBS",
            "0",
            "--restore-jobs",
        ),
        (
            &["run"],
            "OPS_RESTORE_MAINTENANCE_WORK_MEM",
            "256 MB",
            "--restore-maintenance-work-mem",
        ),
    ] {
        let out = agent_with(args, &[(var, value)]);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {stderr}");
        assert!(stderr.contains(named), "{var}={value}: {stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    for (line, key) in [
        ("backup_compression_level = 12", "backup_compression_level"),
        ("restore_jobs = 0", "restore_jobs"),
        (
            "restore_maintenance_work_mem = \"lots\"",
            "restore_maintenance_work_mem",
        ),
    ] {
        let path = dir.path().join("agent.toml");
        std::fs::write(&path, format!("{line}\n")).unwrap();
        let out = agent_with(&["run", "--config", path.to_str().unwrap()], &[]);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{line}: {stderr}");
        assert!(stderr.contains(key), "{line}: {stderr}");
    }
}

/// pg_restore ran as one transaction, without parallel jobs.
fn assert_one_transaction(argv: &[String]) {
    assert!(
        argv.contains(&"--single-transaction".to_owned()),
        "{argv:?}"
    );
    assert!(!argv.iter().any(|a| a.starts_with("--jobs")), "{argv:?}");
}

/// pg_restore ran with two parallel jobs, so not as one transaction.
fn assert_two_jobs(argv: &[String]) {
    assert!(argv.contains(&"--jobs=2".to_owned()), "{argv:?}");
    assert!(
        !argv.contains(&"--single-transaction".to_owned()),
        "{argv:?}"
    );
}
