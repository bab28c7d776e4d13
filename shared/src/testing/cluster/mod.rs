//! A throwaway PostgreSQL cluster started from the system's server binaries: the one
//! implementation behind the tests' harness and the scripts (through the `pg-throwaway`
//! binary, `shared/src/bin/pg-throwaway.rs`, which `scripts/lib/pg.sh` wraps).
//!
//! The binaries are found through `pg_config --bindir` or Debian's versioned folders
//! (`/usr/lib/postgresql/<major>/bin`), never assumed on `PATH`. The cluster listens on a free
//! loopback port and requires a password (scram) so every user exercises real credentials.
//! PostgreSQL refuses to run as root, so when run as root every server command runs as the
//! `postgres` user.
//!
//! Tests' clusters ([`Cluster::start_new`]) live in a temporary folder and run with
//! `fsync=off`; the scripts' ([`Cluster::start_in`]) live in a folder the script names and keep
//! PostgreSQL's durable defaults plus the script's `-c` settings (bench measures with them).
//!
//! A watchdog process stops the cluster and deletes its folder as soon as the watched process
//! (the test process, or the script) exits, however it exits (passing, failing, panicking or
//! killed).

mod server;
mod watchdog;

pub use server::server_bindir;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use server::{free_port, is_root, reachable_by_others, run, server_command, shell_quote};
use watchdog::MARKER;

/// A running throwaway cluster.
#[derive(Debug)]
pub struct Cluster {
    bindir: PathBuf,
    root: PathBuf,
    port: u16,
    password: String,
    as_postgres: bool,
    /// `name=value` server settings given with `-c` at every start.
    settings: Vec<String>,
}

/// Superuser name of every throwaway cluster.
pub const SUPERUSER: &str = "postgres";

/// Speed over durability: a test cluster's data is gone when the tests end anyway.
const TEST_SETTINGS: [&str; 4] = [
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=400",
];

impl Cluster {
    /// Initialises and starts a new test cluster in a temporary folder (`fsync=off`); it is
    /// stopped and removed when this process exits.
    pub fn start_new() -> anyhow::Result<Self> {
        let root = tempfile::Builder::new()
            .prefix("pgtest-")
            .tempdir()
            .context("creating a temporary folder for the test cluster")?
            .keep();
        let settings = TEST_SETTINGS.iter().map(|s| (*s).to_owned()).collect();
        Self::init(root, settings, true, std::process::id())
    }

