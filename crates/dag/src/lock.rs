//! A store-wide lock that the operating system releases when the process dies (flock), so a
//! killed run never leaves a stale lock behind.

use std::fs::{File, OpenOptions};
use std::path::Path;

/// Held while a run writes to the store; released on drop or process death.
pub struct StoreLock {
    _file: File,
}

impl StoreLock {
    /// Block until the exclusive lock on `root/lock` is held.
    pub fn exclusive(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(root.join("lock"))?;
        file.lock()?;
        Ok(StoreLock { _file: file })
    }

    /// Try to take the lock without waiting; `None` when another process holds it.
    pub fn try_exclusive(root: &Path) -> std::io::Result<Option<Self>> {
        std::fs::create_dir_all(root)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(root.join("lock"))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(StoreLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_waits_until_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = StoreLock::exclusive(dir.path()).unwrap();
        assert!(StoreLock::try_exclusive(dir.path()).unwrap().is_none());
        drop(first);
        assert!(StoreLock::try_exclusive(dir.path()).unwrap().is_some());
    }
}
