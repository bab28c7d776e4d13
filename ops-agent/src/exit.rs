//! Exit codes that tell outcomes apart, for cron and scripts (docs/interface.md "ops-agent"):
//!
//! | code | meaning |
//! |---|---|
//! | `0` | success |
//! | `1` | the work ran and found a problem (a drill check failed, a probe failed, a run failed) |
//! | `2` | bad usage or configuration (clap's own usage errors too) |
//! | `3` | could not run: database unreachable, no backup, tool missing |
//! | `75` | busy: another run holds the lock; nothing was recorded as failed |
//!
//! Errors carry their class as a marker somewhere in their `anyhow` chain: [`BadConfig`]
//! (wrapping), [`Unavailable`] (a context), or [`LockError::Busy`]; [`classify`] finds it.

use std::fmt;

use crate::lock::LockError;

/// What an outcome means for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `0`.
    Success,
    /// `1`: the work ran and found a problem.
    Problem,
    /// `2`: bad usage or configuration.
    Config,
    /// `3`: could not run.
    Unavailable,
    /// `75` (`EX_TEMPFAIL`): another run holds the lock.
    Busy,
}

impl Outcome {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Problem => 1,
            Outcome::Config => 2,
            Outcome::Unavailable => 3,
            Outcome::Busy => 75,
        }
    }
}

impl From<Outcome> for std::process::ExitCode {
    fn from(o: Outcome) -> Self {
        std::process::ExitCode::from(o.code())
    }
}

/// The `after_help` of every subcommand: the exit codes.
pub const EXIT_CODES_HELP: &str = "Exit codes: 0 success; 1 the work ran and found a problem \
(e.g. a drill check failed); 2 bad usage or configuration; 3 could not run (database \
unreachable, no backup, tool missing); 75 busy (another run holds the lock; nothing recorded \
as failed).";

/// A configuration error (a setting or the TOML file); its text is the wrapped error's.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BadConfig(#[from] pub anyhow::Error);

/// Marks an error as configuration: exit 2.
pub fn bad_config(e: anyhow::Error) -> anyhow::Error {
    BadConfig(e).into()
}

/// A context saying the run could not start its work (exit 3), e.g.
/// `.context(Unavailable("connecting to the database".into()))`.
#[derive(Debug, Clone)]
pub struct Unavailable(pub String);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `e` is "another run holds the lock".
pub fn is_busy(e: &anyhow::Error) -> bool {
    matches!(e.downcast_ref::<LockError>(), Some(LockError::Busy { .. }))
        || e.chain()
            .any(|c| matches!(c.downcast_ref::<LockError>(), Some(LockError::Busy { .. })))
}

/// The outcome an error stands for; an unmarked error is a failed run (`1`).
pub fn classify(e: &anyhow::Error) -> Outcome {
    if is_busy(e) {
        Outcome::Busy
    } else if e.downcast_ref::<BadConfig>().is_some()
        || e.chain().any(|c| c.downcast_ref::<BadConfig>().is_some())
    {
        Outcome::Config
    } else if e.downcast_ref::<Unavailable>().is_some() {
        Outcome::Unavailable
    } else {
        Outcome::Problem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn markers_anywhere_in_the_chain_decide_the_code() {
        let busy: anyhow::Error = LockError::Busy {
            what: "backup run",
            path: "/x/.lock".into(),
        }
        .into();
        assert_eq!(classify(&busy.context("taking the backup")), Outcome::Busy);
        let config = bad_config(anyhow::anyhow!("DATABASE_URL names no database"));
        assert_eq!(classify(&config.context("outer")), Outcome::Config);
        let down = Err::<(), _>(anyhow::anyhow!("connection refused"))
            .context(Unavailable("connecting to the database".into()))
            .unwrap_err()
            .context("backup");
        assert_eq!(classify(&down), Outcome::Unavailable);
        assert_eq!(
            format!("{down:#}"),
            "backup: connecting to the database: connection refused"
        );
        assert_eq!(
            classify(&anyhow::anyhow!("pg_dump exited")),
            Outcome::Problem
        );
        assert_eq!(Outcome::Busy.code(), 75);
    }
}
