//! The server's binaries and the commands that run them: finding the binaries, running a
//! command as `postgres` when we are root, a free port, and quoting for `pg_ctl`'s shell.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// `program` from `bindir`, run as `postgres` when `as_postgres`, in `cwd`.
pub(super) fn server_command(
    bindir: &Path,
    program: &str,
    as_postgres: bool,
    cwd: &Path,
) -> Command {
    let path = bindir.join(program);
    let mut cmd = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    };
    cmd.current_dir(cwd).stdin(Stdio::null());
    cmd
}

/// Lets the `postgres` user traverse `dir` (o+x) when it cannot yet.
pub(super) fn reachable_by_others(dir: &Path) {
    if let Ok(meta) = std::fs::metadata(dir) {
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o001));
        }
    }
}

/// The server binaries' folder: `pg_config --bindir` when it holds `initdb`, else the newest
/// `/usr/lib/postgresql/<major>/bin`.
pub fn server_bindir() -> anyhow::Result<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    let mut best: Option<(u32, PathBuf)> = None;
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        for e in entries.flatten() {
            let bin = e.path().join("bin");
            let major = e.file_name().to_string_lossy().parse::<u32>().ok();
            if let Some(major) = major
                && bin.join("initdb").exists()
                && best.as_ref().is_none_or(|(m, _)| major > *m)
            {
                best = Some((major, bin));
            }
        }
    }
    match best {
        Some((_, dir)) => Ok(dir),
        None => bail!(
            "no PostgreSQL server binaries found (pg_config --bindir, /usr/lib/postgresql/*/bin); \
             install the `postgresql` package or set DATABASE_URL"
        ),
    }
}

pub(super) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub(super) fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

pub(super) fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed ({}): {}{}",
            cmd.get_program(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// `s` quoted for a POSIX shell.
pub(super) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
