//! A throwaway cluster's folder outliving no one: the marker that makes a folder one of ours,
//! the watchdog process that stops the server and removes the folder once the watched process
//! exits, and stopping and removing such a folder on request (ending its watchdog first).

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::server::{is_root, run, server_bindir, server_command, shell_quote};

/// Marks a folder as a throwaway cluster's, so [`stop_folder`] may delete it.
pub(super) const MARKER: &str = ".pg-throwaway";
const WATCHDOG_PID: &str = "watchdog.pid";

/// Stops the throwaway cluster in `root` (if one runs), ends its watchdog and removes the
/// folder. Nothing to do when `root` does not exist; refuses a non-empty folder that no
/// throwaway cluster made.
pub(super) fn stop_folder(root: &Path) -> anyhow::Result<()> {
    if !root.exists() {
        return Ok(());
    }
    let ours = root.join(MARKER).exists()
        // Folders made by scripts/lib/pg.sh before pg-throwaway existed.
        || (root.join("pwfile").exists() && root.join("data/PG_VERSION").exists());
    let empty = std::fs::read_dir(root)
        .with_context(|| format!("reading {}", root.display()))?
        .next()
        .is_none();
    if !ours && !empty {
        bail!(
            "{} is not a throwaway cluster's folder; not removing it",
            root.display()
        );
    }
    if let Ok(pid) = std::fs::read_to_string(root.join(WATCHDOG_PID)) {
        let pid = pid.trim();
        // Only the process group this folder's watchdog leads (a recycled pid is left alone).
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let mine = String::from_utf8_lossy(&cmdline).contains(&*root.to_string_lossy());
        if mine && !pid.is_empty() {
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
    if root.join("data/postmaster.pid").exists() {
        let bindir = server_bindir()?;
        let mut cmd = server_command(&bindir, "pg_ctl", is_root(), root);
        cmd.arg("-D")
            .arg(root.join("data"))
            .args(["-w", "-t", "60", "-m", "fast", "stop"]);
        // A server that is not running (crashed, already stopped) is not an error here.
        let _ = run(&mut cmd);
    }
    std::fs::remove_dir_all(root).with_context(|| format!("removing {}", root.display()))
}

/// A detached shell that polls process `watch_pid` and, once it is gone, runs `stop` (a
/// `pg_ctl` command) on `data` and removes `root`. Its pid is kept in `root` for
/// [`stop_folder`].
pub(super) fn spawn(
    stop: &Command,
    data: &Path,
    root: &Path,
    watch_pid: u32,
) -> anyhow::Result<()> {
    let mut stop_line = String::new();
    stop_line.push_str(&shell_quote(stop.get_program().to_string_lossy().as_ref()));
    for a in stop.get_args() {
        stop_line.push(' ');
        stop_line.push_str(&shell_quote(&a.to_string_lossy()));
    }
    let script = format!(
        "while kill -0 {watch_pid} 2>/dev/null; do sleep 0.5; done; \
         {stop_line} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {root}",
        data = shell_quote(&data.to_string_lossy()),
        root = shell_quote(&root.to_string_lossy()),
    );
    // Its own process group: a Ctrl-C or a timeout that kills the watched process's group
    // must not take the watchdog with it, or the cluster would outlive its user.
    let child = Command::new("sh")
        .args(["-c", &script])
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("spawning the throwaway cluster's watchdog")?;
    std::fs::write(root.join(WATCHDOG_PID), child.id().to_string())?;
    Ok(())
}
