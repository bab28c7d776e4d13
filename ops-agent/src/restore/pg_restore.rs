//! One restore of a backup into a database: the dump's checksum against its manifest, then
//! `pg_restore` as a [`Plan`] says (one transaction, or parallel jobs), then the integrity
//! checks of [`super::checks`].

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};

use super::checks::{self, CheckId, CheckResult};
use crate::manifest::{self, BackupEntry};
use crate::pgtools::{Credentials, PgTarget, PgTools, SessionSettings, read_tail, wait_limited};
use crate::store::RestoreTuning;

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

/// How one pg_restore runs.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// 1: `--single-transaction`; more: `--jobs=N`, each item in its own transaction.
    pub(super) jobs: u32,
    /// `PGOPTIONS` of every connection pg_restore opens (its parallel workers' too).
    pub(super) session: SessionSettings,
    /// `--clean --if-exists`: drop what the dump re-creates first.
    pub(super) clean: bool,
}

impl Plan {
    /// A drill's restore into its scratch database: parallel by default, the index builds'
    /// memory, and commits that do not wait for the WAL flush (with `--jobs` every item
    /// commits; a crash can only lose a database the drill drops anyway).
    pub(super) fn drill(tuning: &RestoreTuning) -> Self {
        Self {
            jobs: tuning.drill_jobs,
            session: SessionSettings::default()
                .set("maintenance_work_mem", tuning.maintenance_work_mem)
                .set("synchronous_commit", "off"),
            clean: false,
        }
    }

    /// A real restore: `jobs` as the operator asked (1, one transaction, unless `--jobs`),
    /// the index builds' memory, and durable commits.
    pub(super) fn real(tuning: &RestoreTuning, jobs: u32, clean: bool) -> Self {
        Self {
            jobs,
            session: SessionSettings::default()
                .set("maintenance_work_mem", tuning.maintenance_work_mem),
            clean,
        }
    }
}

/// pg_restore into `target` as `plan` says (killed past `limit`), then the checks on it.
pub(super) async fn restore_and_check(
    tools: &PgTools,
    limit: Duration,
    target: &PgTarget,
    entry: &BackupEntry,
    plan: &Plan,
) -> anyhow::Result<Timed> {
    let clock = Instant::now();
    run_pg_restore(tools, limit, target, &entry.path, plan).await?;
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
    plan: &Plan,
) -> anyhow::Result<()> {
    let creds = Credentials::new(target)?;
    let mut cmd = tools.command("pg_restore", target, &creds);
    cmd.args([
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--no-password",
    ]);
    if plan.jobs > 1 {
        // Tables load and indexes build side by side, but every item commits on its own: a
        // failure leaves what was restored so far (pg_restore cannot combine the two).
        cmd.arg(format!("--jobs={}", plan.jobs));
    } else {
        // One transaction: a failed restore leaves the target as it was.
        cmd.arg("--single-transaction");
    }
    if plan.clean {
        cmd.args(["--clean", "--if-exists"]);
    }
    if let Some(options) = plan.session.pgoptions() {
        cmd.env("PGOPTIONS", options);
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
