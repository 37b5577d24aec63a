//! One daemon per database: a lock file beside it, held for the daemon's
//! life. A second daemon on the same database would keep its own title
//! index and split stories the first one already holds.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use super::DaemonError;

/// Held while the daemon runs; the lock goes with the process.
pub(super) struct DaemonLock {
    _file: File,
}

impl DaemonLock {
    /// The lock of `database`, or why it cannot be had.
    pub(super) fn take(database: &Path) -> Result<DaemonLock, DaemonError> {
        let path = lock_path(database);
        let failed = |source| DaemonError::LockFile {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(failed)?;
        // SAFETY: flock on a descriptor this function owns; it only takes
        // or refuses an advisory lock.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if !locked {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(DaemonError::AlreadyRunning {
                database: database.to_owned(),
                pid: holder.trim().parse().ok(),
            });
        }
        file.set_len(0).map_err(failed)?;
        file.rewind().map_err(failed)?;
        writeln!(file, "{}", std::process::id()).map_err(failed)?;
        Ok(DaemonLock { _file: file })
    }
}

fn lock_path(database: &Path) -> PathBuf {
    let mut path = database.as_os_str().to_owned();
    path.push(".daemon-lock");
    PathBuf::from(path)
}
