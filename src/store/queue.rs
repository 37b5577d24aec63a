//! The review queue read a page at a time, best first.
//!
//! Scoring every candidate on each read costs seconds at 100,000
//! candidates, so scores are stored: computed when a candidate is created
//! or changed (in the ingest transaction), and again when stale — never
//! scored, a day old (recency decays slowly), or of an older ranking
//! *generation* (each decision retrains the learned model; editing the
//! rules changes their fingerprint). Readers re-score stale rows: `review
//! list` all of them, the TUI a bounded batch at a time, best first, so
//! the rows on screen are fresh first. The scores are computed by whoever
//! hands the store a [`Scoring`]; the store keeps them and their
//! generation.

use chrono::Duration;
use rusqlite::{Transaction, params};

use super::candidates::{SEEN_IN_ONE_BY_ONE, categories_of, select_candidates};
use super::decisions::next_generation;
use super::{CandidateView, Result, Status, Store, StoreError, timestamp};
use crate::candidate::{Example, Lesson, RankInput, RankingState, RankingStore, Scoring};
use crate::ids::CandidateId;

/// A stored score older than this is recomputed.
const SCORE_MAX_AGE: Duration = Duration::days(1);

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

    /// The WHERE clause and its values. Only the conditions in use are
    /// written: `(?1 IS NULL OR status = ?1)` would keep SQLite from the
    /// index and read every candidate.
    fn condition(&self) -> (String, Vec<Box<dyn rusqlite::ToSql>>) {
        let mut clauses: Vec<&str> = Vec::new();
        let mut values: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(status) = self.status {
            clauses.push("c.status = ?");
            values.push(Box::new(status));
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

/// Scores the candidates `ids` (in a write transaction) with `scoring`.
pub(super) fn score_ids(
    tx: &Transaction,
    mut ids: Vec<CandidateId>,
    scoring: &Scoring,
) -> Result<()> {
    ids.sort_unstable();
    ids.dedup();
    // One read per few hundred candidates rather than one per candidate;
    // chunks small enough that `seen_in` is looked up per candidate, not by
    // a pass over every entry.
    for chunk in ids.chunks(SEEN_IN_ONE_BY_ONE) {
        let list = serde_json::to_string(chunk).expect("ids serialise");
        let candidates = select_candidates(
            tx,
            "WHERE c.id IN (SELECT value FROM json_each(?1))",
            [list],
        )?;
        store_scores(tx, &candidates, scoring)?;
    }
    Ok(())
}

/// Marks candidates `ids` as needing a score.
pub(super) fn mark_stale(tx: &Transaction, ids: Vec<CandidateId>) -> Result<()> {
    let mut update =
        tx.prepare_cached("UPDATE candidates SET scored_generation = 0 WHERE id = ?1")?;
    for id in ids {
        update.execute([id])?;
    }
    Ok(())
}

/// Page cache while every candidate is re-scored (KiB).
const RESCORE_CACHE_KIB: i64 = 32 * 1024;

fn store_scores(tx: &Transaction, candidates: &[CandidateView], scoring: &Scoring) -> Result<()> {
    let inputs: Vec<RankInput> = candidates.iter().map(CandidateView::rank_input).collect();
    let scores = scoring.score_all(&inputs);
    let mut update = tx.prepare_cached(
        "UPDATE candidates SET score = ?2, scored_at = ?3, scored_generation = ?4, suggested_section = ?5 WHERE id = ?1",
    )?;
    let at = timestamp(scoring.at);
    for (candidate, judged) in candidates.iter().zip(scores) {
        update.execute(params![
            candidate.id,
            judged.total,
            at,
            scoring.generation,
            judged.section
        ])?;
    }
    Ok(())
}

impl RankingStore for Store {
    type Error = StoreError;

    fn ranking_state(&self) -> Result<RankingState> {
        Ok(self.conn.query_row(
            "SELECT generation, rules, background FROM ranking",
            [],
            |row| {
                Ok(RankingState {
                    generation: row.get(0)?,
                    rules_fingerprint: row.get(1)?,
                    background: row.get(2)?,
                })
            },
        )?)
    }

    fn adopt_ranking_rules(&mut self, fingerprint: &str) -> Result<()> {
        // A reader without write access ranks with what is stored.
        if !self.read_only && self.ranking_state()?.rules_fingerprint != fingerprint {
            let tx = self.conn.transaction()?;
            tx.execute("UPDATE ranking SET rules = ?1", [fingerprint])?;
            next_generation(&tx)?;
            tx.commit()?;
        }
        Ok(())
    }

    fn background_size(&self, at_most: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM published WHERE item = 1)
                          OR EXISTS (SELECT 1 FROM candidates WHERE status IN ('accepted', 'drafted'))
                     THEN (SELECT COUNT(*) FROM (SELECT 1 FROM candidates WHERE status = 'new' LIMIT ?1))
                     ELSE 0 END",
            [at_most],
            |row| row.get(0),
        )?)
    }

    fn advance_generation(&self, background: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE ranking SET generation = generation + 1, background = ?1",
            [background],
        )?;
        Ok(())
    }

    fn examples(&self) -> Result<Vec<Example>> {
        let mut examples = Vec::new();
        // A past issue's item brings what newsdesk stored of its link (the
        // story was often a candidate or kept-out entry before): the source,
        // summary and categories the ranking also reads of candidates.
        let mut items = self.conn.prepare_cached(
            "SELECT i.title, i.url_key, i.section, i.issue_date, i.comment,
                    e.summary, e.source_id, e.categories
             FROM (SELECT title, MIN(url_key) AS url_key, section, issue_date, MAX(comment) AS comment
                   FROM published WHERE item = 1 AND title IS NOT NULL GROUP BY file, title) i
             LEFT JOIN entries e ON e.id = (SELECT MIN(id) FROM entries WHERE url_key = i.url_key)",
        )?;
        for row in items.query_map([], |row| {
            Ok(Example {
                lesson: Lesson::Published,
                title: row.get(0)?,
                summary: row.get(5)?,
                comment: row.get(4)?,
                categories: categories_of(row.get(7)?),
                url: row.get(1)?,
                source: row.get(6)?,
                section: row.get(2)?,
                issue_date: row.get(3)?,
            })
        })? {
            examples.push(row?);
        }
        // Decided candidates; those still new when the latest past issue
        // was drafted, published before it (passed over); and the newest
        // others, as the background the editor's picks stand out from.
        // `+status` keeps SQLite off the status index for the newest: it
        // walks ids down and stops at the limit, where through the index
        // it sorted every new candidate first (0.12 s at 85,000).
        let latest_issue: Option<String> = self.conn.query_row(
            "SELECT MAX(issue_date) FROM published WHERE item = 1",
            [],
            |row| row.get(0),
        )?;
        let cut = latest_issue.map(|d| format!("{d}T23:59:59Z"));
        let mut candidates = self.conn.prepare_cached(
            "SELECT title, summary, url, source_id, section, status,
                    status = 'new' AND ?1 IS NOT NULL AND created_at <= ?1 AND published <= ?1, categories
             FROM candidates WHERE status IN ('accepted', 'drafted', 'rejected')
               AND id NOT IN (SELECT folded_id FROM related_links WHERE folded_id IS NOT NULL)
             UNION ALL
             SELECT * FROM (SELECT title, summary, url, source_id, section, status,
                    ?1 IS NOT NULL AND created_at <= ?1 AND published <= ?1, categories
                    FROM candidates WHERE +status = 'new' ORDER BY id DESC LIMIT ?2)",
        )?;
        let rows =
            candidates.query_map(params![cut, crate::candidate::BACKGROUND_SAMPLE], |row| {
                let status: Status = row.get(5)?;
                let passed_over: bool = row.get(6)?;
                Ok(Example {
                    lesson: match status {
                        Status::Rejected => Lesson::Rejected,
                        Status::Accepted | Status::Drafted => Lesson::Accepted,
                        _ if passed_over => Lesson::PassedOver,
                        _ => Lesson::Background,
                    },
                    title: row.get(0)?,
                    summary: row.get(1)?,
                    comment: None,
                    categories: categories_of(row.get(7)?),
                    url: row.get(2)?,
                    source: row.get(3)?,
                    section: row.get(4)?,
                    issue_date: None,
                })
            })?;
        for row in rows {
            examples.push(row?);
        }
        Ok(examples)
    }
}

