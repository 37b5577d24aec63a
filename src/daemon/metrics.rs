//! Prometheus metrics of the daemon, served at `/metrics` when `[daemon]
//! listen` is set.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::poll::SourceResult;
use crate::store::Status;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: String,
}

/// Every metric, registered once; cheap to clone (the values are shared).
#[derive(Clone)]
pub struct Metrics {
    registry: std::sync::Arc<Registry>,
    fetches: Family<OutcomeLabel, Counter>,
    fetch_seconds: Histogram,
    bytes: Counter,
    entries: Counter,
    candidates: Counter,
    queue: Family<StatusLabel, Gauge>,
    failures: Family<SourceLabel, Gauge>,
    sources: Gauge,
    quiet_sources: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("newsdesk");
        let fetches = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "fetches",
            "Fetches by outcome (fetched, not_modified, unchanged, failed)",
            fetches.clone(),
        );
        let fetch_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "fetch_duration_seconds",
            "Time from request to complete body",
            fetch_seconds.clone(),
        );
        let bytes = Counter::default();
        registry.register(
            "fetched_bytes",
            "Body bytes received (after decompression)",
            bytes.clone(),
        );
        let entries = Counter::default();
        registry.register("entries_added", "New entries stored", entries.clone());
        let candidates = Counter::default();
        registry.register(
            "candidates_added",
            "New candidates queued",
            candidates.clone(),
        );
        let queue = Family::<StatusLabel, Gauge>::default();
        registry.register("queue_candidates", "Candidates by status", queue.clone());
        let failures = Family::<SourceLabel, Gauge>::default();
        registry.register(
            "source_consecutive_failures",
            "Consecutive failed polls per source",
            failures.clone(),
        );
        let sources = Gauge::default();
        registry.register("sources", "Configured, enabled sources", sources.clone());
        let quiet_sources = Gauge::default();
        registry.register(
            "quiet_sources",
            "Sources answering but with nothing new for their quiet_after",
            quiet_sources.clone(),
        );
        Metrics {
            registry: std::sync::Arc::new(registry),
            fetches,
            fetch_seconds,
            bytes,
            entries,
            candidates,
            queue,
            failures,
            sources,
            quiet_sources,
        }
    }
}

impl Metrics {
    pub fn record(&self, result: &SourceResult) {
        self.fetches
            .get_or_create(&OutcomeLabel {
                outcome: result.outcome.as_str().to_owned(),
            })
            .inc();
        self.fetch_seconds.observe(result.duration.as_secs_f64());
        self.bytes.inc_by(result.bytes);
        self.entries.inc_by(result.added.entries as u64);
        self.candidates.inc_by(result.added.candidates as u64);
        self.failures
            .get_or_create(&SourceLabel {
                source: result.id.to_string(),
            })
            .set(i64::from(result.consecutive_failures));
    }

    pub fn set_queue(&self, counts: &[(Status, i64)]) {
        for status in Status::ALL {
            let count = counts
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n);
            self.queue
                .get_or_create(&StatusLabel {
                    status: status.as_str().to_owned(),
                })
                .set(count);
        }
    }

    pub fn set_sources(&self, enabled: usize) {
        self.sources.set(enabled as i64);
    }

    pub fn set_quiet_sources(&self, quiet: usize) {
        self.quiet_sources.set(quiet as i64);
    }

    /// Forgets the failure gauge of sources no longer configured.
    pub fn forget_source(&self, id: &str) {
        self.failures.remove(&SourceLabel {
            source: id.to_owned(),
        });
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String");
        text
    }
}
