//! A real restore into a target database (`restore --target-url`): refuses the source database
//! itself and a non-empty target unless forced, then restores and runs the drill's checks.

use std::time::Instant;

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};

use super::pg_restore::{checksum, restore_and_check};
use super::report::VerifyReport;
use crate::events::restore::RestoreCompleted;
use crate::manifest;
use crate::pgtools::PgTarget;
use crate::store::BackupStore;

/// Restores `backup_id` (default: newest) of `store` into `target` for real, then runs the
/// checks on it. Refuses `source` (the database backed up) itself, and a target holding tables
/// unless `force` (which drops the objects the dump re-creates).
pub async fn restore_into(
    source: &PgTarget,
    store: &BackupStore,
    target: &PgTarget,
    backup_id: Option<&str>,
    force: bool,
) -> anyhow::Result<VerifyReport> {
    let clock = Instant::now();
    if source.same_database(target) {
        bail!(
            "--target-url names the source database itself ({} on {}:{}); restore into another \
             database, then switch bot-api's DATABASE_URL to it",
            target.dbname,
            target.host,
            target.port
        );
    }
    let entry = manifest::find(&store.dir, backup_id)?;
    let sum = checksum(&entry).await?;
    if !sum.passed {
        bail!("backup {} is damaged: {}", entry.id, sum.detail);
    }
    let mut conn = PgConnection::connect_with(&target.options)
        .await
        .context("connecting to the target database")
        .context(crate::exit::Unavailable(
            "the target database is unreachable".into(),
        ))?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg_toast%'",
    )
    .fetch_one(&mut conn)
    .await
    .context("inspecting the target database")?;
    let _ = conn.close().await;
    if tables > 0 && !force {
        bail!(
            "target database {} is not empty ({tables} tables); restore into an empty database \
             or pass --force to replace what the backup contains",
            target.dbname
        );
    }
    let timed = restore_and_check(&store.tools, target, &entry, tables > 0).await?;
    let mut checks = vec![sum];
    checks.extend(timed.checks);
    RestoreCompleted {
        backup_id: &entry.id,
        size_bytes: entry.size_bytes,
        duration_seconds: clock.elapsed().as_secs_f64(),
    }
    .emit();
    Ok(VerifyReport {
        backup_id: entry.id,
        passed: checks.iter().all(|c| c.passed),
        checks,
        size_bytes: entry.size_bytes,
        duration_seconds: clock.elapsed().as_secs_f64(),
        restore_seconds: timed.restore_seconds,
        checks_seconds: timed.checks_seconds,
    })
}
