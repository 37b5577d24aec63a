//! The enricher component: article pages of candidates without a real
//! summary, fetched a few at a time beside the polls (on a database
//! connection of its own), whenever polls queued new candidates or the last pass left
//! work.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::scheduler::Running;
use super::shutdown::Shutdown;
use crate::store::Store;

/// Article pages fetched per pass at most.
const PAGES_PER_PASS: usize = 20;
/// How often the enricher looks again when nothing woke it.
const LOOK_EVERY: Duration = Duration::from_secs(15);

pub(super) struct Enricher {
    pub(super) running: watch::Receiver<Running>,
    pub(super) store: Store,
    pub(super) candidates_added: Arc<Notify>,
}

impl Enricher {
    pub(super) async fn run(mut self, mut shutdown: Shutdown) {
        let mut look = tokio::time::interval(LOOK_EVERY);
        look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        // Looking for thin candidates reads the whole queue: only when a
        // poll added candidates since, or the last pass left work.
        let mut due = true;
        loop {
            tokio::select! {
                _ = self.candidates_added.notified() => due = true,
                _ = look.tick() => {}
                _ = shutdown.requested() => return,
            }
            let running = self.running.borrow().clone();
            if !due || !running.config.sources.iter().any(|s| s.enabled && s.enrich) {
                continue;
            }
            due = false;
            tokio::select! {
                left_work = self.pass(&running) => due |= left_work,
                // The pass only caches what pages say: nothing to finish.
                _ = shutdown.requested() => return,
            }
        }
    }

    /// One pass; true when it may have left work (it used up its
    /// allowance, or failed).
    async fn pass(&mut self, running: &Running) -> bool {
        let pass = crate::enrich::enrich_pending(
            &running.client,
            &mut self.store,
            &running.config,
            PAGES_PER_PASS,
        );
        match pass.await {
            Ok(done) => {
                if done.pages > 0 {
                    tracing::info!(
                        pages = done.pages,
                        summaries = done.summaries,
                        failed = done.failed,
                        "enriched candidates from their article pages"
                    );
                }
                done.pages >= PAGES_PER_PASS
            }
            Err(err) => {
                tracing::warn!("enrichment failed: {}", crate::errors::with_causes(&err));
                true
            }
        }
    }
}
