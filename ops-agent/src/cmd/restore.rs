//! `ops-agent restore --verify` (a drill into a scratch database) and
//! `ops-agent restore --target-url <url>` (a real restore).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;

use secrecy::SecretString;

use super::args::{DbBackupArgs, RestoreTuningArgs};
use crate::daemon::config::ToolSettings;
use crate::exit::Outcome;
use crate::pgtools::PgTarget;
use crate::restore::Overwrite;

/// Options of `ops-agent restore`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["verify", "target_url"])))]
pub struct Opts {
    /// The database (whose server hosts the scratch database) and the backup folder.
    #[command(flatten)]
    pub args: DbBackupArgs,

    /// How pg_restore runs.
    #[command(flatten)]
    pub tuning: RestoreTuningArgs,

    /// Restore into a scratch database, run the integrity checks, drop it.
    #[arg(long)]
    pub verify: bool,

    /// Restore for real into this (empty) database. Command line only (no variable), so a
    /// bare `restore` never restores for real. Leave the password out to keep it off the
    /// command line: it is then read from PGPASSFILE or ~/.pgpass, or asked on a terminal.
    #[arg(long = "target-url")]
    pub target_url: Option<SecretString>,

    /// Backup id to restore (default: the newest).
    #[arg(long)]
    pub backup: Option<String>,

    /// With --target-url: restore even though the target holds tables (they are replaced);
    /// needs --confirm with the target database's name.
    #[arg(long, requires = "target_url")]
    pub force: bool,

    /// With --force: the target database's name, typed again.
    #[arg(long, value_name = "DATABASE", requires = "force")]
    pub confirm: Option<String>,

    /// With --target-url: run pg_restore with N parallel jobs (1 to 32) instead of one
    /// transaction. Faster, but a failed restore then leaves the target partly restored (with
    /// --force, what it replaced already dropped): drop and recreate it before trying again.
    /// Command line only, like --target-url [default: 1, one transaction].
    #[arg(long, value_name = "N", requires = "target_url", conflicts_with = "verify",
          value_parser = clap::value_parser!(u32).range(crate::store::RESTORE_JOBS))]
    pub jobs: Option<u32>,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `ops-agent restore`: exit 0 only when every check passed.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let mut store = opts.args.backup.store(&ToolSettings::default());
    opts.tuning.apply(&mut store, &ToolSettings::default());
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
            let target = with_password(target)?;
            let overwrite = Overwrite {
                force: opts.force,
                confirm: opts.confirm.clone(),
            };
            let jobs = opts.jobs.unwrap_or(1);
            crate::restore::restore_into(&database, &store, &target, backup, &overwrite, jobs)
                .await?
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

/// A target whose URL left the password out gets it from the password file (libpq's rules),
/// else from a prompt when stdin is a terminal; otherwise it stays without one (peer or trust
/// authentication), and a refused connection says where a password would go.
fn with_password(target: PgTarget) -> anyhow::Result<PgTarget> {
    if target.has_password() {
        return Ok(target);
    }
    if let Some(pw) = target.pgpass_password(&|k| std::env::var(k).ok()) {
        return Ok(target.with_password(pw));
    }
    if std::io::stdin().is_terminal() {
        let prompt = format!(
            "Password for {} on {}:{}/{}: ",
            target.user, target.host, target.port, target.dbname
        );
        return Ok(target.with_password(prompt_password(&prompt)?));
    }
    Ok(target)
}

/// Reads a line from the terminal with echo off (`stty -echo`, restored afterwards).
fn prompt_password(prompt: &str) -> anyhow::Result<SecretString> {
    use std::io::{BufRead, Write};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("opening the terminal to ask for the password")?;
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(tty.try_clone()?)
            .status()
    };
    (&tty).write_all(prompt.as_bytes())?;
    stty("-echo").context("turning the terminal's echo off (stty)")?;
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    let _ = stty("echo");
    let _ = (&tty).write_all(b"\n");
    read.context("reading the password")?;
    Ok(SecretString::from(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}
