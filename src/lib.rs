//! newsdesk collects the links of a curated tech newsletter and drafts its
//! next issue.
//!
//! # The map
//!
//! Data flows one way, top to bottom; a module imports only from the
//! rooms above it (and the shared vocabulary). The integration test
//! `architecture` keeps it so.
//!
//! ```text
//! config          feeds.toml read and checked: every problem with its line
//!   │
//! schedule        when each source is due (pure policy) ─┐
//!   │                                                     │
//! fetch           the one polite HTTP client: per-host    │ poll drives
//!   │             gates, private-address guard, bounded   │ these, once
//!   │             exchanges, cache-header hints           │ (`newsdesk
//! source          adapters: feed | github | ical | html   │ poll`) or for
//!   │             (+ encoding, normalize, filter)         │ ever (daemon)
//! dedup           URL keys, title sketches, similarity    │
//! published       the links of past issues (drafts_dir)   │
//!   │                                                     │
//! store           SQLite: sources, polls, candidates,   ◄─┘
//!   │             decisions, drafts (rank hands it scores)
//! rank            scores a candidate::RankInput
//! enrich          article pages of thin candidates (through fetch)
//! housekeeping    past issues read again, history pruned
//! intake          links brought by hand: read, placed, credited
//!   │
//! review          the editor's queue: TUI and commands
//! draft           the next issue rendered, merged, committed, checked
//!   │
//! daemon          components: scheduler, writer, enricher, housekeeping,
//!                 health; /metrics and /healthz
//! cli             one file per command
//! ```
//!
//! - The pipeline: [`config`] → [`schedule`] → [`fetch`] → [`source`]
//!   (with [`encoding`], [`normalize`], [`filter`]) → [`dedup`] →
//!   [`store`], driven by [`poll`] (a reader per source, one writer);
//!   [`published`] reads the past issues the store checks stories
//!   against; [`rank`] scores what the store keeps; [`enrich`] and
//!   [`housekeeping`] keep it current; [`intake`] is where a link
//!   brought by hand (`newsdesk add`, the daemon's submission endpoint)
//!   enters.
//! - The editor's side: [`review`], [`draft`], [`opml`].
//! - Running it: [`daemon`] (components under one shutdown broadcast) and
//!   [`cli`] (the commands, the contract of DESIGN.md).
//! - The shared vocabulary, imported anywhere: [`ids`] (`SourceId`,
//!   `CandidateId`), [`candidate`] (`Status`, what ranking reads),
//!   [`outcome`] (how a poll ended), [`errors`] (a cause chain on one
//!   line).
//! - Small tools: [`atomic_file`], [`lock_file`], [`digest`], [`slug`], [`secret`],
//!   [`http_server`].

pub mod atomic_file;
pub mod candidate;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod digest;
pub mod draft;
pub mod encoding;
pub mod enrich;
pub mod errors;
pub mod fetch;
pub mod filter;
pub mod housekeeping;
pub mod http_server;
pub mod ids;
pub mod intake;
pub mod lock_file;
pub mod normalize;
pub mod opml;
pub mod outcome;
pub mod poll;
pub mod published;
pub mod rank;
pub mod review;
pub mod schedule;
pub mod secret;
pub mod slug;
pub mod source;
pub mod store;
