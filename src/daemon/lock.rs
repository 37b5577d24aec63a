//! One daemon per database: a lock file beside it, held for the daemon's
//! life. A second daemon on the same database would keep its own title
//! index and split stories the first one already holds.

use std::path::Path;

use super::DaemonError;
use crate::lock_file::LockFile;

/// Held while the daemon runs; the lock goes with the process.
pub(super) struct DaemonLock {
    _file: LockFile,
}

impl DaemonLock {
    /// The lock of `database`, or why it cannot be had.
    pub(super) fn take(database: &Path) -> Result<DaemonLock, DaemonError> {
        const SUFFIX: &str = ".daemon-lock";
        let mut file =
            LockFile::open(database, SUFFIX).map_err(|source| DaemonError::LockFile {
                path: LockFile::path_of(database, SUFFIX),
                source,
            })?;
        match file.try_take() {
            Ok(true) => Ok(DaemonLock { _file: file }),
            Ok(false) => Err(DaemonError::AlreadyRunning {
                database: database.to_owned(),
                pid: file.holder(),
            }),
            Err(source) => Err(DaemonError::LockFile {
                path: file.path().to_owned(),
                source,
            }),
        }
    }
}
