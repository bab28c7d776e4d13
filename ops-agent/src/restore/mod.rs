//! Restoring backups: [`verify`] restores into a scratch database, runs the integrity checks
//! of [`checks`] and drops it; [`restore_into`] restores into a real target database.
//!
//! Both check the dump's sha256 against its manifest before pg_restore sees a byte of it.
//! The daemon's `verify` job calls [`verify`]; `ops-agent restore --verify` does too.

pub mod checks;
mod scratch;
mod target;

pub use checks::{CheckId, CheckResult};
pub use target::restore_into;

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use sqlx::{Connection, PgConnection};

use crate::events::backup::StatusWriteFailed;
use crate::events::restore::{RestoreVerifyFailed, RestoreVerifyPassed};
use crate::lock::FolderLock;
use crate::manifest::{self, BackupEntry};
use crate::pgtools::{Credentials, PgTarget, PgTools, read_tail};
use crate::status::{self, RunKind, RunStatus};
use crate::store::BackupStore;

/// The drill's report: passed only when every check passed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    /// The backup restored.
    pub backup_id: String,
    /// Whether every check passed.
    pub passed: bool,
    /// One entry per check, in order.
    pub checks: Vec<CheckResult>,
    /// Size of the dump restored, in bytes.
    pub size_bytes: u64,
    /// Wall time of the whole drill, in seconds.
    pub duration_seconds: f64,
    /// Of which pg_restore, in seconds.
    pub restore_seconds: f64,
    /// Of which the integrity checks, in seconds.
    pub checks_seconds: f64,
}

impl VerifyReport {
    /// The report as text, one line per check.
    pub fn render(&self) -> String {
        let mut s = format!("backup {}\n", self.backup_id);
        for c in &self.checks {
            s.push_str(&format!(
                "{} {:<26} {}\n",
                if c.passed { "PASS" } else { "FAIL" },
                c.id,
                c.detail
            ));
        }
        s.push_str(&format!(
            "{} in {:.2} s (pg_restore {:.2} s, checks {:.2} s)\n",
            if self.passed { "PASSED" } else { "FAILED" },
            self.duration_seconds,
            self.restore_seconds,
            self.checks_seconds
        ));
        s
    }
}

/// Restores `backup_id` (default: newest) of `store` into a scratch database on `database`'s
/// server, checks it, drops it. Records the outcome in the status file whatever happens; `Ok`
/// carries failed checks too.
pub async fn verify(
    database: &PgTarget,
    store: &BackupStore,
    backup_id: Option<&str>,
) -> anyhow::Result<VerifyReport> {
    let started_at = Utc::now();
    let clock = Instant::now();
    let result = verify_inner(database, store, backup_id, clock).await;
    let duration_seconds = clock.elapsed().as_secs_f64();
    let mut status = RunStatus::unfinished(RunKind::Verify, started_at, duration_seconds);
    match &result {
        Ok(r) if r.passed => {
            RestoreVerifyPassed {
                backup_id: &r.backup_id,
                size_bytes: r.size_bytes,
                duration_seconds,
            }
            .emit();
            status.success = true;
        }
        Ok(r) => {
            let failed: Vec<_> = r
                .checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| c.id.as_str())
                .collect();
            let reason = format!("failed checks: {}", failed.join(", "));
            RestoreVerifyFailed {
                backup_id: Some(&r.backup_id),
                duration_seconds,
                reason: &reason,
            }
            .emit();
            status.error = Some(reason);
        }
        Err(e) => {
            let reason = status::redacted_reason(database, e);
            RestoreVerifyFailed {
                backup_id: None,
                duration_seconds,
                reason: &reason,
            }
            .emit();
            status.error = Some(reason);
        }
    }
    if let Ok(r) = &result {
        status.backup_id = Some(r.backup_id.clone());
        status.size_bytes = Some(r.size_bytes);
    }
    if let Err(error) = status::record(&store.dir, status) {
        StatusWriteFailed {
            run: RunKind::Verify,
            error: &error,
        }
        .emit();
    }
    result
}

async fn verify_inner(
    source: &PgTarget,
    store: &BackupStore,
    backup_id: Option<&str>,
    clock: Instant,
) -> anyhow::Result<VerifyReport> {
    let dir = &store.dir;
    // One drill per folder at a time, so scratch databases of this folder's backups that
    // exist now are leftovers of a killed drill.
    let _lock = FolderLock::acquire_verify(dir)?;
    let entry = manifest::find(dir, backup_id)?;
    let mut report = VerifyReport {
        backup_id: entry.id.clone(),
        passed: false,
        checks: vec![checksum(&entry).await?],
        size_bytes: entry.size_bytes,
        duration_seconds: 0.0,
        restore_seconds: 0.0,
        checks_seconds: 0.0,
    };
    if report.checks[0].passed {
        let scratch = scratch::Scratch::create(source, dir, &entry.id).await?;
        let outcome = restore_and_check(&store.tools, scratch.target(), &entry, false).await;
        let dropped = scratch.drop_now().await;
        let timed = outcome?;
        dropped?;
        report.checks.extend(timed.checks);
        report.restore_seconds = timed.restore_seconds;
        report.checks_seconds = timed.checks_seconds;
    }
    report.passed = report.checks.iter().all(|c| c.passed);
    report.duration_seconds = clock.elapsed().as_secs_f64();
    Ok(report)
}

/// The dump's size and sha256 against its manifest.
pub(crate) async fn checksum(entry: &BackupEntry) -> anyhow::Result<CheckResult> {
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
pub(crate) struct Timed {
    pub(crate) checks: Vec<CheckResult>,
    pub(crate) restore_seconds: f64,
    pub(crate) checks_seconds: f64,
}

/// pg_restore into `target`, then the checks on it.
pub(crate) async fn restore_and_check(
    tools: &PgTools,
    target: &PgTarget,
    entry: &BackupEntry,
    clean: bool,
) -> anyhow::Result<Timed> {
    let clock = Instant::now();
    run_pg_restore(tools, target, &entry.path, clean).await?;
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
        .context("starting pg_restore (set PG_BIN_DIR to the folder holding it)")?;
    let stderr = child.stderr.take().context("pg_restore's stderr")?;
    let tail = tokio::spawn(read_tail(stderr, 4096));
    let status = child.wait().await.context("waiting for pg_restore")?;
    let text = tail.await.unwrap_or_default();
    if !status.success() {
        bail!("pg_restore failed ({status}): {text}");
    }
    Ok(())
}
