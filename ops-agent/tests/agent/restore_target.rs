//! `restore --target-url` cannot hit the wrong database: the source is recognised by
//! `system_identifier` and `current_database()` whatever the URL says, a non-empty target
//! needs `--force --confirm <name>`, the target comes only from the command line, and the
//! password may stay off it (password file).

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use crate::helpers::seeded::{Env, json_answer, seeded, text};

/// Runs the agent as [`Env::agent`] does, plus `extra` variables.
async fn agent_with(env: &Env, args: &[&str], extra: &[(&str, &str)]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", &env.db.url)
        .env("OPS_BACKUP_DIR", env.dir.path())
        .env("PG_BIN_DIR", &env.bindir)
        .env("LOG_FORMAT", "json")
        .envs(extra.iter().copied())
        .output()
        .await
        .expect("running ops-agent")
}

/// The URL's password (between `user:` and `@`), and the URL without it.
fn split_password(url: &str) -> (String, String) {
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (user, pw) = scheme_user.rsplit_once(':').unwrap();
    (pw.to_owned(), format!("{user}@{rest}"))
}

#[tokio::test]
async fn the_source_reached_through_its_unix_socket_is_refused_as_the_source() {
    let shared::testing::Server::Throwaway(cluster) = shared::testing::server() else {
        return; // an external server's socket folder is not known
    };
    let env = seeded().await;
    ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let (pw, _) = split_password(&env.db.url);
    // Same cluster and database, spelt as a socket folder instead of 127.0.0.1.
    let via_socket = format!(
        "postgres://postgres:{pw}@localhost/{}?host={}&port={}",
        env.db.name,
        cluster.folder().display(),
        cluster.port()
    );
    let out = agent_with(&env, &["restore", "--target-url", &via_socket], &[]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("source database itself"), "{stderr}");
    assert!(!stderr.contains(&pw), "{stderr}");
    let bookings: i64 = sqlx::query_scalar("SELECT count(*) FROM bookings")
        .fetch_one(&env.db.pool)
        .await
        .unwrap();
    assert_eq!(bookings, 500, "the source is untouched");
}

#[tokio::test]
async fn overwriting_a_non_empty_target_needs_force_and_its_name_confirmed() {
    let env = seeded().await;
    ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let (target_name, target_url) = shared::testing::empty_db().await;
    let out = agent_with(&env, &["restore", "--target-url", &target_url], &[]).await;
    assert!(out.status.success(), "{:?}", text(&out));

    for args in [
        vec!["--force"],
        vec!["--force", "--confirm", "booking"],
        vec!["--confirm", target_name.as_str()],
    ] {
        let mut argv = vec!["restore", "--target-url", &target_url];
        argv.extend(&args);
        let out = agent_with(&env, &argv, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {:?}", text(&out));
    }
    let out = agent_with(
        &env,
        &[
            "restore",
            "--target-url",
            &target_url,
            "--force",
            "--confirm",
            &target_name,
            "--json",
        ],
        &[],
    )
    .await;
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(json_answer(&out)["passed"], true);
}

#[tokio::test]
async fn the_target_password_can_come_from_a_password_file_and_never_from_the_environment_url() {
    let env = seeded().await;
    ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let (_, target_url) = shared::testing::empty_db().await;
    let (pw, bare) = split_password(&target_url);

    // Without a password anywhere (and no terminal): refused, saying where one would go.
    let out = agent_with(&env, &["restore", "--target-url", &bare], &[]).await;
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("PGPASSFILE"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let pgpass = dir.path().join("pgpass");
    std::fs::write(&pgpass, format!("*:*:*:*:{pw}\n")).unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let pgpass = pgpass.to_str().unwrap();
    let out = agent_with(
        &env,
        &["restore", "--target-url", &bare, "--json"],
        &[("PGPASSFILE", pgpass)],
    )
    .await;
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(json_answer(&out)["passed"], true);

    // OPS_RESTORE_TARGET_URL is no setting: a cron drill with it set is still a drill, and a
    // bare `restore` is a usage error, never a real restore.
    let other = [("OPS_RESTORE_TARGET_URL", target_url.as_str())];
    let out = agent_with(&env, &["restore", "--verify"], &other).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let out = agent_with(&env, &["restore"], &other).await;
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
}

/// Found by the fault suite (scripts/faults, runbook_restore): when the incident took the
/// source's server with it, `restore --target-url` refused to run at all (exit 3, the source
/// unreachable), so the runbook could not restore into a new server. Now an empty target is
/// restored (nothing there to lose); one holding tables is still refused, even when forced.
#[tokio::test]
async fn a_lost_source_still_restores_into_an_empty_target_but_not_over_tables() {
    let env = seeded().await;
    ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let (target_name, target_url) = shared::testing::empty_db().await;
    let lost = [("DATABASE_URL", "postgres://postgres:pw@127.0.0.1:1/booking")];
    let out = agent_with(&env, &["restore", "--target-url", &target_url], &lost).await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("restore_source_unreachable"), "{stdout}");
    assert!(stdout.contains("PASS row_counts"), "{stdout}");

    let argv = [
        "restore",
        "--target-url",
        &target_url,
        "--force",
        "--confirm",
        &target_name,
    ];
    let out = agent_with(&env, &argv, &lost).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("cannot be reached to tell them apart"),
        "{stderr}"
    );
}
