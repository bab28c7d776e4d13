//! A running client tool as a child process: its time limit, killing its whole process group,
//! and the tail of its stderr kept for the failure reason.

use std::process::Stdio;

use anyhow::{Context, bail};

/// Waits for `child` (a client tool started by [`PgTools`](super::PgTools)) at most `limit`;
/// past it, kills the child's whole process group and fails with "<tool> timed out after N s".
pub async fn wait_limited(
    child: &mut tokio::process::Child,
    limit: std::time::Duration,
    tool: &str,
) -> anyhow::Result<std::process::ExitStatus> {
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => status.with_context(|| format!("waiting for {tool}")),
        Err(_elapsed) => {
            kill_group(child);
            let _ = child.wait().await;
            bail!("{tool} timed out after {} s", limit.as_secs_f64())
        }
    }
}

/// SIGKILL to the process group `child` leads (see [`PgTools`](super::PgTools)), then to the
/// child itself.
pub fn kill_group(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.start_kill();
}

/// Keeps the last `limit` bytes of a child's stderr, for the failure reason.
pub async fn read_tail(mut r: impl tokio::io::AsyncRead + Unpin, limit: usize) -> String {
    use tokio::io::AsyncReadExt;
    let mut tail = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > limit {
            tail.drain(..tail.len() - limit);
        }
    }
    String::from_utf8_lossy(&tail).trim().to_owned()
}
