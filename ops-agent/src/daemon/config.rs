//! The daemon's TOML configuration (`ops-agent run --config`): job schedules, alert thresholds,
//! receivers, `[http]` limits and how the client tools run. Every key is optional except what
//! a receiver needs; `ops-agent.example.toml` documents them. A bad value is refused with the
//! key's dotted path.
//!
//! Durations are seconds (fractions allowed). Secrets (`bearer_token`, `bot_token`) are wrapped
//! in [`SecretString`] as they are read; `*_env` variants name an environment variable instead.
//! A secret still holding the examples' `change-me` placeholder is refused.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use shared::config::EnvLookup;

pub use tools::ToolSettings;
pub use values::ConfigError;
use values::{invalid, seconds};

use crate::alerting::Thresholds;
use crate::job::Job;
use crate::notify::Receiver;
use crate::schedule::CronSchedule;

/// One scheduled job.
#[derive(Debug, Clone)]
pub struct JobConfig {
    /// When it runs.
    pub schedule: CronSchedule,
    /// Off: never scheduled (the system cron may run it instead).
    pub enabled: bool,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// Daily backup by default.
    pub backup: JobConfig,
    /// Retention after the backup by default.
    pub prune: JobConfig,
    /// Weekly restore drill by default.
    pub verify: JobConfig,
    /// Probe + alert evaluation, every 30 s by default.
    pub probe: JobConfig,
    /// Bound on each probe request.
    pub probe_timeout: Duration,
    /// Alert thresholds.
    pub thresholds: Thresholds,
    /// Where alerts go.
    pub receivers: Vec<Receiver>,
    /// The agent's URL as receivers should see it (`externalURL`); default `http://<listen>`.
    pub external_url: Option<String>,
    /// URL of `runbooks/alerts.md`; each alert links to `#<alertname lowercased>`.
    pub runbook_base_url: String,
    /// How the client tools run (`tool_timeout_seconds`, `backup_compression_level`,
    /// `restore_jobs`, `restore_maintenance_work_mem`), where the file says; flags win.
    pub tools: ToolSettings,
    /// `[http]`: limits on the agent's HTTP clients and the shutdown grace (flags win).
    pub http: shared::http_server::Limits,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    external_url: Option<String>,
    runbook_base_url: Option<String>,
    tool_timeout_seconds: Option<f64>,
    backup_compression_level: Option<i64>,
    restore_jobs: Option<i64>,
    restore_maintenance_work_mem: Option<String>,
    #[serde(default)]
    jobs: RawJobs,
    #[serde(default)]
    alerts: RawAlerts,
    #[serde(default)]
    receivers: Vec<receivers::RawReceiver>,
    #[serde(default)]
    http: http::RawHttp,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJobs {
    backup: Option<RawJob>,
    prune: Option<RawJob>,
    verify: Option<RawJob>,
    probe: Option<RawJob>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    schedule: Option<String>,
    enabled: Option<bool>,
    timeout_seconds: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    repeat_interval_seconds: Option<f64>,
    bot_api_down_for_seconds: Option<f64>,
    bot_api_not_ready_for_seconds: Option<f64>,
    booking_failure_spike_for_seconds: Option<f64>,
    booking_failure_window_seconds: Option<f64>,
    booking_failure_ratio: Option<f64>,
    booking_failure_min_count: Option<u32>,
    backup_stale_after_seconds: Option<f64>,
    restore_verify_stale_after_seconds: Option<f64>,
}

fn job(which: Job, raw: Option<RawJob>) -> Result<(JobConfig, RawJob), ConfigError> {
    let key = which.as_str();
    let raw = raw.unwrap_or_default();
    let expr = raw
        .schedule
        .clone()
        .unwrap_or_else(|| which.default_schedule().to_owned());
    let schedule = CronSchedule::parse(&expr)
        .map_err(|e| invalid(format!("jobs.{key}.schedule"), e.to_string()))?;
    if raw.timeout_seconds.is_some() && which != Job::Probe {
        return Err(invalid(
            format!("jobs.{key}.timeout_seconds"),
            "only the probe job takes a timeout",
        ));
    }
    Ok((
        JobConfig {
            schedule,
            enabled: raw.enabled.unwrap_or(true),
        },
        raw,
    ))
}

impl DaemonConfig {
    /// The settings of `job`.
    pub fn job(&self, job: Job) -> &JobConfig {
        match job {
            Job::Backup => &self.backup,
            Job::Prune => &self.prune,
            Job::Verify => &self.verify,
            Job::Probe => &self.probe,
        }
    }

    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|e| match e {
            ConfigError::Parse {
                line,
                column,
                message,
                ..
            } => ConfigError::Parse {
                file: Some(path.display().to_string()),
                line,
                column,
                message,
            },
            other => other,
        })
    }

    /// Validates TOML text; the empty text gives every default. `*_env` keys read the process
    /// environment.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        Self::parse_with_env(text, &shared::config::process_env)
    }

    /// [`Self::parse`] with `env` as the environment `*_env` keys read (tests pass a map).
    pub fn parse_with_env(text: &str, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| values::parse_error(text, &e))?;
        let tools = tools::tool_settings(&raw)?;
        let (backup, _) = job(Job::Backup, raw.jobs.backup)?;
        let (prune, _) = job(Job::Prune, raw.jobs.prune)?;
        let (verify, _) = job(Job::Verify, raw.jobs.verify)?;
        let (probe, probe_raw) = job(Job::Probe, raw.jobs.probe)?;
        let probe_timeout = seconds(
            "jobs.probe.timeout_seconds",
            probe_raw.timeout_seconds,
            Duration::from_secs(5),
            false,
        )?;
        let a = raw.alerts;
        let d = Thresholds::default();
        let ratio = a.booking_failure_ratio.unwrap_or(d.failure_ratio);
        if !(0.0..1.0).contains(&ratio) {
            return Err(invalid(
                "alerts.booking_failure_ratio",
                format!("{ratio} is not a fraction in [0, 1)"),
            ));
        }
        let thresholds = Thresholds {
            bot_api_down_for: seconds(
                "alerts.bot_api_down_for_seconds",
                a.bot_api_down_for_seconds,
                d.bot_api_down_for,
                true,
            )?,
            bot_api_not_ready_for: seconds(
                "alerts.bot_api_not_ready_for_seconds",
                a.bot_api_not_ready_for_seconds,
                d.bot_api_not_ready_for,
                true,
            )?,
            failure_spike_for: seconds(
                "alerts.booking_failure_spike_for_seconds",
                a.booking_failure_spike_for_seconds,
                d.failure_spike_for,
                true,
            )?,
            failure_window: seconds(
                "alerts.booking_failure_window_seconds",
                a.booking_failure_window_seconds,
                d.failure_window,
                false,
            )?,
            failure_ratio: ratio,
            failure_min_count: a
                .booking_failure_min_count
                .map_or(d.failure_min_count, f64::from),
            backup_max_age: seconds(
                "alerts.backup_stale_after_seconds",
                a.backup_stale_after_seconds,
                d.backup_max_age,
                false,
            )?,
            verify_max_age: seconds(
                "alerts.restore_verify_stale_after_seconds",
                a.restore_verify_stale_after_seconds,
                d.verify_max_age,
                false,
            )?,
        };
        let repeat = seconds(
            "alerts.repeat_interval_seconds",
            a.repeat_interval_seconds,
            Duration::from_secs(4 * 3600),
            false,
        )?;
        let receivers = raw
            .receivers
            .into_iter()
            .enumerate()
            .map(|(i, r)| receivers::receiver(i, r, repeat, env))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(u) = &raw.external_url {
            receivers::http_url("external_url", Some(u.clone()))?;
        }
        Ok(Self {
            http: http::limits(raw.http)?,
            tools,
            backup,
            prune,
            verify,
            probe,
            probe_timeout,
            thresholds,
            receivers,
            external_url: raw.external_url,
            runbook_base_url: raw
                .runbook_base_url
                .unwrap_or_else(|| "runbooks/alerts.md".into()),
        })
    }
}

#[path = "config_values.rs"]
mod values;

#[path = "config_receivers.rs"]
mod receivers;

#[path = "config_http.rs"]
mod http;

#[path = "config_tools.rs"]
mod tools;

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
