//! Data that does not pile up: a scheduled prune of `processed_updates` ids older than
//! `BOT_RETAIN_PROCESSED_UPDATES_DAYS` (7) and of sent or failed `outbox` rows older than
//! `BOT_RETAIN_OUTBOX_DAYS` (30). Deletes go in batches of [`RetentionConfig::batch`] rows, each
//! its own short statement, so no lock is held for long and replication and vacuum keep up.
//! Pending outbox rows are never deleted.

use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;

use crate::events::service::{DatabaseUnavailable, RetentionPruned};
use crate::metrics::Metrics;

// The pruned tables, in prune order: their names are metric label values, owned by metrics.
use crate::metrics::RETENTION_TABLES as TABLES;

/// What is kept, and how the prune runs.
#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// `update_id`s older than this are deleted.
    pub processed_updates: Duration,
    /// Sent or failed messages older than this (by `created_at`) are deleted.
    pub outbox: Duration,
    /// How often the prune runs (also once at start).
    pub every: Duration,
    /// Rows per delete statement.
    pub batch: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            processed_updates: Duration::from_secs(7 * 86_400),
            outbox: Duration::from_secs(30 * 86_400),
            every: Duration::from_secs(3600),
            batch: 5000,
        }
    }
}

const PRUNE_PROCESSED_UPDATES: &str = "\
DELETE FROM processed_updates WHERE update_id IN (
  SELECT update_id FROM processed_updates
  WHERE processed_at < now() - make_interval(secs => $1)
  LIMIT $2)";

const PRUNE_OUTBOX: &str = "\
DELETE FROM outbox WHERE id IN (
  SELECT id FROM outbox
  WHERE status IN ('sent', 'failed') AND created_at < now() - make_interval(secs => $1)
  LIMIT $2)";

/// Deletes everything past retention, batch by batch; returns the rows deleted per table (in
/// [`TABLES`] order). Counts and logs each table's total.
pub async fn prune(
    pool: &PgPool,
    cfg: &RetentionConfig,
    metrics: &Metrics,
) -> Result<[u64; 2], sqlx::Error> {
    let mut out = [0u64; 2];
    for (i, (table, sql, keep)) in [
        (TABLES[0], PRUNE_PROCESSED_UPDATES, cfg.processed_updates),
        (TABLES[1], PRUNE_OUTBOX, cfg.outbox),
    ]
    .into_iter()
    .enumerate()
    {
        loop {
            let n = sqlx::query(sql)
                .bind(keep.as_secs_f64())
                .bind(cfg.batch.max(1))
                .execute(pool)
                .await?
                .rows_affected();
            out[i] += n;
            metrics
                .retention_deleted_rows
                .with_label_values(&[table])
                .inc_by(n);
            if n < u64::try_from(cfg.batch.max(1)).unwrap_or(u64::MAX) {
                break;
            }
            // Let other work in between batches.
            tokio::task::yield_now().await;
        }
        if out[i] > 0 {
            RetentionPruned {
                table,
                deleted_rows: out[i],
            }
            .emit();
        }
    }
    Ok(out)
}

/// Runs [`prune`] at start and every `cfg.every` until `stop` turns true.
pub async fn run(
    pool: PgPool,
    cfg: RetentionConfig,
    metrics: std::sync::Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        if let Err(e) = prune(&pool, &cfg, &metrics).await {
            DatabaseUnavailable {
                during: "retention prune",
                error: &shared::error::error_chain(&e),
                retry_in_ms: u64::try_from(cfg.every.as_millis()).unwrap_or(u64::MAX),
            }
            .emit();
        }
        tokio::select! {
            () = tokio::time::sleep(cfg.every) => {}
            _ = stop.changed() => {}
        }
    }
}
