//! The daemon's events: `service_started`, `service_stopped`, `job_finished`, `job_failed`,
//! `job_skipped`, `job_busy`, `jobs_aborted`, `alert_firing`, `alert_resolved`,
//! `alert_state_write_failed`, `alert_state_unreadable`.

use std::net::SocketAddr;

use crate::alerting::AlertInstance;
use crate::job::Job;
use crate::metrics::AgentMetrics;

/// `service_started`: the daemon listens and its jobs are scheduled.
#[derive(Debug)]
pub struct ServiceStarted<'a> {
    /// Where `/metrics` and `/health` are served.
    pub listen: SocketAddr,
    /// Name and cron expression of each enabled job.
    pub jobs: &'a [(&'static str, String)],
    /// How many receivers alerts go to.
    pub receivers: usize,
}

impl ServiceStarted<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::info!(
            event = "service_started",
            listen = %self.listen,
            jobs = ?self.jobs,
            receivers = self.receivers,
            "ops-agent daemon started"
        );
    }
}

/// `service_stopped`: the daemon stopped.
#[derive(Debug)]
pub struct ServiceStopped;

impl ServiceStopped {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::info!(event = "service_stopped", "ops-agent daemon stopped");
    }
}

/// `job_finished`: a scheduled backup, prune or drill finished, with what it did.
#[derive(Debug)]
pub enum JobFinished<'a> {
    /// A backup was taken.
    Backup {
        /// Its id.
        backup_id: &'a str,
        /// Its size.
        size_bytes: u64,
    },
    /// Retention ran.
    Prune {
        /// Backups kept.
        kept: usize,
        /// Backups deleted.
        deleted: usize,
    },
    /// A drill ran to its end (passed or with failed checks).
    Verify {
        /// The backup restored.
        backup_id: &'a str,
        /// Whether every check passed.
        passed: bool,
    },
}

impl JobFinished<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        match *self {
            JobFinished::Backup {
                backup_id,
                size_bytes,
            } => tracing::info!(
                event = "job_finished",
                job = Job::Backup.as_str(),
                backup_id,
                size_bytes,
                "Scheduled backup done"
            ),
            JobFinished::Prune { kept, deleted } => tracing::info!(
                event = "job_finished",
                job = Job::Prune.as_str(),
                kept,
                deleted,
                "Scheduled prune done"
            ),
            JobFinished::Verify { backup_id, passed } => tracing::info!(
                event = "job_finished",
                job = Job::Verify.as_str(),
                backup_id,
                passed,
                "Scheduled restore drill done"
            ),
        }
    }
}

/// `job_failed`: a scheduled job returned an error nobody below it logged. A failed backup
/// or drill is not one: `backup_failed`/`restore_verify_failed` already reported it.
#[derive(Debug)]
pub struct JobFailed<'a> {
    /// Which job.
    pub job: Job,
    /// Why, logged with its whole chain.
    pub error: &'a anyhow::Error,
}

impl JobFailed<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::error!(
            event = "job_failed",
            job = self.job.as_str(),
            error = format!("{:#}", self.error),
            "Scheduled job failed"
        );
    }
}

/// `job_skipped`: a fire time found the job's previous run still going.
#[derive(Debug)]
pub struct JobSkipped {
    /// Which job.
    pub job: Job,
}

impl JobSkipped {
    /// Logs the event and counts `ops_agent_jobs_skipped_total{job}`.
    pub fn emit(&self, metrics: &AgentMetrics) {
        metrics
            .jobs_skipped_total
            .with_label_values(&[self.job.as_str()])
            .inc();
        tracing::warn!(
            event = "job_skipped",
            job = self.job.as_str(),
            "Previous run still going; this fire time is skipped"
        );
    }
}

/// `job_busy`: a scheduled backup, prune or drill found its lock held by another run (e.g. one
/// started by cron) and did not run; nothing is recorded as failed.
#[derive(Debug)]
pub struct JobBusy<'a> {
    /// Which job.
    pub job: Job,
    /// The lock error, naming the lock.
    pub error: &'a anyhow::Error,
}

impl JobBusy<'_> {
    /// Logs the event and counts `ops_agent_job_skips_total{job, reason="busy"}`.
    pub fn emit(&self, metrics: &AgentMetrics) {
        metrics
            .job_skips_total
            .with_label_values(&[self.job.as_str(), "busy"])
            .inc();
        tracing::info!(
            event = "job_busy",
            job = self.job.as_str(),
            error = format!("{:#}", self.error),
            "Another run holds the lock; this run is skipped"
        );
    }
}

/// `jobs_aborted`: jobs still running when the shutdown grace ran out were aborted.
#[derive(Debug)]
pub struct JobsAborted;

impl JobsAborted {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "jobs_aborted",
            "Jobs still running at shutdown were aborted"
        );
    }
}

/// `alert_firing`: an alert started firing.
#[derive(Debug)]
pub struct AlertFiring<'a> {
    /// The alert.
    pub alert: &'a AlertInstance,
}

impl AlertFiring<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        let a = self.alert;
        tracing::warn!(
            event = "alert_firing",
            alertname = a.name.as_str(),
            severity = a.name.severity(),
            description = a
                .annotations
                .get("description")
                .map(String::as_str)
                .unwrap_or(""),
            "Alert firing"
        );
    }
}

/// `alert_resolved`: an alert resolved.
#[derive(Debug)]
pub struct AlertResolved<'a> {
    /// The alert.
    pub alert: &'a AlertInstance,
}

impl AlertResolved<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::info!(
            event = "alert_resolved",
            alertname = self.alert.name.as_str(),
            severity = self.alert.name.severity(),
            "Alert resolved"
        );
    }
}

/// `alert_state_write_failed`: the firing alerts could not be saved; after a restart they
/// would start inactive.
#[derive(Debug)]
pub struct AlertStateWriteFailed<'a> {
    /// Why.
    pub error: &'a anyhow::Error,
}

impl AlertStateWriteFailed<'_> {
    /// Logs the event with the error's whole chain.
    pub fn emit(&self) {
        tracing::error!(
            event = "alert_state_write_failed",
            error = format!("{:#}", self.error),
            "Cannot save the firing alerts"
        );
    }
}

/// `alert_state_unreadable`: the saved firing alerts could not be read; every alert starts
/// inactive.
#[derive(Debug)]
pub struct AlertStateUnreadable<'a> {
    /// Why.
    pub error: &'a anyhow::Error,
}

impl AlertStateUnreadable<'_> {
    /// Logs the event with the error's whole chain.
    pub fn emit(&self) {
        tracing::warn!(
            event = "alert_state_unreadable",
            error = format!("{:#}", self.error),
            "Cannot read the saved firing alerts; starting with none"
        );
    }
}
