//! `ops-agent prune [--dry-run]`: applies the retention policy.

use std::process::ExitCode;

use super::args::BackupArgs;

/// Options of `ops-agent prune`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// The backup folder pruned and its policy.
    #[command(flatten)]
    pub backup: BackupArgs,

    /// Print what would be deleted; delete nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `ops-agent prune`.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let store = opts
        .backup
        .store(&crate::daemon::config::ToolSettings::default());
    let report = crate::retention::prune(&store.dir, &store.retention, opts.dry_run).await?;
    if opts.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(why) = &report.skipped {
        println!("retention skipped: {why}");
    }
    let verb = if opts.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    for id in &report.deleted {
        println!("{verb} {id}");
    }
    for id in &report.kept {
        println!("keep {id}");
    }
    println!(
        "{} kept, {} {verb}",
        report.kept.len(),
        report.deleted.len()
    );
    Ok(ExitCode::SUCCESS)
}
