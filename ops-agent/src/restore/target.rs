//! A real restore into a target database (`restore --target-url`): refuses the source database
//! itself (same `system_identifier` and `current_database()`, whatever the URLs say) and a
//! non-empty target unless forced and confirmed by name, then restores and runs the drill's
//! checks.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};

use super::pg_restore::{Plan, checksum, restore_and_check};
use super::report::VerifyReport;
use crate::events::restore::{RestoreCompleted, RestoreSourceUnreachable};
use crate::exit::{Unavailable, bad_config};
use crate::manifest;
use crate::pgtools::PgTarget;
use crate::store::BackupStore;

/// Permission to restore over a target that holds tables: `--force` plus `--confirm <name>`.
#[derive(Debug, Clone, Default)]
pub struct Overwrite {
    /// `--force`: replace what the backup contains.
    pub force: bool,
    /// `--confirm`: the target database's name, typed again.
    pub confirm: Option<String>,
}

/// Which database a connection reached: the cluster's `system_identifier` and the database.
async fn identity(conn: &mut PgConnection) -> anyhow::Result<(String, String)> {
    sqlx::query_as(
        "SELECT system_identifier::text, current_database()::text FROM pg_control_system()",
    )
    .fetch_one(conn)
    .await
    .context("reading system_identifier and current_database()")
}

/// How long the source database may take to answer before it counts as unreachable.
const SOURCE_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The source database's identity; an error when it cannot be reached (within
/// [`SOURCE_CONNECT_TIMEOUT`]) or asked.
async fn source_identity(source: &PgTarget) -> anyhow::Result<(String, String)> {
    let mut src = tokio::time::timeout(
        SOURCE_CONNECT_TIMEOUT,
        PgConnection::connect_with(&source.options),
    )
    .await
    .map_err(|_| anyhow::anyhow!("no answer within {} s", SOURCE_CONNECT_TIMEOUT.as_secs()))
    .and_then(|r| r.map_err(anyhow::Error::from))
    .context("connecting to the source database (DATABASE_URL)")?;
    let id = identity(&mut src).await;
    let _ = src.close().await;
    id
}

/// Restores `backup_id` (default: newest) of `store` into `target` for real, then runs the
/// checks on it. Refuses `source` (the database backed up) itself, compared after connecting
/// to both, and a target holding tables unless `overwrite` is forced and names it (the objects
/// the dump re-creates are then dropped first). When the source cannot be reached (the
/// incident took its server), only an empty target is accepted (`restore_source_unreachable`).
///
/// `jobs` 1 restores in one transaction, so a failure leaves the target as it was; more run
/// pg_restore's parallel jobs, faster, but a failure then leaves a partly restored target
/// (replaced objects already dropped when forced). The operator chooses (`restore --jobs`).
pub async fn restore_into(
    source: &PgTarget,
    store: &BackupStore,
    target: &PgTarget,
    backup_id: Option<&str>,
    overwrite: &Overwrite,
    jobs: u32,
) -> anyhow::Result<VerifyReport> {
    let clock = Instant::now();
    let entry = manifest::find(&store.dir, backup_id)?;
    let mut conn = PgConnection::connect_with(&target.options)
        .await
        .context("connecting to the target database")
        .map_err(|e| {
            if target.has_password() {
                e
            } else {
                e.context(
                    "--target-url has no password and PGPASSFILE (or ~/.pgpass) has none for it; \
                     add a line there (mode 0600) or run on a terminal to be asked",
                )
            }
        })
        .context(Unavailable("the target database is unreachable".into()))?;
    let target_id = identity(&mut conn).await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg_toast%'",
    )
    .fetch_one(&mut conn)
    .await
    .context("inspecting the target database")?;
    let _ = conn.close().await;
    let name = &target_id.1;
    // The incident this restore is for may have taken the source's server with it. Then the
    // target cannot be compared with it, and only an empty target (nothing to lose) is taken.
    match source_identity(source).await {
        Ok(source_id) if source_id == target_id => {
            return Err(bad_config(anyhow::anyhow!(
                "--target-url names the source database itself ({} of the cluster {} that \
                 DATABASE_URL reaches); restore into another database, then switch bot-api's \
                 DATABASE_URL to it",
                target_id.1,
                target_id.0
            )));
        }
        Ok(_) => {}
        Err(error) if tables == 0 => RestoreSourceUnreachable { error: &error }.emit(),
        Err(error) => {
            return Err(error)
                .context(format!(
                    "target database {name} holds {tables} tables and the source database \
                     cannot be reached to tell them apart; restore into an empty database, or \
                     fix DATABASE_URL"
                ))
                .context(Unavailable("the source database is unreachable".into()));
        }
    }
    let sum = checksum(&entry).await?;
    if !sum.passed {
        bail!("backup {} is damaged: {}", entry.id, sum.detail);
    }
    if tables > 0 && !overwrite.force {
        return Err(bad_config(anyhow::anyhow!(
            "target database {name} is not empty ({tables} tables); restore into an empty \
             database, or pass --force --confirm {name} to replace what the backup contains"
        )));
    }
    if tables > 0 && overwrite.confirm.as_deref() != Some(name.as_str()) {
        return Err(bad_config(anyhow::anyhow!(
            "target database {name} is not empty ({tables} tables): --force also needs \
             --confirm {name} (the target database's name)"
        )));
    }
    let plan = Plan::real(&store.restore, jobs, tables > 0);
    let timed = restore_and_check(&store.tools, store.tool_timeout, target, &entry, &plan).await?;
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
        stale_scratch_dropped: Vec::new(),
    })
}
