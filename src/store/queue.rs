//! The review queue read a page at a time, best first.
//!
//! Scoring every candidate on each read costs seconds at 100,000
//! candidates, so scores are stored: computed when a candidate is created
//! or changed (in the ingest transaction), and again when stale — never
//! scored, a day old (recency decays slowly), or of an older ranking
//! *generation* (each decision retrains the learned model; editing the
//! rules changes their fingerprint). Readers re-score stale rows: `review
//! list` all of them, the TUI a bounded batch at a time, best first, so
//! the rows on screen are fresh first.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{CandidateView, Result, Status, Store, StoreError, select_candidates, timestamp};
use crate::rank::{Model, Ranker, Rules};

/// A stored score older than this is recomputed.
const SCORE_MAX_AGE: Duration = Duration::days(1);

/// What a decision changed on one candidate, to undo it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    pub id: i64,
    pub status: String,
    pub section: Option<String>,
    pub note: Option<String>,
    pub decided_at: Option<String>,
}

/// One page of the queue.
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    pub status: Option<Status>,
    pub section: Option<String>,
    /// Words found in the title or summary (SQL `LIKE`, case-insensitive
    /// for ASCII).
    pub text: Option<String>,
    pub limit: Option<usize>,
    pub offset: usize,
}

impl QueueQuery {
    fn like(&self) -> Option<String> {
        self.text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                let escaped = t
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            })
    }
}

impl QueueQuery {
    /// The WHERE clause and its values. Only the conditions in use are
    /// written: `(?1 IS NULL OR status = ?1)` would keep SQLite from the
    /// index and read every candidate.
    fn condition(&self) -> (String, Vec<Box<dyn rusqlite::ToSql>>) {
        let mut clauses: Vec<&str> = Vec::new();
        let mut values: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(status) = self.status {
            clauses.push("c.status = ?");
            values.push(Box::new(status.as_str()));
        }
        if let Some(section) = &self.section {
            clauses.push("c.section = ?");
            values.push(Box::new(section.clone()));
        }
        if let Some(like) = self.like() {
            clauses.push("(c.title LIKE ? ESCAPE '\\' OR c.summary LIKE ? ESCAPE '\\')");
            values.push(Box::new(like.clone()));
            values.push(Box::new(like));
        }
        if clauses.is_empty() {
            return (String::new(), values);
        }
        (format!("WHERE {}", clauses.join(" AND ")), values)
    }
}

pub(super) fn prior(conn: &Connection, id: i64) -> Result<Option<Prior>> {
    Ok(conn
        .prepare_cached("SELECT status, section, note, decided_at FROM candidates WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(Prior {
                id,
                status: row.get(0)?,
                section: row.get(1)?,
                note: row.get(2)?,
                decided_at: row.get(3)?,
            })
        })
        .optional()?)
}

pub(super) fn next_generation(tx: &Transaction) -> Result<()> {
    tx.execute("UPDATE ranking SET generation = generation + 1", [])?;
    Ok(())
}

/// The current generation and the fingerprint of the rules it ranks by.
fn generation(conn: &Connection) -> Result<(i64, String)> {
    Ok(
        conn.query_row("SELECT generation, rules FROM ranking", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?,
    )
}

/// Scores the candidates `ids` (in a write transaction) with `ranker`.
pub(super) fn score_ids(
    tx: &Transaction,
    ids: impl Iterator<Item = i64>,
    ranker: &Ranker,
    generation: i64,
) -> Result<()> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    // One read per few hundred candidates rather than one per candidate;
    // chunks small enough that `seen_in` is looked up per candidate, not by
    // a pass over every entry.
    for chunk in ids.chunks(SCORE_CHUNK) {
        let list = serde_json::to_string(chunk).expect("ids serialise");
        let candidates = select_candidates(
            tx,
            "WHERE c.id IN (SELECT value FROM json_each(?1))",
            [list],
        )?;
        store_scores(tx, &candidates, ranker, generation)?;
    }
    Ok(())
}

/// Candidates read at once by [`score_ids`]: few enough that their
/// `seen_in` is looked up one by one.
const SCORE_CHUNK: usize = super::SEEN_IN_ONE_BY_ONE;

