//! `bot-api serve` start-up: bad configuration exits non-zero naming the setting; an
//! unreachable database is waited for (with the reason logged), not crash-looped on.

use std::sync::Arc;
use std::time::Duration;

use shared::testing::{Cluster, create_database};

use crate::helpers::TOKEN;
use crate::helpers::serve_bin::Serve;

#[tokio::test]
async fn webhook_mode_with_a_token_and_no_secret_refuses_to_start() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bot-api"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", "postgres://u:pw-not-shown@127.0.0.1:1/db")
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TELEGRAM_WEBHOOK_SECRET"), "{err}");
    assert!(
        !err.contains(TOKEN) && !err.contains("pw-not-shown"),
        "{err}"
    );
}

#[tokio::test]
async fn an_open_webhook_on_a_non_loopback_address_refuses_to_start() {
    // Neither token nor secret: the webhook would take anyone's updates.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bot-api"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", "postgres://u:pw-not-shown@127.0.0.1:1/db")
        .env("BOT_API_LISTEN", "0.0.0.0:1")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TELEGRAM_WEBHOOK_SECRET")
            && err.contains("BOT_INSECURE_OPEN_WEBHOOK")
            && err.contains("0.0.0.0:1"),
        "{err}"
    );
}

#[tokio::test]
async fn bot_insecure_open_webhook_serves_an_open_webhook_and_warns_about_it() {
    let db = shared::testing::test_db().await;
    let serve = Serve::start_on(
        "0.0.0.0",
        &[
            ("DATABASE_URL", &db.url),
            ("BOT_INSECURE_OPEN_WEBHOOK", "true"),
        ],
    );
    serve
        .wait_status("/ready", 200, Duration::from_secs(60))
        .await;
    serve
        .wait_line("\"webhook_insecure_open\"", Duration::from_secs(5))
        .await;
    let r = reqwest::Client::new()
        .post(format!("{}/telegram/webhook", serve.base))
        .json(&crate::helpers::text(crate::helpers::uid(), 1, "/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (out, _) = serve.terminate().await;
    let warning = out
        .iter()
        .find(|l| l.contains("\"webhook_insecure_open\""))
        .unwrap();
    assert!(warning.contains("\"level\":\"warn\""), "{warning}");
    assert!(warning.contains("0.0.0.0:"), "{warning}");
}

#[tokio::test]
async fn a_malformed_database_url_is_named_without_being_echoed() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bot-api"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", "not a url pw-not-shown")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DATABASE_URL"), "{err}");
    assert!(!err.contains("pw-not-shown"), "{err}");
}

#[tokio::test]
async fn serve_waits_for_an_unreachable_database_and_then_starts() {
    let cluster = Arc::new(
        tokio::task::spawn_blocking(Cluster::start_new)
            .await
            .unwrap()
            .unwrap(),
    );
    create_database(&cluster.url("postgres"), "app").await;
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop())
        .await
        .unwrap()
        .unwrap();

    let url = cluster.url("app");
    let serve = Serve::start(&[("DATABASE_URL", &url)]);
    serve
        .wait_line("\"database_unavailable\"", Duration::from_secs(20))
        .await;
    assert!(
        serve
            .stdout()
            .iter()
            .any(|l| l.contains("Connection refused")),
        "{:?}",
        serve.stdout()
    );

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start())
        .await
        .unwrap()
        .unwrap();
    serve
        .wait_status("/ready", 200, Duration::from_secs(60))
        .await;
    serve
        .wait_line("\"service_started\"", Duration::from_secs(5))
        .await;
    let (out, err) = serve.terminate().await;
    let password = cluster.password();
    assert!(out.iter().chain(err.iter()).all(|l| !l.contains(password)));
}

#[tokio::test]
async fn migrate_applies_the_schema_to_an_empty_database_and_exits() {
    let (_name, url) = shared::testing::empty_db().await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bot-api"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"migrations_applied\""), "{stdout}");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(outbox, 0);
}
