//! `ops-agent backup` and `list` through the real binary: the complete path, killed and
//! concurrent runs, leftovers, version refusal, and credentials kept off every argv.

use ops_agent::lock::FolderLock;
use ops_agent::status::{self, RunKind};

use crate::helpers::seeded::{SEEDED, fake_tools, json_answer, seeded, spy_tools, text};

#[tokio::test]
async fn a_backup_of_a_seeded_database_is_listed_with_its_manifest_and_then_verifies() {
    let env = seeded().await;
    let out = env.agent(&env.bindir, &["backup", "--json"]).await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\"event\":\"backup_completed\""),
        "{stdout}"
    );
    assert!(
        stderr.is_empty(),
        "no progress drawn when not a terminal: {stderr}"
    );
    let manifest = json_answer(&out);
    for (table, n) in SEEDED {
        assert_eq!(manifest["row_counts"][table], n, "{table}");
    }
    assert_eq!(manifest["database"], env.db.name.as_str());
    assert!(
        manifest["pg_dump_version"]
            .as_str()
            .unwrap()
            .contains("PostgreSQL")
    );
    assert!(manifest["indexes"].as_array().unwrap().len() >= 8);

    let out = env.agent(&env.bindir, &["list", "--json"]).await;
    assert!(out.status.success());
    let list = json_answer(&out);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    for field in ["id", "path", "created_at", "size_bytes", "sha256"] {
        assert!(list[0].get(field).is_some(), "list lacks {field}");
    }
    assert_eq!(list[0]["id"], manifest["id"]);
    let id = manifest["id"].as_str().unwrap();
    assert_eq!(
        env.files(),
        vec![format!("{id}.dump"), format!("{id}.manifest.json")]
    );
    let st = status::read(env.dir.path(), RunKind::Backup)
        .unwrap()
        .unwrap();
    assert!(st.success);
    assert_eq!(st.size_bytes, manifest["size_bytes"].as_u64());

    let out = env
        .agent(&env.bindir, &["restore", "--verify", "--json"])
        .await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("\"event\":\"restore_verify_passed\""));
    let report = json_answer(&out);
    assert_eq!(report["passed"], true);
    assert_eq!(report["checks"].as_array().unwrap().len(), 8, "{report}");
    let st = status::read(env.dir.path(), RunKind::Verify)
        .unwrap()
        .unwrap();
    assert!(st.success);
    let scratch: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'ops_verify_' || $1 || '%'",
    )
    .bind(id.to_ascii_lowercase().replace('-', "_"))
    .fetch_one(&env.db.pool)
    .await
    .unwrap();
    assert_eq!(scratch, 0, "the scratch database is dropped");
}

#[tokio::test]
async fn a_killed_pg_dump_leaves_nothing_listed_and_records_the_failure() {
    let env = seeded().await;
    // Writes part of a dump where it was told to, then dies by SIGKILL.
    let tools = fake_tools(
        &env.bindir,
        r#"[ "$1" = "--version" ] && exec "$REAL" --version
out=""; prev=""
for a in "$@"; do [ "$prev" = "--file" ] && out="$a"; prev="$a"; done
head -c 100000 /dev/urandom > "$out"
kill -9 $$"#,
    );
    let out = env.agent(tools.path(), &["backup"]).await;
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("pg_dump was killed"), "{stderr}");
    assert!(stdout.contains("\"event\":\"backup_failed\""), "{stdout}");
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
    let list = json_answer(&env.agent(&env.bindir, &["list", "--json"]).await);
    assert_eq!(list.as_array().unwrap().len(), 0);
    let st = status::read(env.dir.path(), RunKind::Backup)
        .unwrap()
        .unwrap();
    assert!(!st.success);
    assert!(st.error.unwrap().contains("killed"));
}

#[tokio::test]
async fn leftovers_of_an_interrupted_run_are_never_listed_and_are_removed_by_the_next() {
    let env = seeded().await;
    let d = env.dir.path();
    std::fs::write(d.join(".tmp-20260101T000000Z-dead.dump"), b"partial").unwrap();
    std::fs::write(d.join(".tmp-20260101T000000Z-dead.manifest.json"), b"{}").unwrap();
    // A dump without a manifest is not a backup: never listed, never deleted.
    std::fs::write(d.join("20250101T000000Z-0000.dump"), b"orphan").unwrap();
    let list = json_answer(&env.agent(&env.bindir, &["list", "--json"]).await);
    assert_eq!(list.as_array().unwrap().len(), 0);

    let out = env.agent(&env.bindir, &["backup"]).await;
    assert!(out.status.success(), "{:?}", text(&out));
    let files = env.files();
    assert!(files.iter().all(|f| !f.starts_with(".tmp-")), "{files:?}");
    assert!(files.contains(&"20250101T000000Z-0000.dump".to_owned()));
    assert_eq!(files.len(), 3, "{files:?}");
}

