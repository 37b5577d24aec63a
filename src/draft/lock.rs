//! One `newsdesk draft` at a time per database: a lock file beside it
//! (`<db>.draft-lock`), held from reading the candidates until the commit.
//! Two drafts at once would each write the file from what they had read,
//! the later one dropping what the earlier one added and marked drafted;
//! two `--commit`s would fight over git's index.lock.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a draft waits for another one: long enough for a commit with
/// hooks and signing, short enough that a stuck one is reported.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// How often the lock is tried again while another draft holds it.
const RETRY_EVERY: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot use the lock file {}\n  help: check that the database's directory is writable", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "another `newsdesk draft`{} has been drafting from {} for {}s; nothing was changed\n  help: wait for it to finish and run this one again (its lock is {})",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        database.display(),
        waited.as_secs(),
        path.display()
    )]
    Busy {
        database: PathBuf,
        path: PathBuf,
        pid: Option<u32>,
        waited: Duration,
    },
}

/// Held while a draft is written and committed; the lock goes with it
/// (and with the process, however it ends).
#[derive(Debug)]
pub struct DraftLock {
    _file: File,
}

impl DraftLock {
    /// The draft lock of `database`, waiting up to `patience` for another
    /// draft to finish; `waiting` is told once, with the holder's pid, when
    /// it has to wait.
    pub fn take(
        database: &Path,
        patience: Duration,
        waiting: impl FnOnce(Option<u32>),
    ) -> Result<DraftLock, LockError> {
        let path = lock_path(database);
        let failed = |source| LockError::File {
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
        let started = Instant::now();
        let mut waiting = Some(waiting);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let pid = holder(&mut file);
                    if started.elapsed() >= patience {
                        return Err(LockError::Busy {
                            database: database.to_owned(),
                            path,
                            pid,
                            waited: started.elapsed(),
                        });
                    }
                    if let Some(tell) = waiting.take() {
                        tell(pid);
                    }
                    std::thread::sleep(RETRY_EVERY);
                }
                Err(TryLockError::Error(source)) => return Err(failed(source)),
            }
        }
        file.set_len(0).map_err(failed)?;
        file.rewind().map_err(failed)?;
        writeln!(file, "{}", std::process::id()).map_err(failed)?;
        Ok(DraftLock { _file: file })
    }
}

/// The pid the holder wrote, if it did yet.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn lock_path(database: &Path) -> PathBuf {
    let mut path = database.as_os_str().to_owned();
    path.push(".draft-lock");
    PathBuf::from(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_draft_waits_then_says_who_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("newsdesk.db");
        let first = DraftLock::take(&database, PATIENCE, |_| panic!("nobody holds it")).unwrap();
        let mut told = None;
        let refused =
            DraftLock::take(&database, Duration::from_millis(200), |pid| told = pid).unwrap_err();
        assert_eq!(told, Some(std::process::id()));
        let text = refused.to_string();
        assert!(text.contains("another `newsdesk draft`"), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        DraftLock::take(&database, PATIENCE, |_| panic!("released")).unwrap();
    }
}