/// A candidate `c` whose stored score is stale: of another ranking
/// generation (?1) or older than the cut-off (?2), of status ?3 when one
/// is given. Only the conditions in use, so SQLite can walk the status
/// index.
fn stale_condition(status: Option<Status>) -> &'static str {
    if status.is_some() {
        "(c.scored_generation != ?1 OR c.scored_at < ?2) AND c.status = ?3"
    } else {
        "(c.scored_generation != ?1 OR c.scored_at < ?2) AND ?3 IS NULL"
    }
}

impl Store {
    /// Whether any candidate (of `status`, or any) has a score stale for
    /// ranking generation `generation` at `at`, as [`Store::rescore_stale`]
    /// judges it: asked first, so a fresh queue is shown without training
    /// the ranking (most of the TUI's start at 85,000 candidates).
    pub fn has_stale(
        &self,
        generation: i64,
        at: chrono::DateTime<chrono::Utc>,
        status: Option<Status>,
    ) -> Result<bool> {
        let stale = self
            .conn
            .prepare_cached(&format!(
                "SELECT EXISTS (SELECT 1 FROM candidates c WHERE {})",
                stale_condition(status)
            ))?
            .query_row(
                params![generation, timestamp(at - SCORE_MAX_AGE), status],
                |row| row.get(0),
            )?;
        Ok(stale)
    }

