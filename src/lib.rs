//! newsdesk collects the links of a curated tech newsletter and drafts its
//! next issue.
//!
//! The pipeline runs one way: [`config`] → [`fetch`] → [`source`] adapters →
//! [`normalize`] → [`store`] (deduplicated candidates), driven by [`poll`];
//! [`draft`] renders the accepted ones into the next issue; [`cli`] holds
//! the commands. [`ids`] and [`candidate`] are the vocabulary the rooms
//! share: [`rank`] scores a [`candidate::RankInput`] and the store persists
//! the scores it is handed, so neither imports the other.

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
