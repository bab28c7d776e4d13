//! The report of a drill or a real restore, as JSON (`--json`) and as text.

use super::checks::CheckResult;

/// The drill's report: passed only when every check passed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    /// The backup restored.
    pub backup_id: String,
    /// Whether every check passed.
    pub passed: bool,
    /// One entry per check, in order.
    pub checks: Vec<CheckResult>,
    /// Size of the dump restored, in bytes.
    pub size_bytes: u64,
    /// Wall time of the whole drill, in seconds.
    pub duration_seconds: f64,
    /// Of which pg_restore, in seconds.
    pub restore_seconds: f64,
    /// Of which the integrity checks, in seconds.
    pub checks_seconds: f64,
    /// Scratch databases of killed drills this drill dropped first (none for a real restore).
    pub stale_scratch_dropped: Vec<String>,
}

impl VerifyReport {
    /// The report as text, one line per check.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for name in &self.stale_scratch_dropped {
            s.push_str(&format!(
                "dropped {name} (scratch database of a killed drill)\n"
            ));
        }
        s.push_str(&format!("backup {}\n", self.backup_id));
        for c in &self.checks {
            s.push_str(&format!(
                "{} {:<26} {}\n",
                if c.passed { "PASS" } else { "FAIL" },
                c.id,
                c.detail
            ));
        }
        s.push_str(&format!(
            "{} in {:.2} s (pg_restore {:.2} s, checks {:.2} s)\n",
            if self.passed { "PASSED" } else { "FAILED" },
            self.duration_seconds,
            self.restore_seconds,
            self.checks_seconds
        ));
        s
    }
}
