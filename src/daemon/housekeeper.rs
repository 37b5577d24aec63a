//! The housekeeping component: the links of past issues read again when
//! the drafts directory changes, and old history pruned hourly, on a
//! connection of its own.

use std::time::Duration;

use tokio::sync::watch;

use super::scheduler::Running;
use super::shutdown::Shutdown;
use crate::config::Config;
use crate::housekeeping;
use crate::store::Store;

/// How often the drafts directory is looked at.
const LOOK_EVERY: Duration = Duration::from_secs(15);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub(super) struct Housekeeper {
    pub(super) running: watch::Receiver<Running>,
    pub(super) store: Store,
    /// The past issues as last read (at start-up).
    pub(super) published_fingerprint: String,
}

impl Housekeeper {
    pub(super) async fn run(mut self, mut shutdown: Shutdown) {
        let mut look = tokio::time::interval(LOOK_EVERY);
        look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut last_prune: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = look.tick() => {}
                _ = shutdown.requested() => return,
            }
            let config = self.running.borrow().config.clone();
            // SQLite blocks (up to its busy timeout): not on a worker the
            // scheduler needs.
            tokio::task::block_in_place(|| self.tidy(&config, &mut last_prune));
        }
    }

    /// Past issues read again if they changed; history pruned when due.
    fn tidy(&mut self, config: &Config, last_prune: &mut Option<tokio::time::Instant>) {
        let fingerprint = housekeeping::published_fingerprint(config);
        if fingerprint != self.published_fingerprint {
            match housekeeping::refresh_published(&mut self.store, config) {
                Ok(links) => {
                    self.published_fingerprint = fingerprint;
                    tracing::info!(links, "past issues changed; their links were read again");
                }
                Err(err) => tracing::warn!(
                    "cannot read past issues: {}",
                    crate::errors::with_causes(&err)
                ),
            }
        }
        if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            *last_prune = Some(tokio::time::Instant::now());
            match housekeeping::prune(&self.store) {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "old fetch-log rows removed"),
                Err(err) => tracing::warn!(
                    "cannot prune the fetch log: {}",
                    crate::errors::with_causes(&err)
                ),
            }
        }
    }
}
