//! The agent's own metrics, registered in one place: the `ops_agent_*` families of
//! docs/interface.md "Metrics" plus per-job run timestamps, outcomes and skips. Each family's
//! name and help text are written once, in [`Families`] (the help text is also the field's doc).
//!
//! Backup and drill gauges are derived from the status files at each scrape
//! ([`AgentMetrics::refresh_status`]), so runs started by the system's cron or by hand show up
//! too; `ops_agent_backups_total` and `ops_agent_restore_verifies_total` count each new run the
//! status files reveal after the agent started.

use std::ops::Deref;
use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use prometheus::{Gauge, GaugeVec, IntCounterVec, Registry};

use crate::alerting::AlertName;
use crate::job::Job;
use crate::probe::{ProbeReport, Target};
use crate::status::{self, RunKind, RunStatus};

shared::metric_families! {
    /// Every family the agent exports.
    pub struct Families {
        pub backup_last_success: Gauge = "ops_agent_backup_last_success_timestamp_seconds",
            "Unix time of the last successful backup (0 when none is recorded).";
        pub backup_last_size: Gauge = "ops_agent_backup_last_size_bytes",
            "Size of the last successful backup file in bytes.";
        pub backup_last_duration: Gauge = "ops_agent_backup_last_duration_seconds",
            "Duration of the last successful backup in seconds.";
        pub backup_last_attempt_success: Gauge = "ops_agent_backup_last_attempt_success",
            "1 when the last backup attempt succeeded, 0 when it failed or none is recorded.";
        pub backup_last_attempt: Gauge = "ops_agent_backup_last_attempt_timestamp_seconds",
            "Unix time the last backup attempt finished (0 when none is recorded).";
        pub backups_total: IntCounterVec = "ops_agent_backups_total",
            "Backups seen finishing since the agent started, by outcome.", ["outcome"];
        pub verify_last_success: Gauge = "ops_agent_restore_verify_last_success_timestamp_seconds",
            "Unix time of the last passed restore drill (0 when none is recorded).";
        pub verify_last_attempt_success: Gauge = "ops_agent_restore_verify_last_attempt_success",
            "1 when the last restore drill passed, 0 when it failed or none is recorded.";
        pub verify_last_attempt: Gauge = "ops_agent_restore_verify_last_attempt_timestamp_seconds",
            "Unix time the last restore drill finished (0 when none is recorded).";
        pub verifies_total: IntCounterVec = "ops_agent_restore_verifies_total",
            "Restore drills seen finishing since the agent started, by outcome.", ["outcome"];
        pub probe_success: GaugeVec = "ops_agent_probe_success",
            "1 when the last probe of the bot-api target succeeded.", ["target"];
        pub probe_duration: GaugeVec = "ops_agent_probe_duration_seconds",
            "Duration of the last probe of the bot-api target in seconds.", ["target"];
        pub alerts_firing: GaugeVec = "ops_agent_alerts_firing",
            "1 while the alert is firing.", ["alertname"];
        pub notifications_total: IntCounterVec = "ops_agent_alert_notifications_total",
            "Alert notification deliveries by outcome, after retries.", ["outcome"];
        pub job_last_run: GaugeVec = "ops_agent_job_last_run_timestamp_seconds",
            "Unix time the scheduled job last finished.", ["job"];
        pub job_runs_total: IntCounterVec = "ops_agent_job_runs_total",
            "Scheduled job runs by outcome.", ["job", "outcome"];
        pub jobs_skipped_total: IntCounterVec = "ops_agent_jobs_skipped_total",
            "Fire times skipped because the job's previous run was still going.", ["job"];
        pub job_skips_total: IntCounterVec = "ops_agent_job_skips_total",
            "Scheduled job runs that did not run, by reason (busy: another run held the lock).",
            ["job", "reason"];
        pub start_time: Gauge = "ops_agent_start_time_seconds",
            "Unix time the agent started.";
    }
}

/// Every metric the agent exports ([`Families`], reached through `Deref`) and the registry
/// `/metrics` encodes.
#[derive(Debug)]
pub struct AgentMetrics {
    registry: Registry,
    families: Families,
    /// `finished_at` of the last backup and drill runs counted, so each run counts once.
    seen: Mutex<[Option<DateTime<Utc>>; 2]>,
}

impl Deref for AgentMetrics {
    type Target = Families;

    fn deref(&self) -> &Families {
        &self.families
    }
}

