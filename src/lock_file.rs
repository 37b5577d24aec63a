//! A lock file beside the database (`<db>.daemon-lock`, `<db>.draft-lock`):
//! an advisory lock on it says who may go on, and the holder writes its
//! pid into it so that whoever is refused can say who holds it. The lock
//! goes with the file's descriptor, so with the process however it ends.

use std::fs::{File, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// An open lock file, locked or not yet.
#[derive(Debug)]
pub struct LockFile {
    file: File,
    path: PathBuf,
}

impl LockFile {
    /// The lock file `<database><suffix>`.
    pub fn path_of(database: &Path, suffix: &str) -> PathBuf {
        let mut path = database.as_os_str().to_owned();
        path.push(suffix);
        PathBuf::from(path)
    }

    /// Opens (creating it if need be) the lock file `<database><suffix>`.
    pub fn open(database: &Path, suffix: &str) -> io::Result<LockFile> {
        let path = Self::path_of(database, suffix);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        Ok(LockFile { file, path })
    }

    /// Where the lock file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the lock without waiting: true when taken (and this process's
    /// pid written into the file), false while another holds it.
    pub fn try_take(&mut self) -> io::Result<bool> {
        match self.file.try_lock() {
            Ok(()) => {
                self.file.set_len(0)?;
                self.file.rewind()?;
                writeln!(self.file, "{}", std::process::id())?;
                Ok(true)
            }
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(err)) => Err(err),
        }
    }

    /// The pid the holder wrote, if it did yet.
    pub fn holder(&mut self) -> Option<u32> {
        let mut text = String::new();
        self.file.rewind().ok()?;
        self.file.read_to_string(&mut text).ok()?;
        text.trim().parse().ok()
    }
}
