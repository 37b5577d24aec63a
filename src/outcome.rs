//! How one poll of a source ended: the one word that the fetch log, the
//! metrics, `poll`'s summary and the schedule share.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// New content was fetched and read.
    Fetched,
    /// The server sent the same bytes as last time: nothing to read.
    Unchanged,
    /// The server answered 304.
    NotModified,
    /// The fetch or the reading failed.
    Failed,
}

impl Outcome {
    /// The name stored in the fetch log and used as the metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fetched => "fetched",
            Outcome::Unchanged => "unchanged",
            Outcome::NotModified => "not_modified",
            Outcome::Failed => "failed",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
