//! One `newsdesk draft` at a time per database: a lock file beside it
//! (`<db>.draft-lock`), held from reading the candidates until the commit.
//! Two drafts at once would each write the file from what they had read,
//! the later one dropping what the earlier one added and marked drafted;
//! two `--commit`s would fight over git's index.lock.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::lock_file::LockFile;

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
    _file: LockFile,
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
        const SUFFIX: &str = ".draft-lock";
        let path = LockFile::path_of(database, SUFFIX);
        let failed = |source| LockError::File {
            path: path.clone(),
            source,
        };
        let mut file = LockFile::open(database, SUFFIX).map_err(failed)?;
        let started = Instant::now();
        let mut waiting = Some(waiting);
        while !file.try_take().map_err(failed)? {
            let pid = file.holder();
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
        Ok(DraftLock { _file: file })
    }
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
