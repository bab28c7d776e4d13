//! One `pg_dump -Fc` run inside an exported snapshot, so the manifest's row counts describe
//! exactly the rows in the dump.
//!
//! The snapshot's transaction stays open (on our connection) until pg_dump has finished: an
//! exported snapshot lives only as long as the transaction that exported it.

use std::io::IsTerminal;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};

use crate::pgtools::{Credentials, PgTarget, PgTools, kill_group, read_tail};

/// Tables whose row counts the manifest records and the drill compares.
pub const COUNTED_TABLES: [&str; 4] = ["users", "masters", "bookings", "availability_blocks"];

/// What the database told us while the snapshot was open.
#[derive(Debug)]
pub struct SnapshotFacts {
    /// Row count per table of [`COUNTED_TABLES`].
    pub row_counts: std::collections::BTreeMap<String, i64>,
    /// Index names of the `public` schema.
    pub indexes: Vec<String>,
}

/// Opens a REPEATABLE READ snapshot, records its facts, runs pg_dump into `out` with that
/// snapshot and compression `level` (0-9), and closes the transaction. Fails on any non-zero
/// exit of pg_dump, and past `limit` (pg_dump and its process group are killed).
pub async fn dump_in_snapshot(
    conn: &mut PgConnection,
    tools: &PgTools,
    limit: Duration,
    target: &PgTarget,
    out: &Path,
    level: u8,
) -> anyhow::Result<SnapshotFacts> {
    let mut tx = conn
        .begin()
        .await
        .context("opening the snapshot transaction")?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .context("setting REPEATABLE READ")?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *tx)
        .await
        .context("exporting the snapshot")?;
    // pg_dump runs while we count: both read the same exported snapshot, so the order does not
    // matter and the counts cost no wall time.
    let creds = Credentials::new(target)?;
    // pg_dump opens the existing file without changing its mode: created 0600 here, the dump
    // is private whatever the umask pg_dump inherits.
    crate::private::create_file(out).context("creating the dump file")?;
    let running = spawn_pg_dump(tools, target, &creds, &snapshot, out, level)?;
    let mut row_counts = std::collections::BTreeMap::new();
    for table in COUNTED_TABLES {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM public.{table}"
        )))
        .fetch_one(&mut *tx)
        .await
        .with_context(|| format!("counting rows of {table}"))?;
        row_counts.insert(table.to_owned(), n);
    }
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&mut *tx)
    .await
    .context("listing indexes")?;

    wait_pg_dump(running, out, limit).await?;
    tx.commit()
        .await
        .context("closing the snapshot transaction")?;
    Ok(SnapshotFacts {
        row_counts,
        indexes,
    })
}

/// A started pg_dump and the task collecting its stderr.
struct Running {
    child: tokio::process::Child,
    stderr: tokio::task::JoinHandle<String>,
}

fn spawn_pg_dump(
    tools: &PgTools,
    target: &PgTarget,
    creds: &Credentials,
    snapshot: &str,
    out: &Path,
    level: u8,
) -> anyhow::Result<Running> {
    let mut child = tools
        .command("pg_dump", target, creds)
        .arg("--format=custom")
        .arg(format!("--compress={level}"))
        .arg("--no-password")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting pg_dump (set PG_BIN_DIR to the folder holding it)")
        .context(crate::exit::Unavailable("pg_dump cannot run".into()))?;
    let stderr = child.stderr.take().context("pg_dump's stderr")?;
    Ok(Running {
        child,
        stderr: tokio::spawn(read_tail(stderr, 4096)),
    })
}

/// Waits for pg_dump at most `limit`, drawing bytes written on a terminal; fails on any
/// non-zero exit and past the limit.
async fn wait_pg_dump(running: Running, out: &Path, limit: Duration) -> anyhow::Result<()> {
    let Running {
        mut child,
        stderr: stderr_task,
    } = running;
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} pg_dump: {bytes} written ({bytes_per_sec}, {elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let deadline = tokio::time::Instant::now() + limit;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.context("waiting for pg_dump")?,
            () = tokio::time::sleep_until(deadline) => {
                if let Some(bar) = &progress {
                    bar.finish_and_clear();
                }
                kill_group(&mut child);
                let _ = child.wait().await;
                bail!("pg_dump timed out after {} s", limit.as_secs_f64());
            }
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                if let Some(bar) = &progress
                    && let Ok(meta) = tokio::fs::metadata(out).await
                {
                    bar.set_position(meta.len());
                    bar.tick();
                }
            }
        }
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let stderr_text = stderr_task.await.unwrap_or_default();
    if !status.success() {
        // pg_dump's own words ("could not write to output file: No space left on device") do
        // not say where it was writing: name the folder, the one thing the operator must find.
        let folder = out.parent().unwrap_or(out).display();
        let reason = match status.code() {
            Some(code) => format!("pg_dump exited with status {code} writing into {folder}"),
            None => format!("pg_dump was killed ({status}) writing into {folder}"),
        };
        if stderr_text.is_empty() {
            bail!("{reason}");
        }
        bail!("{reason}: {stderr_text}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fault suite (scripts/faults, disk_full): a dump that ran out of space said
    /// only pg_dump's "could not write to output file: No space left on device".
    #[tokio::test]
    async fn a_failed_dump_names_the_folder_it_was_writing_into() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join(".tmp-x.dump");
        let mut child = tokio::process::Command::new("sh")
            .args(["-c", "echo 'pg_dump: error: could not write to output file: No space left on device' >&2; exit 1"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = tokio::spawn(read_tail(child.stderr.take().unwrap(), 4096));
        let running = Running { child, stderr };
        let err = wait_pg_dump(running, &out, Duration::from_secs(30))
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains(&format!("writing into {}", dir.path().display())),
            "{text}"
        );
        assert!(text.contains("No space left on device"), "{text}");
    }
}
