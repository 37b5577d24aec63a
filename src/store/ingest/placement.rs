//! Where one entry goes: the deduplication layers of [`super`], in order,
//! ending in a new candidate (scored as it is stored) when none holds.

use rusqlite::{OptionalExtension, Transaction, params};

use super::sketch::store_sketch;
use super::{Dating, DedupKeys, IngestCache, day_of};
use crate::candidate::{RankInput, Scoring};
use crate::config::Source;
use crate::ids::CandidateId;
use crate::source::IncomingEntry;
use crate::store::published::{best_published_match, issue_with_url_key};
use crate::store::{Added, Result, timestamp};

/// Where an entry goes.
pub(super) enum Placement {
    /// Joins candidate `id` for `reason`.
    Existing {
        id: CandidateId,
        reason: String,
    },
    New(CandidateId),
    /// Already published: no candidate.
    Published(String),
}

/// What every placement in one poll shares.
pub(super) struct PlacementContext<'a> {
    pub(super) tx: &'a Transaction<'a>,
    pub(super) source: &'a Source,
    pub(super) now: &'a str,
    /// Titles at least this similar are one story.
    pub(super) threshold: f64,
    /// Whether a story a past issue carried is kept out (false: an editor
    /// queues it anyway, `add --force`).
    pub(super) keep_out_published: bool,
    pub(super) scoring: Option<Scoring<'a>>,
}

pub(super) fn place(
    context: &PlacementContext,
    entry: &IncomingEntry,
    keys: &DedupKeys,
    dating: &Dating,
    added: &mut Added,
    cache: &mut IngestCache,
) -> Result<Placement> {
    let PlacementContext {
        tx,
        source,
        now,
        threshold,
        keep_out_published,
        scoring,
    } = *context;
    let DedupKeys {
        url_key,
        title,
        bands,
    } = keys;
    // A reason names the sighting matched, not the candidate: it is shown
    // on that candidate, where "same URL as #3" would point at itself.
    if let Some(key) = url_key
        && let Some((id, seen_in)) = tx
            .prepare_cached("SELECT candidate_id, source_id FROM entries WHERE url_key = ?1 AND candidate_id IS NOT NULL ORDER BY id LIMIT 1")?
            .query_row([key], |row| Ok((row.get::<_, CandidateId>(0)?, row.get::<_, String>(1)?)))
            .optional()?
    {
        return Ok(Placement::Existing {
            id,
            reason: format!("same URL as seen in {seen_in}"),
        });
    }
    // Titles and releases join stories across sources only: two entries of
    // one source with different keys are two items by the source's own
    // account (sessions in two rooms, two posts about one release).
    if let Some(release) = &title.release
        && let Some(id) = tx
            .prepare_cached(
                "SELECT id FROM candidates c WHERE release_key = ?1
                   AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.candidate_id = c.id AND e.source_id = ?2)
                 ORDER BY id LIMIT 1",
            )?
            .query_row(params![release, source.id], |row| row.get::<_, CandidateId>(0))
            .optional()?
    {
        return Ok(Placement::Existing {
            id,
            reason: format!("same release ({release}) as seen in {}", first_source(tx, id)?),
        });
    }
    let when = dating.published.as_deref().unwrap_or(now);
    let day = day_of(when);
    let index = cache.titles(tx)?;
    let source_number = index.source_number_of(&source.id.0);
    let best = index.best_match(tx, title, bands, day, source_number);
    if let Some((id, similarity)) = best
        && similarity >= threshold
    {
        let id = CandidateId(id);
        return Ok(Placement::Existing {
            id,
            reason: format!(
                "same title as seen in {} (similarity {similarity:.2})",
                first_source(tx, id)?
            ),
        });
    }
    let issue = |file: &str, date: &Option<String>| match date {
        Some(date) => format!("published in {file} ({date})"),
        None => format!("published in {file}"),
    };
    let mentioned = |file: &str, date: &Option<String>| match date {
        Some(date) => format!("mentioned in the {date} issue"),
        None => format!("mentioned in {file}"),
    };
    // A story whose own link was an item of a past issue stays out; one a
    // past issue only mentioned (a related link, the same title under
    // another link: August's schedule highlight, November's report) is
    // queued with the mention shown.
    let mut mention = None;
    if cache.any_published(tx)? {
        if let Some(key) = url_key
            && let Some(at) = issue_with_url_key(tx, key)?
        {
            if at.item && keep_out_published {
                return Ok(Placement::Published(issue(&at.file, &at.issue_date)));
            }
            let how = if at.item {
                "as an item"
            } else {
                "as a related link"
            };
            mention = Some(format!("{} ({how})", mentioned(&at.file, &at.issue_date)));
        }
        if mention.is_none()
            && let Some((_, similarity, file, date, other)) =
                best_published_match(tx, title, bands)?
            && similarity >= threshold
        {
            mention = Some(format!(
                "{}: same title as “{other}”",
                mentioned(&file, &date)
            ));
        }
    }
    // Scored here, from what is at hand, rather than read back at the end
    // of the batch (a new candidate is seen in its own source only).
    let score = scoring.map(|scoring| {
        let input = RankInput {
            title: &entry.title,
            summary: entry.summary.as_deref(),
            source: &source.id,
            seen_in: 1,
            published: when,
            url: entry.canonical_url.as_deref().or(entry.url.as_deref()),
            mention: mention.as_deref(),
            categories: &entry.categories,
        };
        (
            scoring.score(&input),
            timestamp(scoring.at),
            scoring.generation,
        )
    });
    tx.prepare_cached(
        "INSERT INTO candidates (source_id, canonical_url, url, title, summary, published, section, created_at,
                                 release_key, priority, score, scored_at, scored_generation, session,
                                 dated_ahead, mention, suggested_section, categories)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, COALESCE(?11, 0), ?12, COALESCE(?13, 0), ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        source.id,
        entry.canonical_url,
        // The link the newsletter shows: without tracking parameters.
        entry.canonical_url.as_ref().or(entry.url.as_ref()),
        entry.title,
        entry.summary,
        when,
        source.section,
        now,
        title.release,
        source.priority,
        score.as_ref().map(|s| s.0.total),
        score.as_ref().map(|s| &s.1),
        score.as_ref().map(|s| s.2),
        entry.session,
        dating.dated_ahead,
        mention,
        score.as_ref().and_then(|s| s.0.section.clone()),
        super::categories_json(&entry.categories),
    ])?;
    let id = tx.last_insert_rowid();
    store_sketch(tx, id, day, title, bands)?;
    // Loaded above by the search; never reloaded here (a reload would
    // read the sketch just stored and push it twice).
    if let Some(index) = cache.titles.as_mut() {
        index.push(id, day, &source.id.0, title.sketch().as_ref(), bands);
    }
    added.candidates += 1;
    Ok(Placement::New(CandidateId(id)))
}

/// The source that saw candidate `id` first.
fn first_source(tx: &Transaction, id: CandidateId) -> Result<String> {
    Ok(tx
        .prepare_cached(
            "SELECT source_id FROM entries WHERE candidate_id = ?1 ORDER BY id LIMIT 1",
        )?
        .query_row([id], |row| row.get(0))?)
}
