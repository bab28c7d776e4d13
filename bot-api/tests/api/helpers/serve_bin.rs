//! Runs the real `bot-api serve` binary with a given environment, capturing its output.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::testing::eventually;
use tokio::io::{AsyncBufReadExt, BufReader};

/// A running `bot-api serve`.
pub struct Serve {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    child: tokio::process::Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn collect<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    r: R,
) -> (Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let task = tokio::spawn(async move {
        let mut r = BufReader::new(r).lines();
        while let Ok(Some(l)) = r.next_line().await {
            sink.lock().unwrap().push(l);
        }
    });
    (lines, task)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Serve {
    /// Starts `bot-api serve` with only `env` (plus `BOT_API_LISTEN` on a free port).
    pub fn start(env: &[(&str, &str)]) -> Self {
        Self::start_on("127.0.0.1", env)
    }

    /// Like [`Serve::start`], listening on `host` (e.g. `0.0.0.0`); reached on 127.0.0.1.
    pub fn start_on(host: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_bot-api"));
        cmd.arg("serve")
            .env_clear()
            .env("BOT_API_LISTEN", format!("{host}:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let (stdout, t1) = collect(child.stdout.take().unwrap());
        let (stderr, t2) = collect(child.stderr.take().unwrap());
        Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
            stdout,
            stderr,
            tasks: vec![t1, t2],
        }
    }

    /// Stdout lines so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// Stderr lines so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until `GET path` answers `status`.
    pub async fn wait_status(&self, path: &str, status: u16, timeout: Duration) {
        let http = reqwest::Client::new();
        let url = format!("{}{path}", self.base);
        let answered = eventually(
            || async {
                let r = http.get(&url).send().await;
                r.is_ok_and(|r| r.status() == status)
            },
            timeout,
        )
        .await;
        assert!(
            answered,
            "{path} never answered {status}; stdout {:?}; stderr {:?}",
            self.stdout(),
            self.stderr()
        );
    }

    /// Waits until a stdout line contains `needle`.
    pub async fn wait_line(&self, needle: &str, timeout: Duration) {
        let seen = eventually(
            || async { self.stdout().iter().any(|l| l.contains(needle)) },
            timeout,
        )
        .await;
        assert!(seen, "no line with {needle}: {:?}", self.stdout());
    }

    /// Sends SIGTERM, waits for a clean exit, and returns (stdout, stderr).
    pub async fn terminate(mut self) -> (Vec<String>, Vec<String>) {
        let pid = self.child.id().unwrap().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("bot-api stops on SIGTERM")
            .unwrap();
        assert!(exit.success(), "{exit:?}; stderr {:?}", self.stderr());
        for t in self.tasks.drain(..) {
            t.await.unwrap();
        }
        (self.stdout(), self.stderr())
    }
}
