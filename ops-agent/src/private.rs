//! Private files: the backup folder (and its `status/`) is 0700, and every dump, manifest,
//! status file and lock is created 0600, whatever the process umask. A dump holds every
//! customer's data; nobody but the agent's user reads it.
//!
//! An existing folder is not changed behind the operator's back: [`exposed_mode`] tells when it
//! is group- or world-accessible, and `backup_folder_exposed` says so (at `backup`, `list`,
//! prune and drills, through the lock). This module only touches files: it logs nothing.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;

/// Mode of every folder the agent creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file the agent creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) 0700 when missing; an existing one is left as it is.
pub fn ensure_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)
                .with_context(|| format!("creating {}", dir.display()))?;
            // The umask may have taken bits away, never added; set the mode exactly.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
                .with_context(|| format!("setting the mode of {}", dir.display()))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

/// The permission bits of the existing folder `dir` when they let the group or others in;
/// `None` when it is private or missing.
pub fn exposed_mode(dir: &Path) -> Option<u32> {
    let mode = std::fs::metadata(dir).ok()?.permissions().mode();
    (mode & 0o077 != 0).then_some(mode & 0o7777)
}

/// Opens `path` for writing, created 0600 (truncated if it exists, and then made 0600).
pub fn create_file(path: &Path) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(f)
}

/// Opens `path` for writing without truncating, created 0600 (a lock file).
pub fn open_file(path: &Path) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_files_are_private_even_when_they_existed_with_wider_modes() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/backups");
        ensure_dir(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("x");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"");
    }
}
