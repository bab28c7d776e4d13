//! Dumps, manifests, status files and locks are 0600 and the backup folder 0700, whatever the
//! umask; an existing folder that others can read is reported by `list` and `backup`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use crate::helpers::seeded::{seeded, text};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs the agent under `umask 000` with `dir` as its backup folder.
async fn agent_umask_000(bindir: &Path, db_url: &str, dir: &Path, args: &str) -> Output {
    tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("umask 000; exec \"$AGENT\" {args}"))
        .env_clear()
        .env("AGENT", env!("CARGO_BIN_EXE_ops-agent"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("OPS_BACKUP_DIR", dir)
        .env("PG_BIN_DIR", bindir)
        .env("LOG_FORMAT", "json")
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn under_umask_000_the_folder_is_0700_and_every_file_0600() {
    let env = seeded().await;
    let dir = env.dir.path().join("new/backups");
    for args in ["backup", "restore --verify"] {
        let out = agent_umask_000(&env.bindir, &env.db.url, &dir, args).await;
        assert!(out.status.success(), "{args}: {:?}", text(&out));
    }
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("status")), 0o700);
    let mut files = 0;
    for sub in [dir.clone(), dir.join("status")] {
        for e in std::fs::read_dir(&sub).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                files += 1;
                assert_eq!(mode(&p), 0o600, "{}", p.display());
            }
        }
    }
    // dump, manifest, two locks, two status files
    assert_eq!(files, 6);
}

#[tokio::test]
async fn list_and_backup_warn_when_the_existing_folder_is_readable_by_others() {
    let env = seeded().await;
    let dir = env.dir.path().join("shared");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for args in ["list", "backup"] {
        let out = agent_umask_000(&env.bindir, &env.db.url, &dir, args).await;
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args}: {stdout}\n{stderr}");
        let warning = stdout
            .lines()
            .find(|l| l.contains("\"event\":\"backup_folder_exposed\""))
            .unwrap_or_else(|| panic!("{args}: no warning in {stdout}"));
        assert!(warning.contains("\"mode\":\"0755\""), "{warning}");
    }
    assert_eq!(
        mode(&dir),
        0o755,
        "an existing folder's mode is the operator's"
    );
}
