//! `bot-api serve` started with `compose/.env.example`'s values, the way compose starts it:
//! with the three passwords replaced it serves offline (replies kept in the outbox); copied
//! unchanged it refuses to start, naming DATABASE_URL.

use std::time::Duration;

use shared::testing::env_file::{example_env, example_env_with_real_passwords, value};

use crate::helpers::serve_bin::Serve;
use crate::helpers::{outbox_rows, text, uid};

fn path() -> String {
    std::env::var("PATH").unwrap_or_default()
}

#[tokio::test]
async fn the_example_settings_with_real_passwords_start_an_offline_bot() {
    let (_name, url) = shared::testing::empty_db().await;
    let mut env = example_env_with_real_passwords();
    // What compose.yaml adds for the service: DATABASE_URL, and a listen address on every
    // interface (as in the container), here on a free port. Without a webhook secret that takes
    // the example's BOT_INSECURE_OPEN_WEBHOOK=true.
    env.push(("DATABASE_URL".into(), url.clone()));
    env.push(("PATH".into(), path()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let serve = Serve::start_on("0.0.0.0", &env);
    serve
        .wait_status("/ready", 200, Duration::from_secs(60))
        .await;
    serve
        .wait_line("\"service_started\"", Duration::from_secs(5))
        .await;
    let started = serve
        .stdout()
        .into_iter()
        .find(|l| l.contains("\"service_started\""))
        .unwrap();
    assert!(started.contains("\"offline\":true"), "{started}");

    // Offline without TELEGRAM_WEBHOOK_SECRET: the webhook takes an update without the header.
    let chat = 7_300_000_001;
    let r = reqwest::Client::new()
        .post(format!("{}/telegram/webhook", serve.base))
        .json(&text(uid(), chat, "/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    // The reply is in the outbox and stays there: nothing is sent without a token.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rows: Vec<_> = outbox_rows(&pool)
        .await
        .into_iter()
        .filter(|r| r.1 == chat)
        .collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r.2 == "pending" && r.3 == 0),
        "{rows:?}"
    );
    pool.close().await;
    serve.terminate().await;
}

#[tokio::test]
async fn the_example_settings_unchanged_are_refused_naming_database_url() {
    let env = example_env();
    // DATABASE_URL as compose.yaml builds it for the bot from the file.
    let url = format!(
        "postgres://{}:{}@postgres:5432/{}",
        value(&env, "BOT_DB_USER"),
        value(&env, "BOT_DB_PASSWORD"),
        value(&env, "POSTGRES_DB")
    );
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_bot-api"))
        .arg("serve")
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("DATABASE_URL", url)
        .env("BOT_API_LISTEN", "127.0.0.1:0")
        .env("PATH", path())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("refused at once, not left waiting for the database")
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert_eq!(
        err.trim(),
        "bot-api: error: DATABASE_URL: the password is still the placeholder \"change-me…\" \
         from compose/.env.example; set a real one"
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
