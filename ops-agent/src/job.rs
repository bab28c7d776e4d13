//! The daemon's four scheduled jobs by name. One enum, so an unknown name cannot exist: the
//! `job` label of `ops_agent_job_*`, the `job` field of the job events and the
//! `[jobs.<name>]` tables of the TOML file all spell a [`Job`] through [`Job::as_str`].

use std::fmt;

/// A scheduled job of `ops-agent run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Take a backup (`backup::take`), then retention.
    Backup,
    /// Apply retention (`retention::prune`).
    Prune,
    /// Restore drill into a scratch database (`restore::verify`).
    Verify,
    /// Probe the bot-api, then evaluate the alerts.
    Probe,
}

impl Job {
    /// Every job, in the order the daemon lists them.
    pub const ALL: [Job; 4] = [Job::Backup, Job::Prune, Job::Verify, Job::Probe];

    /// The external spelling: `backup`, `prune`, `verify`, `probe`.
    pub fn as_str(self) -> &'static str {
        match self {
            Job::Backup => "backup",
            Job::Prune => "prune",
            Job::Verify => "verify",
            Job::Probe => "probe",
        }
    }

    /// The schedule when the TOML file sets none (docs/interface.md): cron with seconds, UTC.
    pub fn default_schedule(self) -> &'static str {
        match self {
            Job::Backup => "0 0 3 * * *",
            Job::Prune => "0 30 3 * * *",
            Job::Verify => "0 0 4 * * Sun",
            Job::Probe => "*/30 * * * * *",
        }
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
