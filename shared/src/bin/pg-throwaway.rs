//! `pg-throwaway`: the scripts' throwaway PostgreSQL cluster (scripts/lib/pg.sh wraps it), on
//! the same implementation as the tests' ([`shared::testing::Cluster`]).
//!
//! ```text
//! pg-throwaway start <folder> [-c name=value]... [--watch <pid>]
//!     initdb (scram, superuser `postgres`) + start on a free loopback port, durable settings
//!     plus the -c ones; prints PGBIN, PG_PORT, PG_SUPERPASS, PG_DIR and PG_URL as lines a
//!     shell can eval. A watchdog stops the cluster and removes <folder> once process <pid>
//!     (default: the caller) exits.
//! pg-throwaway stop <folder>     stops that cluster and removes <folder>
//! pg-throwaway bindir            prints the server binaries' folder
//! ```

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use shared::testing::{Cluster, server_bindir};

#[derive(Parser)]
#[command(about = "A throwaway PostgreSQL cluster for the scripts")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Creates and starts a cluster in FOLDER; prints shell-evaluable settings.
    Start {
        folder: PathBuf,
        /// A server setting, name=value (repeatable).
        #[arg(short = 'c', value_name = "NAME=VALUE")]
        settings: Vec<String>,
        /// Stop the cluster and remove FOLDER once this process exits (default: the caller).
        #[arg(long, value_name = "PID")]
        watch: Option<u32>,
    },
    /// Stops the cluster in FOLDER and removes the folder.
    Stop { folder: PathBuf },
    /// Prints the server binaries' folder.
    Bindir,
}

fn main() {
    if let Err(e) = run(Cli::parse().cmd) {
        eprintln!("pg-throwaway: {e:#}");
        std::process::exit(1);
    }
}

fn run(cmd: Cmd) -> anyhow::Result<()> {
    match cmd {
        Cmd::Start {
            folder,
            settings,
            watch,
        } => {
            let watch = watch.unwrap_or_else(std::os::unix::process::parent_id);
            let cluster = match Cluster::start_in(&folder, &settings, watch) {
                Ok(c) => c,
                Err(e) => {
                    let _ = Cluster::stop_folder(&folder);
                    return Err(e);
                }
            };
            let bindir = cluster.bindir().to_string_lossy().into_owned();
            let dir = cluster.folder().to_string_lossy().into_owned();
            println!("PGBIN={}", quote(&bindir));
            println!("PG_PORT={}", cluster.port());
            println!("PG_SUPERPASS={}", quote(cluster.password()));
            println!("PG_DIR={}", quote(&dir));
            println!("PG_URL={}", quote(&cluster.url("postgres")));
        }
        Cmd::Stop { folder } => Cluster::stop_folder(&folder)
            .with_context(|| format!("stopping the cluster in {}", folder.display()))?,
        Cmd::Bindir => println!("{}", server_bindir()?.display()),
    }
    Ok(())
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
