//! `ops-agent` started with `compose/.env.example`'s values, the way compose starts it: with the
//! three passwords replaced `run` serves /health and stops on SIGTERM; copied unchanged,
//! `backup` refuses to start, naming DATABASE_URL.

use std::fs::File;
use std::process::Stdio;
use std::time::Duration;

use shared::testing::env_file::{example_env, example_env_with_real_passwords, value};
use shared::testing::eventually;

use crate::helpers::FakeBotApi;

fn path() -> String {
    std::env::var("PATH").unwrap_or_default()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sigterm(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn the_example_settings_with_real_passwords_start_the_daemon() {
    let db = shared::testing::test_db().await;
    let api = FakeBotApi::start_new().await;
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let (stdout, stderr) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let logs = || {
        format!(
            "stdout {}\nstderr {}",
            std::fs::read_to_string(&stdout).unwrap_or_default(),
            std::fs::read_to_string(&stderr).unwrap_or_default()
        )
    };
    // What compose.yaml and the image add for the service. No --config: the compose file's
    // own TOML is not this test's business; without one every default applies.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
        .arg("run")
        .env_clear()
        .envs(example_env_with_real_passwords())
        .env("DATABASE_URL", &db.url)
        .env("OPS_BACKUP_DIR", &backups)
        .env("OPS_AGENT_LISTEN", &listen)
        .env("BOT_API_URL", api.url())
        .env("PG_BIN_DIR", shared::testing::server_bindir().unwrap())
        .env("PATH", path())
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let up = eventually(
        || {
            let exited = child.try_wait().unwrap().is_some();
            let health = format!("http://{listen}/health");
            async move { exited || reqwest::get(health).await.is_ok_and(|r| r.status() == 200) }
        },
        Duration::from_secs(30),
    )
    .await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "ops-agent exited: {}",
        logs()
    );
    assert!(up, "/health never answered 200: {}", logs());

    sigterm(child.id().unwrap());
    let exit = tokio::time::timeout(Duration::from_secs(70), child.wait())
        .await
        .expect("ops-agent stops on SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}: {}", logs());
    assert!(logs().contains("\"service_stopped\""), "{}", logs());
}

#[tokio::test]
async fn the_example_settings_unchanged_make_backup_refuse_naming_database_url() {
    let env = example_env();
    let dir = tempfile::tempdir().unwrap();
    // DATABASE_URL as compose.yaml builds it for the agent from the file.
    let url = format!(
        "postgres://{}:{}@postgres:5432/{}",
        value(&env, "OPS_DB_USER"),
        value(&env, "OPS_DB_PASSWORD"),
        value(&env, "POSTGRES_DB")
    );
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
        .arg("backup")
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("DATABASE_URL", url)
        .env("OPS_BACKUP_DIR", dir.path())
        .env("PATH", path())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("refused at once, not left trying the database")
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert_eq!(
        err.trim(),
        "ops-agent: error: DATABASE_URL: the password is still the placeholder \"change-me…\" \
         from compose/.env.example; set a real one"
    );
    // Nothing was attempted: no backup, no status file, no lock.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