/// Marks candidates `ids` as needing a score.
pub(super) fn mark_stale(tx: &Transaction, ids: impl Iterator<Item = i64>) -> Result<()> {
    let mut update =
        tx.prepare_cached("UPDATE candidates SET scored_generation = 0 WHERE id = ?1")?;
    for id in ids {
        update.execute([id])?;
    }
    Ok(())
}

/// Candidates scored on each core from this many.
const PARALLEL_FROM: usize = 5_000;

/// Page cache while every candidate is re-scored (KiB).
const RESCORE_CACHE_KIB: i64 = 32 * 1024;

fn store_scores(
    tx: &Transaction,
    candidates: &[CandidateView],
    ranker: &Ranker,
    generation: i64,
) -> Result<()> {
    let scores: Vec<f64> = if candidates.len() < PARALLEL_FROM {
        candidates.iter().map(|c| ranker.score(c).total).collect()
    } else {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = candidates.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = candidates
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|c| ranker.score(c).total)
                            .collect::<Vec<f64>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().expect("scoring does not panic"))
                .collect()
        })
    };
    let mut update = tx.prepare_cached(
        "UPDATE candidates SET score = ?2, scored_at = ?3, scored_generation = ?4 WHERE id = ?1",
    )?;
    let now = timestamp(ranker.now);
    for (candidate, score) in candidates.iter().zip(scores) {
        update.execute(params![candidate.id, score, now, generation])?;
    }
    Ok(())
}

impl Store {
    /// Sets the rules this process ranks with; when they differ from the
    /// ones stored scores were computed with, those scores become stale.
    pub fn set_ranking(&mut self, rules: Rules) -> Result<()> {
        let fingerprint = rules.fingerprint();
        let stored: String = self
            .conn
            .query_row("SELECT rules FROM ranking", [], |row| row.get(0))?;
        if stored != fingerprint {
            let tx = self.conn.transaction()?;
            tx.execute("UPDATE ranking SET rules = ?1", [&fingerprint])?;
            next_generation(&tx)?;
            tx.commit()?;
        }
        self.rules = Some(rules);
        self.ranker = None;
        Ok(())
    }

    /// Brings the cached ranker to the current generation (retraining the
    /// model from the decisions when it changed) and to `now`. Returns the
    /// generation, and whether this process's rules are the stored ones (a
    /// daemon not yet reloaded after the rules changed leaves its new
    /// candidates unscored, for readers with the new rules to score).
    pub(super) fn refresh_ranker(&mut self, now: DateTime<Utc>) -> Result<(i64, bool)> {
        let (current, stored_rules) = generation(&self.conn)?;
        let current_rules = self
            .rules
            .as_ref()
            .is_some_and(|r| r.fingerprint() == stored_rules);
        match &mut self.ranker {
            Some((generation, ranker)) if *generation == current => ranker.now = now,
            _ => {
                let decisions = self.decisions()?;
                let model = Model::train(
                    decisions
                        .iter()
                        .map(|(text, taken)| (text.as_str(), *taken)),
                );
                let rules = self.rules.clone().ok_or_else(|| {
                    StoreError::Invalid("no ranking rules set (Store::set_ranking)".into())
                })?;
                self.ranker = Some((current, Ranker { rules, model, now }));
            }
        }
        Ok((current, current_rules))
    }

    /// The live ranker (to explain a score), after [`Store::set_ranking`].
    pub fn ranker(&mut self, now: DateTime<Utc>) -> Result<&Ranker> {
        self.refresh_ranker(now)?;
        Ok(&self.ranker.as_ref().expect("just refreshed").1)
    }

