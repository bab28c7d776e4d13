//! `ops-agent restore --verify` (a drill into a scratch database) and
//! `ops-agent restore --target-url <url>` (a real restore).

use std::process::ExitCode;

use secrecy::SecretString;

use super::args::DbBackupArgs;
use crate::exit::Outcome;
use crate::pgtools::PgTarget;

/// Options of `ops-agent restore`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["verify", "target_url"])))]
pub struct Opts {
    /// The database (whose server hosts the scratch database) and the backup folder.
    #[command(flatten)]
    pub args: DbBackupArgs,

    /// Restore into a scratch database, run the integrity checks, drop it.
    #[arg(long)]
    pub verify: bool,

    /// Restore for real into this (empty) database.
    #[arg(
        long = "target-url",
        env = "OPS_RESTORE_TARGET_URL",
        hide_env_values = true
    )]
    pub target_url: Option<SecretString>,

    /// Backup id to restore (default: the newest).
    #[arg(long)]
    pub backup: Option<String>,

    /// With --target-url: restore even though the target holds tables (they are replaced).
    #[arg(long, requires = "target_url")]
    pub force: bool,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `ops-agent restore`: exit 0 only when every check passed.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let store = opts.args.backup.store();
    let database = opts.args.database().inspect_err(|e| {
        // A drill records its failure for the alerts; a real restore has no status file.
        if opts.verify || opts.target_url.is_none() {
            crate::restore::record_unstarted(&store, e);
        }
    })?;
    let backup = opts.backup.as_deref();
    let report = match &opts.target_url {
        Some(url) if !opts.verify => {
            let target =
                PgTarget::from_url(url, "--target-url").map_err(crate::exit::bad_config)?;
            crate::restore::restore_into(&database, &store, &target, backup, opts.force).await?
        }
        _ => crate::restore::verify(&database, &store, backup).await?,
    };
    if opts.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(if report.passed {
        Outcome::Success
    } else {
        Outcome::Problem
    }
    .into())
}