impl AgentMetrics {
    /// Registers every family, with every label value of the fixed sets present from the start.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let m = Self {
            families: Families::register(&registry)?,
            seen: Mutex::new([None, None]),
            registry,
        };
        for outcome in ["success", "failure"] {
            m.backups_total.with_label_values(&[outcome]);
            m.verifies_total.with_label_values(&[outcome]);
            m.notifications_total.with_label_values(&[outcome]);
            for job in Job::ALL {
                m.job_runs_total.with_label_values(&[job.as_str(), outcome]);
            }
        }
        for job in Job::ALL {
            m.job_last_run.with_label_values(&[job.as_str()]);
            m.jobs_skipped_total.with_label_values(&[job.as_str()]);
            if job != Job::Probe {
                m.job_skips_total.with_label_values(&[job.as_str(), "busy"]);
            }
        }
        for t in Target::ALL {
            m.probe_success.with_label_values(&[t.as_str()]);
            m.probe_duration.with_label_values(&[t.as_str()]);
        }
        for a in AlertName::ALL {
            m.alerts_firing.with_label_values(&[a.as_str()]);
        }
        Ok(m)
    }

    /// The text exposition (format 0.0.4) of every family.
    pub fn encode(&self) -> Vec<u8> {
        shared::metrics::encode(&self.registry)
    }

    /// Records one probe round.
    pub fn observe_probe(&self, report: &ProbeReport) {
        for r in &report.results {
            let t = r.target.as_str();
            self.probe_success
                .with_label_values(&[t])
                .set(if r.success { 1.0 } else { 0.0 });
            self.probe_duration
                .with_label_values(&[t])
                .set(r.duration.as_secs_f64());
        }
    }

    /// Records one finished job run.
    pub fn observe_job(&self, job: Job, success: bool, at: DateTime<Utc>) {
        let outcome = if success { "success" } else { "failure" };
        self.job_runs_total
            .with_label_values(&[job.as_str(), outcome])
            .inc();
        self.job_last_run
            .with_label_values(&[job.as_str()])
            .set(at.timestamp() as f64);
    }

    /// Records the outcome of one notification delivery.
    pub fn observe_notification(&self, success: bool) {
        let outcome = if success { "success" } else { "failure" };
        self.notifications_total.with_label_values(&[outcome]).inc();
    }

    /// Remembers the runs already in the status files, so counters only count newer ones.
    pub fn baseline_status(&self, backup_dir: &Path) {
        if let Ok(mut seen) = self.seen.lock() {
            for (i, kind) in [RunKind::Backup, RunKind::Verify].into_iter().enumerate() {
                seen[i] = status::read(backup_dir, kind)
                    .ok()
                    .flatten()
                    .map(|s| s.finished_at);
            }
        }
    }

    /// Sets the backup and drill gauges from the status files and counts runs not seen before.
    pub fn refresh_status(&self, backup_dir: &Path) {
        let backup = status::read(backup_dir, RunKind::Backup).ok().flatten();
        let verify = status::read(backup_dir, RunKind::Verify).ok().flatten();
        self.set_run(
            backup.as_ref(),
            0,
            &self.backup_last_attempt,
            &self.backup_last_attempt_success,
            &self.backup_last_success,
            &self.backups_total,
        );
        self.set_run(
            verify.as_ref(),
            1,
            &self.verify_last_attempt,
            &self.verify_last_attempt_success,
            &self.verify_last_success,
            &self.verifies_total,
        );
        if let Some(b) = backup {
            self.backup_last_size
                .set(b.last_success_size_bytes.unwrap_or(0) as f64);
            self.backup_last_duration
                .set(b.last_success_duration_seconds.unwrap_or(0.0));
        }
    }

    fn set_run(
        &self,
        run: Option<&RunStatus>,
        slot: usize,
        last_attempt: &Gauge,
        last_ok: &Gauge,
        last_success: &Gauge,
        total: &IntCounterVec,
    ) {
        let Some(run) = run else { return };
        last_attempt.set(run.finished_at.timestamp() as f64);
        last_ok.set(if run.success { 1.0 } else { 0.0 });
        last_success.set(run.last_success_at.map_or(0.0, |t| t.timestamp() as f64));
        if let Ok(mut seen) = self.seen.lock()
            && seen[slot] != Some(run.finished_at)
        {
            seen[slot] = Some(run.finished_at);
            total
                .with_label_values(&[if run.success { "success" } else { "failure" }])
                .inc();
        }
    }

    /// Sets `ops_agent_alerts_firing` for every alert.
    pub fn set_firing(&self, firing: impl Fn(AlertName) -> bool) {
        for a in AlertName::ALL {
            self.alerts_firing
                .with_label_values(&[a.as_str()])
                .set(if firing(a) { 1.0 } else { 0.0 });
        }
    }
}
