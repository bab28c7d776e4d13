//! `ops-agent probe` and `ops-agent run` as processes: exit codes, output, configuration errors.

use std::process::Command;

use crate::helpers::FakeBotApi;

fn ops_agent() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ops-agent"));
    c.env_remove("DATABASE_URL")
        .env_remove("OPS_AGENT_CONFIG")
        .env_remove("BOT_API_URL")
        .env("LOG_FORMAT", "json");
    c
}

#[tokio::test]
async fn probe_prints_each_target_and_exits_0_when_healthy() {
    let api = FakeBotApi::start_new().await;
    let url = api.url();
    let out = tokio::task::spawn_blocking(move || {
        ops_agent()
            .args(["probe", "--bot-api-url", &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in ["health   ok", "ready    ok", "metrics  ok", "healthy"] {
        assert!(stdout.contains(line), "{line:?} missing:\n{stdout}");
    }
}

#[tokio::test]
async fn probe_exits_non_zero_when_the_bot_api_is_down() {
    let mut api = FakeBotApi::start_new().await;
    api.stop().await;
    let url = api.url();
    let out = tokio::task::spawn_blocking(move || {
        ops_agent()
            .args(["probe", "--timeout-seconds", "1"])
            .env("BOT_API_URL", &url)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("health   FAIL") && stdout.contains("UNHEALTHY"),
        "{stdout}"
    );
}

#[test]
fn run_with_a_bad_config_names_the_key_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("agent.toml");
    std::fs::write(&cfg, "[jobs.verify]\nschedule = \"every sunday\"\n").unwrap();
    let out = ops_agent()
        .args(["run", "--listen", "127.0.0.1:0"])
        .env("OPS_AGENT_CONFIG", &cfg)
        .env("DATABASE_URL", "postgres://u:hunter2pw@127.0.0.1:1/db")
        .env("OPS_BACKUP_DIR", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("jobs.verify.schedule"), "{stderr}");
    assert!(
        !stderr.contains("hunter2pw")
            && !String::from_utf8_lossy(&out.stdout).contains("hunter2pw")
    );
}

#[test]
fn run_with_a_missing_config_file_says_which_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = ops_agent()
        .args([
            "run",
            "--listen",
            "127.0.0.1:0",
            "--config",
            "/nonexistent/agent.toml",
        ])
        .env("DATABASE_URL", "postgres://u:p@127.0.0.1:1/db")
        .env("OPS_BACKUP_DIR", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/nonexistent/agent.toml"), "{stderr}");
}

#[test]
fn run_refuses_a_bot_api_url_that_is_not_http() {
    let dir = tempfile::tempdir().unwrap();
    let out = ops_agent()
        .args([
            "run",
            "--listen",
            "127.0.0.1:0",
            "--bot-api-url",
            "localhost:8080",
        ])
        .env("DATABASE_URL", "postgres://u:p@127.0.0.1:1/db")
        .env("OPS_BACKUP_DIR", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("BOT_API_URL"), "{stderr}");
}
