//! Per-host politeness: how many requests a host gets at once, and how far
//! apart their starts must be (`[[hosts]]` rules, else `per_host`), under
//! one global cap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::config::HostRule;

/// The gate to one host: how many requests at once, and how far apart
/// their starts must be.
struct HostGate {
    slots: Arc<Semaphore>,
    /// How many slots it was made with.
    capacity: usize,
    spacing: Option<Duration>,
    next_start: tokio::sync::Mutex<Instant>,
}

impl HostGate {
    fn new(capacity: usize, spacing: Option<Duration>, next_start: Instant) -> HostGate {
        HostGate {
            slots: Arc::new(Semaphore::new(capacity)),
            capacity,
            spacing,
            next_start: tokio::sync::Mutex::new(next_start),
        }
    }

    async fn enter(&self) -> OwnedSemaphorePermit {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        if let Some(spacing) = self.spacing {
            let mut next = self.next_start.lock().await;
            let start = (*next).max(Instant::now());
            *next = start + spacing;
            drop(next);
            tokio::time::sleep_until(start).await;
        }
        permit
    }
}

/// The gate a URL passes: its host and port.
pub fn gate_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    format!("{host}:{}", url.port_or_known_default().unwrap_or(0))
}

/// A global cap, and per host a cap and an optional rate.
pub(super) struct Limits {
    global: Arc<Semaphore>,
    concurrency: usize,
    per_host: usize,
    rules: Vec<HostRule>,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

/// Leave to send one request: a slot at its host and one of the global
/// ones. The host's slot is given back when the exchange ends
/// ([`super::PoliteClient::fetch`]); the global one when this is dropped,
/// so a caller can keep it while it works on the answer.
pub struct Admission {
    pub(super) host: Option<OwnedSemaphorePermit>,
    _global: OwnedSemaphorePermit,
}

impl Limits {
    pub(super) fn new(concurrency: usize, per_host: usize, rules: Vec<HostRule>) -> Limits {
        Limits {
            global: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            per_host,
            rules,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// The limits of a reloaded configuration, keeping what these know of
    /// each host: a gate whose rule is unchanged is shared (its requests in
    /// flight and its next start count), a changed one starts no sooner
    /// than the old one allowed. Fresh gates at every SIGHUP would let
    /// each reload start a request at once.
    pub(super) fn reloaded(
        &self,
        concurrency: usize,
        per_host: usize,
        rules: Vec<HostRule>,
    ) -> Limits {
        let mut limits = Limits::new(concurrency, per_host, rules);
        if concurrency == self.concurrency {
            limits.global = self.global.clone();
        }
        let old = self.hosts.lock().expect("host table lock");
        let mut hosts = HashMap::with_capacity(old.len());
        for (key, gate) in old.iter() {
            let (capacity, spacing) = limits.rule_of(key.rsplit_once(':').map_or("", |(h, _)| h));
            let kept = if gate.capacity == capacity && gate.spacing == spacing {
                gate.clone()
            } else {
                // Taken only for a moment by `enter`, never across a wait.
                let next = gate.next_start.try_lock().map_or_else(
                    |_| Instant::now() + gate.spacing.unwrap_or_default(),
                    |n| *n,
                );
                Arc::new(HostGate::new(capacity, spacing, next))
            };
            hosts.insert(key.clone(), kept);
        }
        drop(old);
        limits.hosts = Mutex::new(hosts);
        limits
    }

    /// The slots and spacing of `host`: its `[[hosts]]` rule, else the
    /// defaults.
    fn rule_of(&self, host: &str) -> (usize, Option<Duration>) {
        let rule = self.rules.iter().find(|r| r.matches(host));
        (
            rule.and_then(|r| r.per_host).unwrap_or(self.per_host),
            rule.and_then(|r| r.rate).map(|r| r.spacing()),
        )
    }

    fn gate(&self, url: &Url) -> Arc<HostGate> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let mut hosts = self.hosts.lock().expect("host table lock");
        hosts
            .entry(gate_key(url))
            .or_insert_with(|| {
                let (capacity, spacing) = self.rule_of(&host);
                Arc::new(HostGate::new(capacity, spacing, Instant::now()))
            })
            .clone()
    }

    /// The host's slot first, then a global one: waiting for a busy host
    /// must not hold a global slot other hosts could use.
    pub(super) async fn admit(&self, url: &Url) -> Admission {
        let host = self.gate(url).enter().await;
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        Admission {
            host: Some(host),
            _global: global,
        }
    }
}
