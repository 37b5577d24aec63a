//! Keeping the database in step with the world around it: the links of
//! past issues read again when the drafts directory changes, and history
//! the queue no longer needs pruned. `newsdesk poll` runs the
//! first before their work; the daemon runs both as a component.

use chrono::Utc;

use crate::config::Config;
use crate::store::{Store, StoreError};

/// The fetch log keeps this much history (`sources` needs only the latest).
pub const FETCH_LOG_DAYS: i64 = 90;

/// Reads the links of past issues from the drafts directory (absent: none
/// published yet) into the store; returns how many there are.
pub fn refresh_published(store: &mut Store, config: &Config) -> Result<usize, StoreError> {
    let dir = &config.newsletter.drafts_dir;
    if !dir.is_dir() {
        return Ok(0);
    }
    let links = crate::published::scan(dir);
    store.replace_published(&links)?;
    tracing::debug!(links = links.len(), dir = %dir.display(), "links of past issues read");
    Ok(links.len())
}

/// What tells whether the past issues changed since they were last read.
pub fn published_fingerprint(config: &Config) -> String {
    crate::published::fingerprint(&config.newsletter.drafts_dir)
}

/// Removes fetch-log rows and title sketches older than
/// [`FETCH_LOG_DAYS`]; returns how many fetch-log rows went.
pub fn prune(store: &Store) -> Result<usize, StoreError> {
    store.prune_fetch_log(Utc::now() - chrono::Duration::days(FETCH_LOG_DAYS))
}
