//! `ops-agent backup`: one backup now, with its manifest; then retention.

use std::process::ExitCode;

use super::args::{DbBackupArgs, DumpArgs};
use crate::daemon::config::ToolSettings;

/// Options of `ops-agent backup`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// The database and the backup folder.
    #[command(flatten)]
    pub args: DbBackupArgs,

    /// pg_dump's compression.
    #[command(flatten)]
    pub dump: DumpArgs,

    /// Print the manifest as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `ops-agent backup`: exit 0 on a complete backup.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let mut store = opts.args.backup.store(&ToolSettings::default());
    opts.dump.apply(&mut store, &ToolSettings::default());
    let database = opts
        .args
        .database()
        .inspect_err(|e| crate::backup::record_unstarted(&store, e))?;
    let m = crate::backup::take(&database, &store).await?;
    if opts.json {
        println!("{}", serde_json::to_string(&m)?);
    } else {
        println!(
            "backup {} complete: {} bytes, sha256 {}, {:.2} s",
            m.id, m.size_bytes, m.sha256, m.duration_seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}