    /// Initialises and starts a cluster in `root` (created; a throwaway cluster already
    /// there is stopped and replaced) with PostgreSQL's durable defaults plus `settings`
    /// (`name=value`); it is stopped and `root` removed when process `watch_pid` exits, or
    /// by [`Cluster::stop_folder`].
    pub fn start_in(root: &Path, settings: &[String], watch_pid: u32) -> anyhow::Result<Self> {
        for s in settings {
            if !s.contains('=') {
                bail!("server setting {s:?} is not name=value");
            }
        }
        Self::stop_folder(root)?;
        std::fs::create_dir_all(root)
            .with_context(|| format!("creating the cluster folder {}", root.display()))?;
        let root = root
            .canonicalize()
            .with_context(|| format!("resolving {}", root.display()))?;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))?;
        Self::init(root, settings.to_vec(), false, watch_pid)
    }

    fn init(
        root: PathBuf,
        settings: Vec<String>,
        no_sync: bool,
        watch_pid: u32,
    ) -> anyhow::Result<Self> {
        let bindir = server_bindir()?;
        let as_postgres = is_root();
        std::fs::write(root.join(MARKER), "")?;
        let password = format!("pw-{:016x}", rand::random::<u64>());
        let pwfile = root.join("pwfile");
        std::fs::write(&pwfile, &password)?;
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o600))?;
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&root))?;
            let mut dir = root.parent();
            while let Some(d) = dir {
                reachable_by_others(d);
                dir = d.parent();
            }
        }
        let cluster = Self {
            bindir,
            root,
            port: free_port()?,
            password,
            as_postgres,
            settings,
        };
        cluster.spawn_watchdog(watch_pid)?;
        let mut initdb = cluster.server_cmd("initdb");
        initdb.arg("-D").arg(cluster.data_dir()).args([
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            "--no-locale",
            "-E",
            "UTF8",
        ]);
        if no_sync {
            initdb.arg("--no-sync");
        }
        initdb.arg(format!("--pwfile={}", pwfile.display()));
        run(&mut initdb).context("initdb")?;
        cluster.start()?;
        Ok(cluster)
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    pub fn start(&self) -> anyhow::Result<()> {
        // pg_ctl hands -o to a shell: every value is quoted.
        let mut opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c {}",
            self.port,
            shell_quote(&format!("unix_socket_directories={}", self.root.display()))
        );
        for s in &self.settings {
            opts.push_str(" -c ");
            opts.push_str(&shell_quote(s));
        }
        let mut cmd = self.server_cmd("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.root.join("server.log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"]);
        run(&mut cmd).with_context(|| {
            format!(
                "starting the throwaway cluster; see {}/server.log",
                self.root.display()
            )
        })
    }

    /// Stops the server immediately (as a crash or an outage would), keeping its data.
    ///
    /// A checkpoint comes first: under the test settings (`synchronous_commit=off`) an
    /// immediate stop would lose the commits of the last fraction of a second, which a
    /// production server (durable commits) never does, so a test could lose, say, the
    /// migration it just applied. The checkpoint is best effort: a server already down has
    /// nothing to flush.
    pub fn stop(&self) -> anyhow::Result<()> {
        let mut flush = self.server_cmd("psql");
        flush
            .args(["-X", "-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", SUPERUSER, "-d", "postgres", "-c", "CHECKPOINT"])
            .env("PGPASSWORD", &self.password)
            .env("PGCONNECT_TIMEOUT", "5");
        let _ = run(&mut flush);
        let mut cmd = self.server_cmd("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .args(["-w", "-m", "immediate", "stop"]);
        run(&mut cmd).context("stopping the throwaway cluster")
    }

    /// Stops the throwaway cluster in `root` (if one runs), ends its watchdog and removes the
    /// folder. Nothing to do when `root` does not exist; refuses a non-empty folder that no
    /// throwaway cluster made.
    pub fn stop_folder(root: &Path) -> anyhow::Result<()> {
        watchdog::stop_folder(root)
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

    /// Folder holding the cluster (data, server log, socket).
    pub fn folder(&self) -> &Path {
        &self.root
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn server_cmd(&self, program: &str) -> Command {
        server_command(&self.bindir, program, self.as_postgres, &self.root)
    }

    /// A detached shell that polls process `watch_pid` and, once it is gone, stops the server
    /// and removes the folder. Its pid is kept in the folder for [`Cluster::stop_folder`].
    fn spawn_watchdog(&self, watch_pid: u32) -> anyhow::Result<()> {
        watchdog::spawn(
            &self.server_cmd("pg_ctl"),
            &self.data_dir(),
            &self.root,
            watch_pid,
        )
    }
}

#[cfg(test)]
mod tests {
    /// scripts/seed.sql (the rehearsal's and bench's seed) also seeds tests: sent as one batch
    /// through sqlx, sized by `SET seed.*` in the same batch.
    #[tokio::test]
    async fn the_shared_seed_runs_as_one_batch_through_sqlx() {
        let db = crate::testing::test_db().await;
        let sql = format!(
            "SET seed.masters = 5; SET seed.slots = 100; SET seed.clients = 200; \
             SET seed.updates = 10;\n{}",
            include_str!("../../../../scripts/seed.sql")
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&db.pool)
            .await
            .unwrap();
        let counts: (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM masters), \
             (SELECT count(*) FROM bookings), \
             (SELECT count(*) FROM bookings WHERE status = 'cancelled'), \
             (SELECT count(*) FROM outbox)",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(counts, (205, 5, 500, 50, 10));
    }
}
