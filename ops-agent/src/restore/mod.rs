//! Restoring backups: [`verify`] restores into a scratch database, runs the integrity checks
//! of [`checks`] and drops it; [`restore_into`] restores into a real target database.
//!
//! Both check the dump's sha256 against its manifest before pg_restore sees a byte of it.
//! The daemon's `verify` job calls [`verify`]; `ops-agent restore --verify` does too.

pub mod checks;
mod pg_restore;
mod report;
pub mod scratch;
mod target;

pub use checks::{CheckId, CheckResult};
pub use report::VerifyReport;
pub use target::{Overwrite, restore_into};

use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::events::backup::StatusWriteFailed;
use crate::events::restore::{RestoreVerifyFailed, RestoreVerifyPassed};
use crate::lock::FolderLock;
use crate::manifest;
use crate::pgtools::PgTarget;
use crate::status::{self, RunKind, RunStatus};
use crate::store::BackupStore;
use pg_restore::{Plan, checksum, restore_and_check};

/// Restores `backup_id` (default: newest) of `store` into a scratch database on `database`'s
/// server, checks it, drops it. Records the outcome in the status file whatever happens; `Ok`
/// carries failed checks too. When another drill holds the lock nothing is recorded or logged.
pub async fn verify(
    database: &PgTarget,
    store: &BackupStore,
    backup_id: Option<&str>,
) -> anyhow::Result<VerifyReport> {
    let started_at = Utc::now();
    let clock = Instant::now();
    let result = verify_inner(database, store, backup_id, clock).await;
    if let Err(e) = &result
        && crate::exit::is_busy(e)
    {
        // Another drill holds the lock: nothing ran, so nothing is recorded as failed.
        return result;
    }
    let outcome = result
        .as_ref()
        .map_err(|e| status::redacted_reason(database, e));
    record(store, started_at, clock, outcome);
    result
}

/// Records a drill that could not start because `DATABASE_URL` is unusable, as any failed
/// drill is recorded: `restore_verify_failed` and the status file, so the daemon's
/// `RestoreVerifyFailed` alert also sees a cron-run drill with a broken setting.
pub fn record_unstarted(store: &BackupStore, error: &anyhow::Error) {
    record(store, Utc::now(), Instant::now(), Err(format!("{error:#}")));
}

/// Logs the outcome of a drill that started at `started_at` (`Err` holds the redacted reason
/// of an error; failed checks are an `Ok` report) and writes it to the status file.
fn record(
    store: &BackupStore,
    started_at: DateTime<Utc>,
    clock: Instant,
    outcome: Result<&VerifyReport, String>,
) {
    let duration_seconds = clock.elapsed().as_secs_f64();
    let mut status = RunStatus::unfinished(RunKind::Verify, started_at, duration_seconds);
    if let Ok(r) = &outcome {
        status.backup_id = Some(r.backup_id.clone());
        status.size_bytes = Some(r.size_bytes);
    }
    match outcome {
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
        Err(reason) => {
            RestoreVerifyFailed {
                backup_id: None,
                duration_seconds,
                reason: &reason,
            }
            .emit();
            status.error = Some(reason);
        }
    }
    if let Err(error) = status::record(&store.dir, status) {
        StatusWriteFailed {
            run: RunKind::Verify,
            error: &error,
        }
        .emit();
    }
}

async fn verify_inner(
    source: &PgTarget,
    store: &BackupStore,
    backup_id: Option<&str>,
    clock: Instant,
) -> anyhow::Result<VerifyReport> {
    let dir = &store.dir;
    // One drill per folder at a time; scratch databases no live drill holds are leftovers.
    let _lock = FolderLock::acquire_verify(dir)?;
    let entry = manifest::find(dir, backup_id)?;
    // First, whatever happens next: scratch databases of killed drills go.
    let mut admin = scratch::Admin::connect(source).await?;
    let stale_scratch_dropped = admin.drop_stale().await?;
    let mut report = VerifyReport {
        backup_id: entry.id.clone(),
        passed: false,
        checks: vec![checksum(&entry).await?],
        size_bytes: entry.size_bytes,
        duration_seconds: 0.0,
        restore_seconds: 0.0,
        checks_seconds: 0.0,
        stale_scratch_dropped,
    };
    if report.checks[0].passed {
        let scratch = scratch::Scratch::create(admin, source, &entry.id).await?;
        let outcome = restore_and_check(
            &store.tools,
            store.tool_timeout,
            scratch.target(),
            &entry,
            &Plan::drill(&store.restore),
        )
        .await;
        let dropped = scratch.drop_now().await;
        let timed = outcome?;
        dropped?;
        report.checks.extend(timed.checks);
        report.restore_seconds = timed.restore_seconds;
        report.checks_seconds = timed.checks_seconds;
    } else {
        admin.close().await;
    }
    report.passed = report.checks.iter().all(|c| c.passed);
    report.duration_seconds = clock.elapsed().as_secs_f64();
    Ok(report)
}
