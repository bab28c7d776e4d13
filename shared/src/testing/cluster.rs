//! A throwaway PostgreSQL cluster started from the system's server binaries.
//!
//! The binaries are found through `pg_config --bindir` or Debian's versioned folders
//! (`/usr/lib/postgresql/<major>/bin`), never assumed on `PATH`. The cluster lives in a
//! temporary folder, listens on a free loopback port, runs with `fsync=off`, and requires a
//! password (scram) so tests exercise real credentials. PostgreSQL refuses to run as root, so
//! when the tests run as root every server command runs as the `postgres` user.
//!
//! A watchdog process stops the cluster and deletes its folder as soon as the test process
//! exits, however it exits (passing, failing, panicking or killed).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// A running throwaway cluster.
#[derive(Debug)]
pub struct Cluster {
    bindir: PathBuf,
    root: PathBuf,
    port: u16,
    password: String,
    as_postgres: bool,
}

/// Superuser name of every throwaway cluster.
pub const SUPERUSER: &str = "postgres";

impl Cluster {
    /// Initialises and starts a new cluster; it is stopped when the process exits.
    pub fn start_new() -> anyhow::Result<Self> {
        let bindir = server_bindir()?;
        let as_postgres = is_root();
        let root = tempfile::Builder::new()
            .prefix("pgtest-")
            .tempdir()
            .context("creating a temporary folder for the test cluster")?
            .keep();
        let password = format!("pw-{:016x}", rand::random::<u64>());
        std::fs::write(root.join("pwfile"), &password)?;
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&root))?;
        }
        let cluster = Self {
            bindir,
            root,
            port: free_port()?,
            password,
            as_postgres,
        };
        let data = cluster.data_dir();
        let mut initdb = cluster.server_cmd("initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                "--no-sync",
                "--no-locale",
                "-E",
                "UTF8",
            ])
            .arg(format!(
                "--pwfile={}",
                cluster.root.join("pwfile").display()
            ));
        run(&mut initdb).context("initdb")?;
        cluster.spawn_watchdog()?;
        cluster.start()?;
        Ok(cluster)
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    pub fn start(&self) -> anyhow::Result<()> {
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
            self.port,
            self.root.display()
        );
        let mut cmd = self.server_cmd("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.root.join("server.log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"]);
        run(&mut cmd).with_context(|| {
            format!(
                "starting the test cluster; see {}/server.log",
                self.root.display()
            )
        })
    }

    /// Stops the server immediately (as a crash or an outage would), keeping its data.
    pub fn stop(&self) -> anyhow::Result<()> {
        let mut cmd = self.server_cmd("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .args(["-w", "-m", "immediate", "stop"]);
        run(&mut cmd).context("stopping the test cluster")
    }

    /// URL of database `db` as the superuser (password included).
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// The superuser's password (tests assert it never leaks).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Folder holding this server's binaries (`pg_dump`, `pg_restore`, `psql`…).
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn server_cmd(&self, program: &str) -> Command {
        let path = self.bindir.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        cmd.current_dir(&self.root).stdin(Stdio::null());
        cmd
    }

    /// A detached shell that outlives nothing: it polls this process and, once it is gone,
    /// stops the server and removes the folder.
    fn spawn_watchdog(&self) -> anyhow::Result<()> {
        let stop = self.server_cmd("pg_ctl");
        let mut stop_line = String::new();
        stop_line.push_str(&shell_quote(stop.get_program().to_string_lossy().as_ref()));
        for a in stop.get_args() {
            stop_line.push(' ');
            stop_line.push_str(&shell_quote(&a.to_string_lossy()));
        }
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {stop_line} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {root}",
            pid = std::process::id(),
            data = shell_quote(&self.data_dir().to_string_lossy()),
            root = shell_quote(&self.root.to_string_lossy()),
        );
        // Its own process group: a Ctrl-C or a timeout that kills the test's group must not
        // take the watchdog with it, or the cluster would outlive the tests.
        Command::new("sh")
            .args(["-c", &script])
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("spawning the test cluster's watchdog")?;
        Ok(())
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

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
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

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
