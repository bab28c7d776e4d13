//! `ops-agent list [--json]`: complete backups, newest first.

use std::process::ExitCode;

use super::args::BackupArgs;

/// Options of `ops-agent list`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// The backup folder listed.
    #[command(flatten)]
    pub backup: BackupArgs,

    /// Print a JSON array of objects (`id`, `path`, `created_at`, `size_bytes`, `sha256`, …).
    #[arg(long)]
    pub json: bool,
}

/// Runs `ops-agent list`.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    crate::events::backup::BackupFolderExposed::check(&opts.backup.backup_dir);
    let entries = crate::manifest::list(&opts.backup.backup_dir)?;
    if opts.json {
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.id,
                    "path": e.path,
                    "created_at": e.created_at,
                    "size_bytes": e.size_bytes,
                    "sha256": e.sha256,
                    "database": e.manifest.database,
                    "server_version": e.manifest.server_version,
                    "row_counts": e.manifest.row_counts,
                })
            })
            .collect();
        println!("{}", serde_json::to_string(&rows)?);
    } else if entries.is_empty() {
        println!("no backups in {}", opts.backup.backup_dir.display());
    } else {
        for e in &entries {
            println!(
                "{}  {}  {:>12} bytes  {}  {}",
                e.id,
                e.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                e.size_bytes,
                &e.sha256,
                e.path.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