    /// Re-scores with `scoring` the candidates whose stored score is stale
    /// at its moment (of `status`, or all), at most `limit`, the
    /// best-ranked first, in one transaction; returns how many (none when
    /// the store is read-only).
    pub fn rescore_stale(
        &mut self,
        scoring: &Scoring,
        status: Option<Status>,
        limit: Option<usize>,
    ) -> Result<usize> {
        // Without write access the stored scores are shown as they are.
        if self.read_only {
            return Ok(0);
        }
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
            "{} WHERE {} ORDER BY {} LIMIT ?4",
            // Most rows are stale after a decision: one pass over the table
            // beats an index lookup per row.
            if whole { "NOT INDEXED" } else { "" },
            stale_condition(status),
            // A batch is the best-ranked stale rows; all of them are read in
            // table order, sequentially, not by index.
            if whole {
                "c.id"
            } else {
                "c.score DESC, c.id DESC"
            }
        );
        let values = params![
            scoring.generation,
            timestamp(scoring.at - SCORE_MAX_AGE),
            status,
            limit.map_or(-1, |l| l as i64)
        ];
        let stale = match limit {
            // A batch: the ids from the index alone, then those rows.
            Some(_) => {
                let ids: Vec<CandidateId> = tx
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
        store_scores(&tx, &stale, scoring)?;
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
}

#[cfg(test)]
mod tests {
    use crate::candidate::{Lesson, RankingStore};
    use crate::rank::{Ranking, Rules};
    use crate::store::{MIGRATIONS, Status, Store};

    /// `has_stale` is asked so a fresh queue opens without training the
    /// ranking: it must say yes exactly when `rescore_stale` has work.
    #[test]
    fn has_stale_says_whether_rescore_stale_has_work() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("q.db")).unwrap();
        store
            .conn
            .execute_batch(
                "INSERT INTO sources (id, kind, url) VALUES ('blog', 'feed', 'https://blog.example/feed');
                 INSERT INTO candidates (id, source_id, title, published, created_at, status)
                   VALUES (1, 'blog', 'One', '2026-11-30T10:00:00Z', '2026-11-30T10:00:00Z', 'new'),
                          (2, 'blog', 'Two', '2026-11-30T11:00:00Z', '2026-11-30T11:00:00Z', 'rejected');",
            )
            .unwrap();
        let mut ranking = Ranking::adopt(Rules::default(), &mut store).unwrap();
        let now = chrono::Utc::now();
        let generation = ranking.generation(&store).unwrap();
        // Never scored at this moment: both stale.
        assert!(store.has_stale(generation, now, Some(Status::New)).unwrap());
        let scoring = ranking.scoring(&store, now).unwrap();
        assert_eq!(
            store
                .rescore_stale(&scoring, Some(Status::New), None)
                .unwrap(),
            1
        );
        assert!(!store.has_stale(generation, now, Some(Status::New)).unwrap());
        assert!(
            store.has_stale(generation, now, None).unwrap(),
            "the rejected one"
        );
        assert_eq!(store.rescore_stale(&scoring, None, None).unwrap(), 1);
        assert!(!store.has_stale(generation, now, None).unwrap());
        // A day later the scores' recency is out of date again.
        let later = now + chrono::Duration::days(2);
        assert!(
            store
                .has_stale(generation, later, Some(Status::New))
                .unwrap()
        );
    }

