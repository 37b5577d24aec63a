//! What the house says about a candidate besides its row: its place in the
//! editor's queue ([`Status`]) and what ranking reads of it ([`RankInput`]).
//!
//! `rank` scores a [`RankInput`] and the store persists scores it is
//! handed as a [`Scoring`]: neither knows the other, both know this.

use std::fmt;

use chrono::{DateTime, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::Serialize;

use crate::ids::SourceId;

/// Queue states of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Accepted,
    Rejected,
    Deferred,
    Drafted,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Accepted,
        Status::Rejected,
        Status::Deferred,
        Status::Drafted,
    ];

    /// The word the database, the JSON output and the command line use.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::Deferred => "deferred",
            Status::Drafted => "drafted",
        }
    }

    pub fn parse(word: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` keeps width and alignment (`{:<9}` in tables).
        f.pad(self.as_str())
    }
}

impl ToSql for Status {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Status {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let word = value.as_str()?;
        Status::parse(word)
            .ok_or_else(|| FromSqlError::Other(format!("unknown status {word:?}").into()))
    }
}

/// What scoring a candidate reads: borrowed from wherever the candidate is
/// at hand (a row being inserted, a row read back).
#[derive(Debug, Clone, Copy)]
pub struct RankInput<'a> {
    pub title: &'a str,
    pub summary: Option<&'a str>,
    /// The source it was first seen in.
    pub source: &'a SourceId,
    /// How many sources carried it.
    pub seen_in: usize,
    /// RFC 3339.
    pub published: &'a str,
    /// The link the newsletter would show.
    pub url: Option<&'a str>,
    /// How a past issue mentioned it ("mentioned in the 2022-08-05 issue …").
    pub mention: Option<&'a str>,
    /// The categories, tags or track its source gave it ("MAINTAINER TRACK").
    pub categories: &'a [String],
}

/// What ranking makes of a candidate: its score and the section it would
/// go in.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub total: f64,
    pub section: Option<String>,
}

/// A score as candidates carry it (lists, JSON): two decimals.
pub fn rounded_score(total: f64) -> f64 {
    (total * 100.0).round() / 100.0
}

/// Anything that gives a candidate its total score and suggested section.
pub trait CandidateScorer: Sync {
    fn judge(&self, candidate: &RankInput) -> Judged;
}

/// Candidates scored on each core from this many.
const PARALLEL_FROM: usize = 5_000;

/// A scorer as the store is handed it: the scores it gives belong to one
/// ranking generation and one moment (recency decays), both stored with
/// each score so that stale ones are known.
#[derive(Clone, Copy)]
pub struct Scoring<'a> {
    pub generation: i64,
    pub at: DateTime<Utc>,
    pub scorer: &'a dyn CandidateScorer,
}

impl Scoring<'_> {
    pub fn score(&self, candidate: &RankInput) -> Judged {
        self.scorer.judge(candidate)
    }

    /// The scores of many candidates, in order: on every core when there
    /// are enough to be worth it.
    pub fn score_all(&self, candidates: &[RankInput]) -> Vec<Judged> {
        if candidates.len() < PARALLEL_FROM {
            return candidates.iter().map(|c| self.score(c)).collect();
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = candidates.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = candidates
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || part.iter().map(|c| self.score(c)).collect::<Vec<Judged>>())
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().expect("scoring does not panic"))
                .collect()
        })
    }
}

/// Where the stored scores stand: their generation (a new one with every
/// decision, since the learned model changes with it, and with new rules)
/// and the fingerprint of the rules of that generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingState {
    pub generation: i64,
    pub rules_fingerprint: String,
    /// How many undecided candidates there were, as the learned model's
    /// background, when the generation began.
    pub background: i64,
}

/// Why an example teaches the learned model what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lesson {
    /// An item of a past issue in drafts_dir.
    Published,
    /// Accepted or drafted.
    Accepted,
    Rejected,
    /// Still new when an issue covering its dates was drafted: a weak no.
    PassedOver,
    /// A recent candidate not yet decided: what a typical story looks
    /// like, against which the editor's picks stand out.
    Background,
}

/// Undecided candidates the learned model reads as its background, the
/// newest first, at most.
pub const BACKGROUND_SAMPLE: i64 = 3_000;

/// One example the learned model is trained from.
#[derive(Debug, Clone)]
pub struct Example {
    pub lesson: Lesson,
    pub title: String,
    /// The summary; for a past issue's item, that of the stored entry with
    /// the item's link, when newsdesk saw it.
    pub summary: Option<String>,
    /// For a past issue's item: the editors' comment under it.
    pub comment: Option<String>,
    /// The categories, tags or track its source gave it (for a past
    /// issue's item, those of the stored entry with its link).
    pub categories: Vec<String>,
    /// The link, or for a past issue's item the key of its link
    /// (`github.com/owner/repo`).
    pub url: Option<String>,
    /// Where it was seen (for a past issue's item, the source of the
    /// stored entry with its link).
    pub source: Option<SourceId>,
    /// Where the editor put it: a section id of the configuration for a
    /// decision, the heading (emoji left off) for a past issue's item.
    pub section: Option<String>,
    /// YYYY-MM-DD of the past issue.
    pub issue_date: Option<String>,
}

/// Where ranking's memory is kept (the store): the state of the stored
/// scores and the examples the learned model is trained from.
pub trait RankingStore {
    type Error;

    fn ranking_state(&self) -> Result<RankingState, Self::Error>;

    /// Records the fingerprint of the rules this process ranks by; when it
    /// differs from the stored one, stored scores become stale.
    fn adopt_ranking_rules(&mut self, fingerprint: &str) -> Result<(), Self::Error>;

    /// The items of past issues, every decided candidate, the candidates
    /// passed over, and a sample of undecided ones.
    fn examples(&self) -> Result<Vec<Example>, Self::Error>;

    /// How many undecided candidates there are, counted up to `at_most`,
    /// as the background the editor's picks stand out from: 0 while there
    /// are no picks (no past issue's item, nothing accepted).
    fn background_size(&self, at_most: i64) -> Result<i64, Self::Error>;

    /// Starts a new generation whose background is `background` candidates.
    fn advance_generation(&self, background: i64) -> Result<(), Self::Error>;
}
