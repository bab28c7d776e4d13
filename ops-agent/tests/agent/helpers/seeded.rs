//! Helpers of the backup and restore tests: a seeded database, a backup folder, the real binary,
//! and folders of fake client tools that misbehave on purpose.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use ops_agent::pgtools::{PgTarget, PgTools};
use ops_agent::store::BackupStore;
use shared::testing::TestDb;

/// A seeded database and an empty backup folder.
pub struct Env {
    pub db: TestDb,
    pub dir: tempfile::TempDir,
    pub bindir: PathBuf,
}

/// Rows the seed inserts, per table, at the sizes [`seeded`] sets.
pub const SEEDED: [(&str, i64); 4] = [
    ("users", 205),
    ("masters", 5),
    ("bookings", 500),
    ("availability_blocks", 50),
];

/// A migrated database seeded by `scripts/seed.sql` (the one seed of the rehearsal, the bench
/// and the tests), small: users, masters with working hours, bookings (1 in 10 cancelled) and
/// blocks.
pub async fn seeded() -> Env {
    let db = shared::testing::test_db().await;
    let sized = "SET seed.masters = 5; SET seed.slots = 100; SET seed.clients = 200; \
                 SET seed.updates = 0;\n";
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "{sized}{}",
        include_str!("../../../../scripts/seed.sql")
    )))
    .execute(&db.pool)
    .await
    .expect("seeding");
    Env {
        db,
        dir: tempfile::tempdir().unwrap(),
        bindir: shared::testing::server_bindir().unwrap(),
    }
}

impl Env {
    /// The seeded database, as the library takes it.
    pub fn database(&self) -> PgTarget {
        PgTarget::from_url(&self.db.secret_url(), "DATABASE_URL").unwrap()
    }

    /// The backup folder with the real client tools and the default retention policy.
    pub fn store(&self) -> BackupStore {
        BackupStore {
            tools: PgTools::new(Some(&self.bindir)),
            ..BackupStore::new(self.dir.path())
        }
    }

    /// Runs the real `ops-agent` binary with this database, folder and tools folder.
    pub async fn agent(&self, bindir: &Path, args: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_ops-agent"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.db.url)
            .env("OPS_BACKUP_DIR", self.dir.path())
            .env("PG_BIN_DIR", bindir)
            .env("LOG_FORMAT", "json")
            .output()
            .await
            .expect("running ops-agent")
    }

    /// File names in the backup folder (status folder and lock excluded).
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "status" && n != ".lock" && n != ".verify.lock")
            .collect();
        v.sort();
        v
    }
}

/// stdout and stderr as text.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first stdout line that is our `--json` answer (log lines are objects with `event`).
pub fn json_answer(out: &Output) -> serde_json::Value {
    let (stdout, stderr) = text(out);
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v.get("event").is_none())
        .unwrap_or_else(|| panic!("no JSON answer in stdout {stdout} / stderr {stderr}"))
}

/// A tools folder: the real `pg_restore`/`psql` symlinked, the real `pg_dump` as
/// `pg_dump.real`, and `pg_dump` replaced by `script` (a POSIX shell script body).
pub fn fake_tools(real_bindir: &Path, script: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for tool in ["pg_restore", "psql"] {
        std::os::unix::fs::symlink(real_bindir.join(tool), dir.path().join(tool)).unwrap();
    }
    std::os::unix::fs::symlink(real_bindir.join("pg_dump"), dir.path().join("pg_dump.real"))
        .unwrap();
    let path = dir.path().join("pg_dump");
    let body = format!(
        "#!/bin/sh\nREAL={real}\nHERE={here}\n{script}\n",
        real = dir.path().join("pg_dump.real").display(),
        here = dir.path().display()
    );
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// A tools folder whose `pg_dump` and `pg_restore` record their argv (`<tool>.argv`), their
/// environment (`<tool>.env`) and the mode of their `PGPASSFILE` (`<tool>.passfile`), then
/// exec the real tool.
pub fn spy_tools(real_bindir: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for tool in ["pg_dump", "pg_restore"] {
        let path = dir.path().join(tool);
        let body = format!(
            "#!/bin/sh\nHERE={here}\nprintf '%s\\n' \"$@\" >> \"$HERE/{tool}.argv\"\n\
             env >> \"$HERE/{tool}.env\"\n\
             [ -n \"$PGPASSFILE\" ] && ls -l \"$PGPASSFILE\" >> \"$HERE/{tool}.passfile\"\n\
             exec {real} \"$@\"\n",
            here = dir.path().display(),
            real = real_bindir.join(tool).display(),
        );
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}
