//! One run at a time: a non-blocking `flock` on `<backup_dir>/.lock` (backups and prunes) or
//! `<backup_dir>/.verify.lock` (restore drills), held for the whole run and released by the
//! kernel however the process ends.

use std::fs::File;
use std::path::Path;

/// The held lock; released on drop.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error("another {what} is in progress (lock {path} is held); not starting a second one")]
    Busy {
        /// What kind of run holds it.
        what: &'static str,
        /// The lock file.
        path: String,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl FolderLock {
    /// Takes the backup lock without waiting, creating the folder (0700) and lock file (0600)
    /// when missing.
    pub fn acquire(dir: &Path) -> anyhow::Result<Self> {
        Self::acquire_named(dir, ".lock", "backup run")
    }

    /// Takes the restore-drill lock without waiting.
    pub fn acquire_verify(dir: &Path) -> anyhow::Result<Self> {
        Self::acquire_named(dir, ".verify.lock", "restore drill")
    }

    fn acquire_named(dir: &Path, name: &str, what: &'static str) -> anyhow::Result<Self> {
        // Every run that writes to the folder takes a lock first: the one place to say that
        // the folder is open to others.
        crate::events::backup::BackupFolderExposed::check(dir);
        crate::private::ensure_dir(dir)?;
        let path = dir.join(name);
        let shown = path.display().to_string();
        let file = crate::private::open_file(&path).map_err(|source| LockError::Io {
            path: shown.clone(),
            source,
        })?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => Ok(Self { _file: file }),
            Err(fs4::TryLockError::WouldBlock) => Err(LockError::Busy { what, path: shown }.into()),
            Err(fs4::TryLockError::Error(source)) => Err(LockError::Io {
                path: shown,
                source,
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderLock::acquire(dir.path()).unwrap();
        let err = FolderLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(err.contains("another backup run"), "{err}");
        let drill = FolderLock::acquire_verify(dir.path()).unwrap();
        let err = FolderLock::acquire_verify(dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("another restore drill"), "{err}");
        drop((first, drill));
        // Another test of this binary may fork while we hold the lock; its child keeps a copy
        // of the descriptor (and so the flock) until it execs, a moment later.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while FolderLock::acquire(dir.path()).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the lock was never let go"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}
