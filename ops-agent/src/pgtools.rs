//! PostgreSQL client tools (`pg_dump`, `pg_restore`) as child processes, and the connection
//! parameters they get.
//!
//! Credentials never reach a child's command line: host, port, user and database travel as
//! `PGHOST`/`PGPORT`/`PGUSER`/`PGDATABASE`, the password through a 0600 `PGPASSFILE` in a
//! private (0700) temporary folder that is removed when [`Credentials`] is dropped. Each child's
//! environment is cleared first, so nothing else of ours (e.g. `DATABASE_URL`) leaks into it.

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

    /// The password of the password file libpq would read for this target: `PGPASSFILE`, else
    /// `~/.pgpass`; ignored (as libpq does) unless it is a regular file without group or world
    /// access. Lines are `host:port:database:user:password`, `*` matches anything, `\` escapes
    /// `:` and `\`, the first matching line wins; a socket folder matches the host `localhost`.
    pub fn pgpass_password(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<SecretString> {
        use std::os::unix::fs::PermissionsExt;
        let path = match env("PGPASSFILE").filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => PathBuf::from(env("HOME").filter(|h| !h.is_empty())?).join(".pgpass"),
        };
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let host = if self.host.starts_with('/') {
            "localhost"
        } else {
            self.host.as_str()
        };
        let port = self.port.to_string();
        let wanted = [
            host,
            port.as_str(),
            self.dbname.as_str(),
            self.user.as_str(),
        ];
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(split_pgpass_line)
            .find(|fields| {
                fields[..4]
                    .iter()
                    .zip(wanted)
                    .all(|(f, w)| f == "*" || f == w)
            })
            .map(|fields| SecretString::from(fields[4].clone()))
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

/// The five fields of one `.pgpass` line, unescaped; `None` for a malformed line.
fn split_pgpass_line(line: &str) -> Option<[String; 5]> {
    let mut fields: Vec<String> = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut()?.push(chars.next().unwrap_or('\\')),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut()?.push(c),
        }
    }
    fields.try_into().ok()
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

/// Waits for `child` (a client tool started by [`PgTools`]) at most `limit`; past it, kills the
/// child's whole process group and fails with "<tool> timed out after N s".
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

/// SIGKILL to the process group `child` leads (see [`PgTools`]), then to the child itself.
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

/// Major version in `pg_dump (PostgreSQL) 15.8 (Debian 15.8-1.pgdg120+1)` → 15.
pub fn parse_tool_major(text: &str) -> Option<u32> {
    let after = text.split_once(')').map_or(text, |(_, r)| r).trim_start();
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Refuses a dump tool older than the server: it could miss objects or fail mid-dump.
pub fn check_tool_not_older(
    tool: &str,
    tool_major: u32,
    server_version_num: u32,
) -> anyhow::Result<()> {
    let server_major = server_version_num / 10_000;
    if tool_major < server_major {
        bail!(
            "{tool} {tool_major} is older than the PostgreSQL server {server_major}; install the \
             client tools of version {server_major} or newer and point PG_BIN_DIR at them"
        );
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_major_versions_of_tool_banners() {
        assert_eq!(
            parse_tool_major("pg_dump (PostgreSQL) 15.8 (Debian 15.8-1)"),
            Some(15)
        );
        assert_eq!(parse_tool_major("pg_restore (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_tool_major("garbage"), None);
    }

    #[test]
    fn an_older_pg_dump_is_refused_with_both_versions_named() {
        assert!(check_tool_not_older("pg_dump", 15, 150_008).is_ok());
        assert!(check_tool_not_older("pg_dump", 16, 150_008).is_ok());
        let err = check_tool_not_older("pg_dump", 14, 160_002)
            .unwrap_err()
            .to_string();
        assert!(err.contains("14") && err.contains("16"), "{err}");
    }

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

    #[test]
    fn a_password_file_is_read_by_libpq_rules() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:5432:*:*:nope\n*:5432:app:u:p\\:w\\\\d\n*:*:*:*:fallback\n",
        )
        .unwrap();
        let path = file.display().to_string();
        let env = |k: &str| (k == "PGPASSFILE").then(|| path.clone());
        let t = PgTarget::from_url(&"postgres://u@db:5432/app".into(), "X").unwrap();
        assert!(!t.has_password());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            t.pgpass_password(&env).is_none(),
            "group/world-readable: ignored"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let pw = t.pgpass_password(&env).unwrap();
        assert_eq!(pw.expose_secret(), "p:w\\d");
        let other = t.with_database("x").pgpass_password(&env).unwrap();
        assert_eq!(other.expose_secret(), "fallback");
        let t = t.with_password(pw);
        assert_eq!(t.password(), Some("p:w\\d"));
        assert!(t.pgpass_password(&|_| None).is_none());
    }
}
