//! One restore of a backup into a database: the dump's checksum against its manifest, then
//! `pg_restore` in one transaction, then the integrity checks of [`super::checks`].

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};

use super::checks::{self, CheckId, CheckResult};
use crate::manifest::{self, BackupEntry};
use crate::pgtools::{Credentials, PgTarget, PgTools, read_tail, wait_limited};

/// The dump's size and sha256 against its manifest.
pub(super) async fn checksum(entry: &BackupEntry) -> anyhow::Result<CheckResult> {
    let path = entry.path.clone();
    let (size, sha) = tokio::task::spawn_blocking(move || manifest::hash_file(&path))
        .await?
        .with_context(|| format!("reading {}", entry.path.display()))?;
    let passed = size == entry.size_bytes && sha == entry.sha256;
    Ok(CheckResult {
        id: CheckId::Sha256,
        passed,
        detail: if passed {
            format!("{size} bytes, sha256 {} matches the manifest", &sha[..16])
        } else {
            format!(
                "file {size} bytes sha256 {}…, manifest {} bytes sha256 {}…",
                &sha[..16],
                entry.size_bytes,
                entry.sha256.get(..16).unwrap_or(&entry.sha256)
            )
        },
    })
}

/// The checks of one restore and how long its phases took.
pub(super) struct Timed {
    pub(super) checks: Vec<CheckResult>,
    pub(super) restore_seconds: f64,
    pub(super) checks_seconds: f64,
}

/// pg_restore into `target` (killed past `limit`), then the checks on it.
pub(super) async fn restore_and_check(
    tools: &PgTools,
    limit: Duration,
    target: &PgTarget,
    entry: &BackupEntry,
    clean: bool,
) -> anyhow::Result<Timed> {
    let clock = Instant::now();
    run_pg_restore(tools, limit, target, &entry.path, clean).await?;
    let restore_seconds = clock.elapsed().as_secs_f64();
    let mut conn = PgConnection::connect_with(&target.options)
        .await
        .context("connecting to the restored database")?;
    let checks = checks::run_all(&mut conn, &entry.manifest).await;
    let _ = conn.close().await;
    Ok(Timed {
        checks,
        restore_seconds,
        checks_seconds: clock.elapsed().as_secs_f64() - restore_seconds,
    })
}

async fn run_pg_restore(
    tools: &PgTools,
    limit: Duration,
    target: &PgTarget,
    dump: &Path,
    clean: bool,
) -> anyhow::Result<()> {
    let creds = Credentials::new(target)?;
    let mut cmd = tools.command("pg_restore", target, &creds);
    // One transaction: a failed restore leaves the target as it was, and one commit instead of
    // hundreds keeps the drill close to the speed of the data copy itself.
    cmd.args([
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--no-password",
        "--single-transaction",
    ]);
    if clean {
        cmd.args(["--clean", "--if-exists"]);
    }
    // A plain database name (no credentials): host, user and password come from the PG* env.
    cmd.arg(format!("--dbname={}", target.dbname))
        .arg(dump)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .context("starting pg_restore (set PG_BIN_DIR to the folder holding it)")
        .context(crate::exit::Unavailable("pg_restore cannot run".into()))?;
    let stderr = child.stderr.take().context("pg_restore's stderr")?;
    let tail = tokio::spawn(read_tail(stderr, 4096));
    let status = wait_limited(&mut child, limit, "pg_restore").await?;
    let text = tail.await.unwrap_or_default();
    if !status.success() {
        bail!("pg_restore failed ({status}): {text}");
    }
    Ok(())
}
