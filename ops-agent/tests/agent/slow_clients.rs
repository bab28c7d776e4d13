//! Slow and hostile clients of the agent's own HTTP (issue 13): half a request head is cut off
//! at the header timeout, clients beyond the connection cap wait, and `ops-agent run` exits
//! on SIGTERM within the shutdown grace whatever its clients do. Limits come from the TOML
//! file's `[http]` table (in-process daemon) or the `OPS_` variables (the real binary).

use std::process::Stdio;
use std::time::{Duration, Instant};

use shared::http_server::raw_client::{HALF_HEAD, Outcome, RawClient, status};
use shared::testing::eventually;

use crate::helpers::{FakeBotApi, TestDaemon, UNUSED_DATABASE_URL, probe_only};

const S: Duration = Duration::from_secs(1);
const GET_HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

#[tokio::test]
async fn half_a_request_head_is_disconnected_within_the_header_timeout() {
    let api = FakeBotApi::start_new().await;
    let toml = probe_only("[http]\nheader_timeout_seconds = 1\n");
    let daemon = TestDaemon::start(&toml, &api.url()).await;
    let mut c = RawClient::send_to(daemon.addr, HALF_HEAD).await.unwrap();
    match c.closed_within(5 * S).await {
        Outcome::Closed(after) => assert!(after >= S / 2, "closed after {after:?}"),
        Outcome::TimedOut => panic!("half a head still connected after 5 s"),
    }
    daemon.stop().await;
}

#[tokio::test]
async fn beyond_the_connection_cap_clients_wait_until_one_is_freed() {
    let api = FakeBotApi::start_new().await;
    let toml = probe_only("[http]\nmax_connections = 4\n");
    let daemon = TestDaemon::start(&toml, &api.url()).await;
    let mut holders = Vec::new();
    for _ in 0..4 {
        holders.push(RawClient::send_to(daemon.addr, HALF_HEAD).await.unwrap());
    }
    let mut waiting = RawClient::send_to(daemon.addr, GET_HEALTH).await.unwrap();
    assert_eq!(
        waiting.response_within(S / 2).await,
        None,
        "a fifth connection was served with a cap of 4"
    );
    drop(holders.pop());
    let resp = waiting
        .response_within(5 * S)
        .await
        .expect("served once a slot was freed");
    assert_eq!(status(&resp), Some(200), "{resp}");
    holders.clear();
    // Healthy afterwards, and the scrape still works.
    let text = daemon.scrape().await;
    assert!(text.contains("ops_agent_start_time_seconds"), "{text}");
    daemon.stop().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ops-agent run` with probes only, on a free port, with `env` added.
fn agent_run(
    dir: &std::path::Path,
    listen: &str,
    api: &str,
    env: &[(&str, &str)],
) -> tokio::process::Command {
    let config = dir.join("agent.toml");
    std::fs::write(&config, probe_only("")).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"));
    cmd.arg("run")
        .env_clear()
        .env("OPS_AGENT_CONFIG", &config)
        .env("OPS_AGENT_LISTEN", listen)
        .env("BOT_API_URL", api)
        .env("DATABASE_URL", UNUSED_DATABASE_URL)
        .env("OPS_BACKUP_DIR", dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn run_exits_on_sigterm_within_the_grace_with_stuck_clients_connected() {
    let api = FakeBotApi::start_new().await;
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let stdout = dir.path().join("stdout");
    let mut child = agent_run(
        dir.path(),
        &listen,
        &api.url(),
        &[("OPS_SHUTDOWN_GRACE_SECONDS", "1")],
    )
    .stdout(std::fs::File::create(&stdout).unwrap())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let health = format!("http://{listen}/health");
    let up = eventually(
        || {
            let health = health.clone();
            async move { reqwest::get(health).await.is_ok_and(|r| r.status() == 200) }
        },
        30 * S,
    )
    .await;
    assert!(up, "/health never answered");
    let addr = listen.parse().unwrap();
    let _stuck = [
        RawClient::send_to(addr, HALF_HEAD).await.unwrap(),
        RawClient::send_to(addr, HALF_HEAD).await.unwrap(),
    ];
    tokio::time::sleep(S / 5).await;

    let start = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = tokio::time::timeout(10 * S, child.wait())
        .await
        .expect("ops-agent exits on SIGTERM")
        .unwrap();
    let took = start.elapsed();
    let out = std::fs::read_to_string(&stdout).unwrap();
    assert!(exit.success(), "{exit:?}: {out}");
    assert!(
        took < 5 * S,
        "exit took {took:?} with a grace of 1 s: {out}"
    );
    let line = out
        .lines()
        .find(|l| l.contains("\"shutdown_deadline\""))
        .unwrap_or_else(|| panic!("no shutdown_deadline line: {out}"));
    assert!(
        line.contains("\"level\":\"warn\"") && line.contains("\"connections\":2"),
        "{line}"
    );
    assert!(out.contains("\"service_stopped\""), "{out}");
}

#[tokio::test]
async fn zero_or_out_of_range_limits_exit_2_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let listen = "127.0.0.1:0";
    for (var, value, named) in [
        ("OPS_HTTP_MAX_CONNECTIONS", "0", "--http-max-connections"),
        (
            "OPS_HTTP_HEADER_TIMEOUT_SECONDS",
            "0",
            "--http-header-timeout-seconds",
        ),
        (
            "OPS_HTTP_REQUEST_TIMEOUT_SECONDS",
            "3601",
            "--http-request-timeout-seconds",
        ),
        (
            "OPS_SHUTDOWN_GRACE_SECONDS",
            "0",
            "--shutdown-grace-seconds",
        ),
    ] {
        let out = agent_run(dir.path(), listen, "http://127.0.0.1:1", &[(var, value)])
            .output()
            .await
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {err}");
        assert!(err.contains(named), "{var}={value}: {err}");
    }
    // The same in the TOML file names its key.
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, probe_only("[http]\nmax_connections = 0\n")).unwrap();
    let out = agent_run(dir.path(), listen, "http://127.0.0.1:1", &[])
        .env("OPS_AGENT_CONFIG", &config)
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("http.max_connections"), "{err}");
}