#[tokio::test]
async fn a_second_run_is_refused_while_another_holds_the_lock() {
    let env = seeded().await;
    let held = FolderLock::acquire(env.dir.path()).unwrap();
    let out = env.agent(&env.bindir, &["backup"]).await;
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("another backup run is in progress"),
        "{stderr}"
    );
    drop(held);
    assert!(env.agent(&env.bindir, &["backup"]).await.status.success());
}

#[tokio::test]
async fn of_two_concurrent_runs_exactly_one_completes() {
    let env = seeded().await;
    let slow = fake_tools(
        &env.bindir,
        "[ \"$1\" = \"--version\" ] || sleep 2\nexec \"$REAL\" \"$@\"",
    );
    let (a, b) = tokio::join!(
        env.agent(slow.path(), &["backup"]),
        env.agent(slow.path(), &["backup"])
    );
    let ok = [&a, &b].iter().filter(|o| o.status.success()).count();
    assert_eq!(ok, 1, "{:?} {:?}", text(&a), text(&b));
    let refused = if a.status.success() { &b } else { &a };
    assert!(
        text(refused)
            .1
            .contains("another backup run is in progress")
    );
    let list = json_answer(&env.agent(&env.bindir, &["list", "--json"]).await);
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_password_reaches_pg_dump_and_pg_restore_through_a_private_file_never_their_argv() {
    let env = seeded().await;
    let spy = spy_tools(&env.bindir);
    let backup = env.agent(spy.path(), &["backup"]).await;
    assert!(backup.status.success(), "{:?}", text(&backup));
    let verify = env.agent(spy.path(), &["restore", "--verify"]).await;
    assert!(verify.status.success(), "{:?}", text(&verify));
    let password = match shared::testing::server() {
        shared::testing::Server::Throwaway(c) => c.password().to_owned(),
        shared::testing::Server::External(url) => url.clone(),
    };
    for tool in ["pg_dump", "pg_restore"] {
        let read =
            |ext: &str| std::fs::read_to_string(spy.path().join(format!("{tool}.{ext}"))).unwrap();
        let (argv, envs, passfile) = (read("argv"), read("env"), read("passfile"));
        assert!(
            !argv.contains(&password),
            "password on {tool}'s argv: {argv}"
        );
        assert!(!argv.contains("postgres://"), "{argv}");
        assert!(
            !envs.contains(&password),
            "password in {tool}'s environment"
        );
        assert!(
            !envs.contains("DATABASE_URL"),
            "our environment is not inherited"
        );
        assert!(envs.contains("PGPASSFILE=") && envs.contains("PGHOST="));
        assert!(passfile.starts_with("-rw-------"), "{passfile}");
        let line = envs.lines().find(|l| l.starts_with("PGPASSFILE=")).unwrap();
        assert!(
            !std::path::Path::new(&line["PGPASSFILE=".len()..]).exists(),
            "the password file is removed after the run"
        );
    }
    let dump_argv = std::fs::read_to_string(spy.path().join("pg_dump.argv")).unwrap();
    assert!(dump_argv.contains("--snapshot="), "{dump_argv}");
    for out in [&backup, &verify] {
        let (stdout, stderr) = text(out);
        assert!(!stdout.contains(&password) && !stderr.contains(&password));
    }
}

#[tokio::test]
async fn a_pg_dump_older_than_the_server_is_refused_by_name() {
    let env = seeded().await;
    let old = fake_tools(
        &env.bindir,
        "[ \"$1\" = \"--version\" ] && { echo 'pg_dump (PostgreSQL) 9.6.24'; exit 0; }\nexit 1",
    );
    let out = env.agent(old.path(), &["backup"]).await;
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("pg_dump 9 is older than the PostgreSQL server"),
        "{stderr}"
    );
    assert!(env.files().is_empty());
}

#[tokio::test]
async fn a_backup_and_a_drill_whose_database_url_is_unusable_are_recorded_as_failed() {
    let dir = tempfile::tempdir().unwrap();
    for (command, kind, event) in [
        (
            "backup",
            ops_agent::status::RunKind::Backup,
            "backup_failed",
        ),
        (
            "restore",
            ops_agent::status::RunKind::Verify,
            "restore_verify_failed",
        ),
    ] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
            .args([command])
            .args((command == "restore").then_some("--verify"))
            .env_clear()
            .env("DATABASE_URL", "postgres://u:pw@127.0.0.1:1/")
            .env("OPS_BACKUP_DIR", dir.path())
            .output()
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{command}: an unusable DATABASE_URL is configuration"
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("\"event\":\"{event}\"")),
            "{stdout}"
        );
        let status = status::read(dir.path(), kind).unwrap().unwrap();
        assert!(!status.success, "{command}");
        assert!(
            status
                .error
                .unwrap()
                .contains("DATABASE_URL names no database"),
            "{command}"
        );
    }
}
