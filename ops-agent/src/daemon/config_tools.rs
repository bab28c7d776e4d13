//! The top-level keys of the daemon's configuration that say how the client tools run:
//! `tool_timeout_seconds`, `backup_compression_level`, `restore_jobs` and
//! `restore_maintenance_work_mem`. Each stays `None` when the file leaves it out, so that
//! `ops-agent run`'s flags and variables can win over the file and the file over the built-in
//! defaults (`cmd/args.rs` applies them in that order).

use std::time::Duration;

use crate::pgtools::MemorySize;
use crate::store::{COMPRESSION_LEVELS, RESTORE_JOBS};

use super::RawConfig;
use super::values::{ConfigError, invalid, seconds};

/// What the file says about the client tools; `None` where it says nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolSettings {
    /// `tool_timeout_seconds`: the time limit of each pg_dump/pg_restore.
    pub timeout: Option<Duration>,
    /// `backup_compression_level`: pg_dump's compression level, 0-9.
    pub compression_level: Option<u8>,
    /// `restore_jobs`: a drill's parallel pg_restore jobs.
    pub restore_jobs: Option<u32>,
    /// `restore_maintenance_work_mem`: pg_restore's sessions' `maintenance_work_mem`.
    pub restore_maintenance_work_mem: Option<MemorySize>,
}

/// Validates the keys of `raw`, naming the key of a value out of range.
pub(super) fn tool_settings(raw: &RawConfig) -> Result<ToolSettings, ConfigError> {
    let in_range = |key: &str, v: Option<i64>, range: &std::ops::RangeInclusive<i64>| {
        v.map(|v| {
            if range.contains(&v) {
                Ok(v)
            } else {
                Err(invalid(
                    key,
                    format!("{v} is not in {}..={}", range.start(), range.end()),
                ))
            }
        })
        .transpose()
    };
    Ok(ToolSettings {
        timeout: raw
            .tool_timeout_seconds
            .map(|v| seconds("tool_timeout_seconds", Some(v), Duration::ZERO, false))
            .transpose()?,
        compression_level: in_range(
            "backup_compression_level",
            raw.backup_compression_level,
            &COMPRESSION_LEVELS,
        )?
        .and_then(|v| u8::try_from(v).ok()),
        restore_jobs: in_range("restore_jobs", raw.restore_jobs, &RESTORE_JOBS)?
            .and_then(|v| u32::try_from(v).ok()),
        restore_maintenance_work_mem: raw
            .restore_maintenance_work_mem
            .as_deref()
            .map(|s| {
                s.parse::<MemorySize>()
                    .map_err(|reason| invalid("restore_maintenance_work_mem", reason))
            })
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::ToolSettings;
    use crate::daemon::DaemonConfig;
    use crate::pgtools::MemorySize;

    fn err(text: &str) -> String {
        DaemonConfig::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn without_the_keys_nothing_is_set() {
        assert_eq!(
            DaemonConfig::parse("").unwrap().tools,
            ToolSettings::default()
        );
    }

    #[test]
    fn each_key_sets_its_setting() {
        let c = DaemonConfig::parse(
            "tool_timeout_seconds = 3600\nbackup_compression_level = 0\nrestore_jobs = 3\n\
             restore_maintenance_work_mem = \"1GB\"\n",
        )
        .unwrap();
        assert_eq!(
            c.tools,
            ToolSettings {
                timeout: Some(Duration::from_secs(3600)),
                compression_level: Some(0),
                restore_jobs: Some(3),
                restore_maintenance_work_mem: Some(MemorySize::from_mib(1024)),
            }
        );
    }

    #[test]
    fn values_out_of_range_or_misspelt_name_their_key() {
        for (text, key) in [
            ("tool_timeout_seconds = 0", "tool_timeout_seconds"),
            ("backup_compression_level = 10", "backup_compression_level"),
            ("backup_compression_level = -1", "backup_compression_level"),
            ("restore_jobs = 0", "restore_jobs"),
            ("restore_jobs = 33", "restore_jobs"),
            (
                "restore_maintenance_work_mem = \"256mb\"",
                "restore_maintenance_work_mem",
            ),
            (
                "restore_maintenance_work_mem = \"512kB\"",
                "restore_maintenance_work_mem",
            ),
        ] {
            let e = err(text);
            assert!(e.contains(&format!("`{key}`")), "{text}: {e}");
        }
        // A number where a size is expected is a type error at its line.
        let e = err("\nrestore_maintenance_work_mem = 256\n");
        assert!(e.contains("line 2"), "{e}");
    }
}