    /// Re-scores stale candidates (of `status`, or all), at most `limit`,
    /// the best-ranked first, in one transaction; returns how many.
    pub fn rescore_stale(
        &mut self,
        status: Option<Status>,
        limit: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let (generation, _) = self.refresh_ranker(now)?;
        // Re-scoring everything rewrites every row and its index entry: a
        // page cache larger than SQLite's default 2 MB keeps those pages in
        // memory instead of spilling them to the WAL and reading them back.
        let whole = limit.is_none();
        if whole {
            self.conn
                .pragma_update(None, "cache_size", -RESCORE_CACHE_KIB)?;
        }
        let tx = self.conn.transaction()?;
        let stale_where = format!(
            "{} WHERE (c.scored_generation != ?1 OR c.scored_at < ?2) {}
             ORDER BY {} LIMIT ?3",
            // Most rows are stale after a decision: one pass over the table
            // beats an index lookup per row.
            if whole { "NOT INDEXED" } else { "" },
            if status.is_some() {
                "AND c.status = ?4"
            } else {
                "AND ?4 IS NULL"
            },
            // A batch is the best-ranked stale rows; all of them are read in
            // table order, sequentially, not by index.
            if whole {
                "c.id"
            } else {
                "c.score DESC, c.id DESC"
            }
        );
        let values = params![
            generation,
            timestamp(now - SCORE_MAX_AGE),
            limit.map_or(-1, |l| l as i64),
            status.map(Status::as_str)
        ];
        let stale = match limit {
            // A batch: the ids from the index alone, then those rows.
            Some(_) => {
                let ids: Vec<i64> = tx
                    .prepare_cached(&format!("SELECT c.id FROM candidates c {stale_where}"))?
                    .query_map(values, |row| row.get(0))?
                    .collect::<Result<_, _>>()?;
                let mut stale = Vec::with_capacity(ids.len());
                for id in ids {
                    stale.extend(select_candidates(&tx, "WHERE c.id = ?1", [id])?);
                }
                stale
            }
            None => select_candidates(&tx, &stale_where, values)?,
        };
        let (_, ranker) = self.ranker.as_ref().expect("refreshed above");
        store_scores(&tx, &stale, ranker, generation)?;
        tx.commit()?;
        if whole {
            self.conn
                .pragma_update(None, "cache_size", -super::PAGE_CACHE_KIB)?;
        }
        Ok(stale.len())
    }

    /// One page of the queue, best first (stored scores; ties newest first).
    pub fn queue(&self, query: &QueueQuery) -> Result<Vec<CandidateView>> {
        let (condition, mut values) = query.condition();
        values.push(Box::new(query.limit.map_or(-1, |l| l as i64)));
        values.push(Box::new(query.offset as i64));
        select_candidates(
            &self.conn,
            &format!("{condition} ORDER BY c.score DESC, c.id DESC LIMIT ? OFFSET ?"),
            rusqlite::params_from_iter(values),
        )
    }

    /// How many candidates the query matches over all pages.
    pub fn queue_len(&self, query: &QueueQuery) -> Result<usize> {
        let (condition, values) = query.condition();
        let count: i64 = self
            .conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM candidates c {condition}"))?
            .query_row(rusqlite::params_from_iter(values), |row| row.get(0))?;
        Ok(count as usize)
    }

    /// Puts candidates back as they were before a decision (undo), in one
    /// transaction; a candidate drafted since changes nothing.
    pub fn restore(&mut self, priors: &[Prior]) -> Result<()> {
        let tx = self.editor_transaction()?;
        for prior in priors {
            let current = self::prior(&tx, prior.id)?;
            if current.as_ref().is_none_or(|c| c.status == "drafted") {
                return Err(StoreError::Invalid(format!(
                    "candidate #{} is gone or already in a draft; nothing was undone",
                    prior.id
                )));
            }
            tx.execute(
                "UPDATE candidates SET status = ?2, section = ?3, note = ?4, decided_at = ?5 WHERE id = ?1",
                params![
                    prior.id,
                    prior.status,
                    prior.section,
                    prior.note,
                    prior.decided_at
                ],
            )?;
        }
        next_generation(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Sets (or with `None` clears) the editor's comment on a candidate;
    /// returns what it was before.
    pub fn set_note(&mut self, id: i64, note: Option<&str>) -> Result<Prior> {
        let tx = self.editor_transaction()?;
        let prior = self::prior(&tx, id)?.ok_or_else(|| {
            StoreError::Invalid(format!("no candidate #{id}; nothing was changed"))
        })?;
        tx.execute(
            "UPDATE candidates SET note = ?2 WHERE id = ?1",
            params![id, note],
        )?;
        tx.commit()?;
        Ok(prior)
    }
}
