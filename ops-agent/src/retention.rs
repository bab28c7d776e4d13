//! Retention: the pure selection of which backups to keep ([`select`]), and [`prune`], which
//! applies it to the complete backups of the folder.
//!
//! The policy follows restic's `--keep-*` meaning: the newest N backups, plus the newest backup
//! of each of the last D *days that have backups* (then W ISO weeks, M months). Calendar
//! buckets are taken in the host's local time zone, so "one per day" follows the operator's
//! days across daylight-saving changes. Whatever the policy, the newest backup is kept; only
//! backups with a manifest are ever considered, so nothing without one is deleted.

use anyhow::Context;
use chrono::{DateTime, Datelike, TimeZone, Utc};

use crate::events::backup::BackupPruned;
use crate::lock::FolderLock;
use crate::manifest;
use crate::status::{self, RunKind};

/// How many backups to keep: the newest `keep_last`, plus the newest of each of the last
/// `keep_daily` days, `keep_weekly` ISO weeks and `keep_monthly` months that have backups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Keep this many newest backups (at least the newest one is always kept).
    pub keep_last: u32,
    /// Keep the newest backup of each of this many days.
    pub keep_daily: u32,
    /// Keep the newest backup of each of this many ISO weeks.
    pub keep_weekly: u32,
    /// Keep the newest backup of each of this many months.
    pub keep_monthly: u32,
}

impl RetentionPolicy {
    /// The documented defaults (`OPS_KEEP_*` in docs/interface.md): 7 last, 7 daily, 4 weekly,
    /// 6 monthly. A `const` so the command line's defaults are these very numbers.
    pub const DEFAULT: Self = Self {
        keep_last: 7,
        keep_daily: 7,
        keep_weekly: 4,
        keep_monthly: 6,
    };
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What a prune deleted (or would delete with `dry_run`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PruneReport {
    /// Ids kept, newest first.
    pub kept: Vec<String>,
    /// Ids deleted (or to delete on a dry run), newest first.
    pub deleted: Vec<String>,
    /// Nothing was deleted because of this (e.g. the last backup failed).
    pub skipped: Option<String>,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

/// The outcome of [`select`]: ids, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Ids to keep.
    pub keep: Vec<String>,
    /// Ids to delete.
    pub delete: Vec<String>,
}

/// Decides which backups to keep. `backups` may come in any order; `tz` is the zone whose
/// calendar days, ISO weeks and months bucket them. No I/O.
pub fn select<Tz: TimeZone>(
    backups: &[(String, DateTime<Utc>)],
    policy: &RetentionPolicy,
    tz: &Tz,
) -> Selection {
    let mut sorted: Vec<&(String, DateTime<Utc>)> = backups.iter().collect();
    sorted.sort_by(|a, b| (b.1, &b.0).cmp(&(a.1, &a.0)));
    let mut keep = vec![false; sorted.len()];
    for k in keep.iter_mut().take((policy.keep_last as usize).max(1)) {
        *k = true;
    }
    let local: Vec<_> = sorted.iter().map(|(_, t)| t.with_timezone(tz)).collect();
    let day = |i: usize| {
        let d = local[i].date_naive();
        (d.year(), d.ordinal())
    };
    let week = |i: usize| {
        let w = local[i].iso_week();
        (w.year(), w.week())
    };
    let month = |i: usize| (local[i].year(), local[i].month());
    keep_newest_per_bucket(&mut keep, policy.keep_daily, day);
    keep_newest_per_bucket(&mut keep, policy.keep_weekly, week);
    keep_newest_per_bucket(&mut keep, policy.keep_monthly, month);

    let mut sel = Selection::default();
    for (i, (id, _)) in sorted.iter().enumerate() {
        if keep[i] {
            sel.keep.push(id.clone());
        } else {
            sel.delete.push(id.clone());
        }
    }
    sel
}

/// Marks the first (newest) backup of each of the first `buckets` distinct keys.
fn keep_newest_per_bucket<K: PartialEq>(keep: &mut [bool], buckets: u32, key: impl Fn(usize) -> K) {
    let mut last: Option<K> = None;
    let mut taken = 0u32;
    for (i, k) in keep.iter_mut().enumerate() {
        if taken >= buckets {
            break;
        }
        let this = key(i);
        if last.as_ref() != Some(&this) {
            *k = true;
            taken += 1;
            last = Some(this);
        }
    }
}

/// Applies `policy` to the complete backups in `dir`. Refuses to delete anything while the
/// last backup run failed: old backups may then be all there is.
pub async fn prune(
    dir: &std::path::Path,
    policy: &RetentionPolicy,
    dry_run: bool,
) -> anyhow::Result<PruneReport> {
    let (dir, policy) = (dir.to_path_buf(), *policy);
    tokio::task::spawn_blocking(move || prune_blocking(&dir, &policy, dry_run))
        .await
        .context("the prune task panicked")?
}

fn prune_blocking(
    dir: &std::path::Path,
    policy: &RetentionPolicy,
    dry_run: bool,
) -> anyhow::Result<PruneReport> {
    let _lock = if dry_run {
        None
    } else {
        Some(FolderLock::acquire(dir)?)
    };
    let entries = manifest::list(dir)?;
    let pairs: Vec<(String, DateTime<Utc>)> = entries
        .iter()
        .map(|e| (e.id.clone(), e.created_at))
        .collect();
    let sel = select(&pairs, policy, &chrono::Local);
    let mut report = PruneReport {
        kept: sel.keep,
        deleted: sel.delete,
        skipped: None,
        dry_run,
    };
    if let Some(last) = status::read(dir, RunKind::Backup)?
        && !last.success
    {
        report.skipped = Some(format!(
            "the last backup run (started {}) failed; retention deletes nothing until a backup succeeds",
            last.started_at.to_rfc3339()
        ));
        report.deleted.clear();
        report.kept = pairs.into_iter().map(|(id, _)| id).collect();
        return Ok(report);
    }
    if dry_run {
        return Ok(report);
    }
    for id in &report.deleted {
        // Manifest first: the backup stops being a backup before its dump goes.
        std::fs::remove_file(manifest::manifest_path(dir, id))?;
        let _ = std::fs::remove_file(manifest::dump_path(dir, id));
        BackupPruned { backup_id: id }.emit();
    }
    if !report.deleted.is_empty() {
        manifest::fsync_dir(dir)?;
    }
    Ok(report)
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
