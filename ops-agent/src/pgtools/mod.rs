//! PostgreSQL client tools (`pg_dump`, `pg_restore`) as child processes, and the connection
//! parameters they get.
//!
//! Credentials never reach a child's command line: host, port, user and database travel as
//! `PGHOST`/`PGPORT`/`PGUSER`/`PGDATABASE`, the password through a 0600 `PGPASSFILE` in a
//! private (0700) temporary folder that is removed when [`Credentials`] is dropped. Each child's
//! environment is cleared first, so nothing else of ours (e.g. `DATABASE_URL`) leaks into it.
//! Session settings travel as `PGOPTIONS` ([`SessionSettings`]), off the command line too.

mod child;
mod pgpass;
mod session;
mod version;

pub use child::{kill_group, read_tail, wait_limited};
pub use session::{MemorySize, SessionSettings};
pub use version::{check_tool_not_older, parse_tool_major};

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgSslMode};

/// Where one database lives, as the client tools need it (no password: see [`Credentials`]).
/// Its `Debug` shows where, never the password (sqlx's `PgConnectOptions` would print it).
#[derive(Clone)]
pub struct PgTarget {
    /// Host name, address or socket folder.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Role name.
    pub user: String,
    /// Database name.
    pub dbname: String,
    /// `PGSSLMODE` value.
    pub sslmode: &'static str,
    /// sqlx options for connecting from this process (password included, never printed).
    pub options: PgConnectOptions,
    password: Option<SecretString>,
    /// The URL this was parsed from, kept only to mask it in error text (see
    /// [`crate::status::redacted_reason`]); [`PgTarget::with_database`] keeps it unchanged.
    source_url: SecretString,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl PgTarget {
    /// Parses a connection URL; errors never quote it.
    pub fn from_url(url: &SecretString, setting: &str) -> anyhow::Result<Self> {
        let options = url
            .expose_secret()
            .parse::<PgConnectOptions>()
            .map_err(|_| anyhow::anyhow!("{setting} is not a valid PostgreSQL URL"))?;
        let host = match options.get_socket() {
            Some(dir) => dir.display().to_string(),
            None => options.get_host().to_owned(),
        };
        let Some(dbname) = options.get_database().map(str::to_owned) else {
            bail!("{setting} names no database (postgres://user@host:port/<database>)");
        };
        let sslmode = match options.get_ssl_mode() {
            PgSslMode::Disable => "disable",
            PgSslMode::Allow => "allow",
            PgSslMode::Prefer => "prefer",
            PgSslMode::Require => "require",
            PgSslMode::VerifyCa => "verify-ca",
            PgSslMode::VerifyFull => "verify-full",
        };
        Ok(Self {
            host,
            port: options.get_port(),
            user: options.get_username().to_owned(),
            dbname,
            sslmode,
            password: shared::config::url_password(url.expose_secret()).map(SecretString::from),
            options,
            source_url: url.clone(),
        })
    }

    /// The same server and role, another database.
    pub fn with_database(&self, dbname: &str) -> Self {
        let mut t = self.clone();
        t.dbname = dbname.to_owned();
        t.options = t.options.database(dbname);
        t
    }

    /// Whether the URL carried a password (or one was added with [`PgTarget::with_password`]).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The same target with `password` for this process and the client tools.
    pub fn with_password(mut self, password: SecretString) -> Self {
        self.options = self.options.password(password.expose_secret());
        self.password = Some(password);
        self
    }

    /// The password, for redacting error messages.
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|p| p.expose_secret())
    }

    /// The URL this target was parsed from, for masking it in error text.
    pub fn source_url(&self) -> &SecretString {
        &self.source_url
    }
}

/// A private folder holding the 0600 password file of one run; removed on drop.
#[derive(Debug)]
pub struct Credentials {
    dir: PathBuf,
    passfile: Option<PathBuf>,
}

impl Credentials {
    /// Writes `target`'s password (if any) into a fresh private folder.
    pub fn new(target: &PgTarget) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "ops-agent-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("creating private folder {}", dir.display()))?;
        let mut creds = Self {
            dir,
            passfile: None,
        };
        if let Some(pw) = target.password() {
            let path = creds.dir.join("pgpass");
            let line = format!("*:*:*:*:{}\n", pw.replace('\\', "\\\\").replace(':', "\\:"));
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .context("creating the password file")?;
            std::io::Write::write_all(&mut f, line.as_bytes())
                .context("writing the password file")?;
            creds.passfile = Some(path);
        }
        Ok(creds)
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Finds and runs the client tools.
#[derive(Debug, Clone)]
pub struct PgTools {
    bin_dir: Option<PathBuf>,
}

impl PgTools {
    /// Tools from `bin_dir` (`PG_BIN_DIR`), else from `PATH`.
    pub fn new(bin_dir: Option<&Path>) -> Self {
        Self {
            bin_dir: bin_dir.map(Path::to_path_buf),
        }
    }

    fn program(&self, name: &str) -> PathBuf {
        match &self.bin_dir {
            Some(d) => d.join(name),
            None => PathBuf::from(name),
        }
    }

    /// A command for `name` with a cleared environment: only `PATH`, the locale and the `PG*`
    /// variables naming `target`. No argument carries a credential.
    pub fn command(
        &self,
        name: &str,
        target: &PgTarget,
        creds: &Credentials,
    ) -> tokio::process::Command {
        let mut cmd = self.bare(name);
        cmd.env("PGHOST", &target.host)
            .env("PGPORT", target.port.to_string())
            .env("PGUSER", &target.user)
            .env("PGDATABASE", &target.dbname)
            .env("PGSSLMODE", target.sslmode)
            .env("PGAPPNAME", "ops-agent")
            .env("PGCONNECT_TIMEOUT", "10");
        match &creds.passfile {
            Some(p) => cmd.env("PGPASSFILE", p),
            None => cmd.env("PGPASSFILE", creds.dir.join("none")),
        };
        cmd
    }

    fn bare(&self, name: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(self.program(name));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LC_ALL", "C.UTF-8")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            // Its own process group, so a time limit kills whatever it started too.
            .process_group(0)
            .kill_on_drop(true);
        cmd
    }

    /// `<name> --version`: the full version text and its major number.
    pub async fn version(&self, name: &str) -> anyhow::Result<(String, u32)> {
        let prog = self.program(name);
        let out = self
            .bare(name)
            .arg("--version")
            .output()
            .await
            .with_context(|| {
                format!(
                    "running {} --version (set PG_BIN_DIR to the folder holding it)",
                    prog.display()
                )
            })?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !out.status.success() {
            bail!("{} --version failed ({})", prog.display(), out.status);
        }
        let major = parse_tool_major(&text)
            .with_context(|| format!("cannot read a version in {name}'s answer {text:?}"))?;
        Ok((text, major))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_password() {
        let t = PgTarget::from_url(&"postgres://u:hunter2pw@db:5432/app".into(), "X").unwrap();
        let shown = format!("{t:?} {:?}", t.with_database("other"));
        assert!(!shown.contains("hunter2pw"), "{shown}");
        assert!(
            shown.contains("db") && shown.contains("[redacted]"),
            "{shown}"
        );
    }
}
