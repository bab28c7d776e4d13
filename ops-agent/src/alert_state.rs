//! The firing alerts, persisted so a restarted daemon resumes them: it sends "resolved" when
//! one clears, and does not announce a still-firing one again as new.
//!
//! `<OPS_BACKUP_DIR>/status/alerts.json`: `{"firing": {"<alertname>": "<startsAt>"}}`, written
//! atomically (temporary file 0600, fsync, rename) whenever an alert fires or resolves.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alerting::AlertName;

/// What the file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    /// Firing alerts by name, with when their condition started to hold.
    firing: BTreeMap<String, DateTime<Utc>>,
}

/// Path of the state file in `backup_dir`.
pub fn path(backup_dir: &Path) -> PathBuf {
    backup_dir.join("status").join("alerts.json")
}

/// The firing alerts recorded in `backup_dir`; none when there is no file. Unknown names
/// (an alert since removed) are skipped.
pub fn read(backup_dir: &Path) -> anyhow::Result<Vec<(AlertName, DateTime<Utc>)>> {
    let p = path(backup_dir);
    let bytes = match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", p.display())),
    };
    let file: StateFile =
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", p.display()))?;
    Ok(file
        .firing
        .into_iter()
        .filter_map(|(name, since)| {
            AlertName::ALL
                .into_iter()
                .find(|a| a.as_str() == name)
                .map(|a| (a, since))
        })
        .collect())
}

/// Replaces the file with `firing`.
pub fn write(backup_dir: &Path, firing: &[(AlertName, DateTime<Utc>)]) -> anyhow::Result<()> {
    let p = path(backup_dir);
    let dir = p.parent().context("state path has a parent")?;
    crate::private::ensure_dir(dir)?;
    let file = StateFile {
        firing: firing
            .iter()
            .map(|(a, since)| (a.as_str().to_owned(), *since))
            .collect(),
    };
    let tmp = dir.join(".alerts.json.tmp");
    {
        let mut f = crate::private::create_file(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(&serde_json::to_vec_pretty(&file)?)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &p).with_context(|| format!("renaming into {}", p.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firing_alerts_round_trip_and_unknown_names_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_empty());
        let t = DateTime::from_timestamp(1_000, 0).unwrap();
        write(dir.path(), &[(AlertName::BackupFailed, t)]).unwrap();
        assert_eq!(
            read(dir.path()).unwrap(),
            vec![(AlertName::BackupFailed, t)]
        );
        std::fs::write(
            path(dir.path()),
            r#"{"firing": {"Gone": "1970-01-01T00:16:40Z", "BackupStale": "1970-01-01T00:16:40Z"}}"#,
        )
        .unwrap();
        assert_eq!(read(dir.path()).unwrap(), vec![(AlertName::BackupStale, t)]);
    }
}