    /// A database of the version before categories: sessions get their
    /// track as categories, and a past issue's item the source, summary
    /// and categories of the entry its link was seen as.
    #[test]
    fn past_items_bring_their_entrys_categories_from_a_migrated_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v18.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        for migration in &MIGRATIONS[..18] {
            conn.execute_batch(migration).unwrap();
        }
        conn.execute_batch(
            r#"PRAGMA user_version = 18;
             INSERT INTO sources (id, kind, url) VALUES ('kubecon', 'ical', 'https://kccnceu2026.sched.com/all.ics');
             INSERT INTO candidates (id, source_id, title, summary, published, created_at, session, status)
               VALUES (7, 'kubecon', 'Helm 4 Is Here', 'What changed in Helm 4.', '2026-03-24T10:00:00Z',
                       '2026-03-01T10:00:00Z', '{"track":"MAINTAINER TRACK"}', 'drafted'),
                      (8, 'kubecon', 'Vendor Demo', NULL, '2026-03-05T11:00:00Z',
                       '2026-03-01T10:00:00Z', '{"track":"SOLUTIONS SHOWCASE"}', 'new');
             INSERT INTO entries (source_id, entry_key, title, summary, first_seen_at, candidate_id, url_key)
               VALUES ('kubecon', 'uid:7', 'Helm 4 Is Here', 'What changed in Helm 4.', '2026-03-01T10:00:00Z', 7,
                       'kccnceu2026.sched.com/event/7'),
                      ('kubecon', 'uid:8', 'Vendor Demo', NULL, '2026-03-01T10:00:00Z', 8,
                       'kccnceu2026.sched.com/event/8');
             INSERT INTO published (url_key, title, file, issue_date, item, section, comment)
               VALUES ('kccnceu2026.sched.com/event/7', 'Helm 4 Is Here', '2026-03-09.md', '2026-03-09', 1,
                       'Events', 'Helm 4 です。'),
                      ('elsewhere.example/post', 'Not seen by newsdesk', '2026-03-09.md', '2026-03-09', 1,
                       'Events', NULL);"#,
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let examples = store.examples().unwrap();
        let item = examples
            .iter()
            .find(|e| e.lesson == Lesson::Published && e.title == "Helm 4 Is Here")
            .expect("the item");
        assert_eq!(item.categories, ["MAINTAINER TRACK"]);
        assert_eq!(item.source.as_ref().map(|s| s.as_str()), Some("kubecon"));
        assert_eq!(item.summary.as_deref(), Some("What changed in Helm 4."));
        assert_eq!(item.comment.as_deref(), Some("Helm 4 です。"));
        let unseen = examples
            .iter()
            .find(|e| e.title == "Not seen by newsdesk")
            .expect("the other item");
        assert!(unseen.categories.is_empty() && unseen.source.is_none());
        let other = examples
            .iter()
            .find(|e| e.title == "Vendor Demo")
            .expect("the undecided candidate");
        assert_eq!(other.lesson, Lesson::PassedOver);
        assert_eq!(other.categories, ["SOLUTIONS SHOWCASE"]);
    }
}
