//! Best first: a transparent score per candidate, the sum of parts that
//! `review show` lists — configured keyword weights, the source's weight,
//! how many sources carried the story, how recent it is, a past issue's
//! mention, and what this editor published and decided before ([`model`]:
//! trained from past issues' items in drafts_dir as well as the database's
//! decisions, so a newsletter with past issues is ranked from the first
//! poll) — and a suggested section ([`sections`]).

pub mod model;
pub mod sections;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::candidate::{
    BACKGROUND_SAMPLE, CandidateScorer, Example, Judged, Lesson, RankInput, RankingState,
    RankingStore, Scoring,
};
use crate::ids::SourceId;
pub use model::{Model, tokens};
use sections::{SectionModel, SectionName};

/// The learned part is kept within ±this (smoothly), so rules still matter.
const LEARNED_CAP: f64 = 4.0;
/// Points of a story a past issue mentioned under another link: a
/// follow-up of something the editor chose to show before.
const MENTION_POINTS: f64 = 1.0;

/// One contribution to a score.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Part {
    pub reason: String,
    pub points: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Score {
    pub total: f64,
    pub parts: Vec<Part>,
}

/// The rules from feeds.toml: keyword points, source weights, and the
/// sections suggestions are made among.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub keywords: Vec<(String, f64)>,
    pub source_weights: HashMap<SourceId, f64>,
    pub source_sections: HashMap<SourceId, String>,
    pub sections: Vec<SectionName>,
}

impl Rules {
    pub fn of(config: &crate::config::Config) -> Rules {
        Rules {
            keywords: config.ranking_keywords.clone(),
            source_weights: config
                .sources
                .iter()
                .map(|s| (s.id.clone(), s.weight))
                .collect(),
            source_sections: config
                .sources
                .iter()
                .filter_map(|s| Some((s.id.clone(), s.section.clone()?)))
                .collect(),
            sections: config
                .sections
                .iter()
                .map(|s| SectionName {
                    id: s.id.clone(),
                    title: s.title.clone(),
                })
                .collect(),
        }
    }

    /// Text that changes whenever the rules do, so stored scores computed
    /// under other rules are known to be stale.
    pub fn fingerprint(&self) -> String {
        let mut weights: Vec<(&str, &f64)> = self
            .source_weights
            .iter()
            .filter(|(_, w)| **w != 1.0)
            .map(|(id, w)| (id.as_str(), w))
            .collect();
        weights.sort_by(|a, b| a.0.cmp(b.0));
        let mut source_sections: Vec<(&str, &str)> = self
            .source_sections
            .iter()
            .map(|(id, s)| (id.as_str(), s.as_str()))
            .collect();
        source_sections.sort();
        format!(
            "{:?} {weights:?} {source_sections:?} {:?}",
            self.keywords, self.sections
        )
    }
}

/// A past issue's item, as `review show` cites it.
#[derive(Debug, Clone)]
struct PublishedItem {
    title: String,
    issue_date: Option<String>,
    features: Vec<String>,
}

/// The rules and the learned models, at one moment.
pub struct Ranker {
    pub rules: Rules,
    pub model: Model,
    sections: SectionModel,
    published: Vec<PublishedItem>,
    pub now: DateTime<Utc>,
}

impl Ranker {
    /// Trained from `examples` (see [`RankingStore::examples`]).
    pub fn train(rules: Rules, examples: &[Example], now: DateTime<Utc>) -> Ranker {
        let sections = SectionModel::train(examples, &rules.sections);
        let published = examples
            .iter()
            .filter(|e| e.lesson == Lesson::Published)
            .map(|e| PublishedItem {
                title: e.title.clone(),
                issue_date: e.issue_date.clone(),
                features: model::features(&e.title, None),
            })
            .collect();
        Ranker {
            model: Model::train(examples),
            sections,
            published,
            rules,
            now,
        }
    }

    pub fn score(&self, candidate: &RankInput) -> Score {
        self.judge_parts(candidate).0
    }

    /// The section suggested for `candidate`: where the editor put similar
    /// items, else its source's section.
    pub fn suggest_section(&self, candidate: &RankInput) -> Option<String> {
        self.judge_parts(candidate).1
    }

    fn judge_parts(&self, candidate: &RankInput) -> (Score, Option<String>) {
        // The title and the start of the summary say what a story is about;
        // reading all of it for 100,000 candidates costs more than it tells.
        let summary = candidate.summary.unwrap_or("");
        let summary = summary
            .char_indices()
            .nth(200)
            .map_or(summary, |(cut, _)| &summary[..cut]);
        let text = format!("{}\n{summary}", candidate.title);
        let lower = text.to_lowercase();
        let mut parts = Vec::new();
        for (keyword, weight) in &self.rules.keywords {
            if lower.contains(keyword.as_str()) {
                parts.push(Part {
                    reason: format!("keyword \"{keyword}\""),
                    points: *weight,
                });
            }
        }
        let source_weight = self
            .rules
            .source_weights
            .get(candidate.source)
            .copied()
            .unwrap_or(1.0);
        if source_weight != 1.0 {
            parts.push(Part {
                reason: format!("source {} (weight {source_weight})", candidate.source),
                points: source_weight - 1.0,
            });
        }
        if candidate.seen_in > 1 {
            parts.push(Part {
                reason: format!("seen in {} sources", candidate.seen_in),
                points: (candidate.seen_in as f64).ln(),
            });
        }
        // To the second, so that equal scores mean equal dates and the
        // queue's order (score, then id) breaks ties by recency, then id.
        let age_days = DateTime::parse_from_rfc3339(candidate.published)
            .map(|p| (self.now - p.with_timezone(&Utc)).num_seconds().max(0) as f64 / 86_400.0)
            .unwrap_or(0.0);
        parts.push(Part {
            reason: format!("{age_days:.0} days old"),
            points: 2.0 * 0.5f64.powf(age_days / 7.0),
        });
        if let Some(mention) = candidate.mention {
            parts.push(Part {
                reason: mention.to_owned(),
                points: MENTION_POINTS,
            });
        }
        let features = model::story_features(&model::Story::of_candidate(candidate));
        if self.model.is_trained() {
            let (points, words) = self.model.judge(&features);
            let listed: Vec<String> = words
                .iter()
                .map(|(f, p)| format!("{} {p:+.1}", model::feature_in_words(f, candidate.title)))
                .collect();
            parts.push(Part {
                reason: format!("like what you published and took ({})", listed.join(", ")),
                // Bounded, but in order: a story twice as like the picks
                // as another still ranks above it.
                points: LEARNED_CAP * (points / LEARNED_CAP).tanh(),
            });
        }
        // What the section model was trained on: words, link and source.
        let mut for_sections = features;
        for_sections
            .retain(|f| !f.starts_with(model::CATEGORY) && !f.starts_with(model::SUMMARY_WORD));
        let section = self
            .sections
            .suggest(&for_sections)
            .map(str::to_owned)
            .or_else(|| self.rules.source_sections.get(candidate.source).cloned());
        let score = Score {
            total: parts.iter().map(|p| p.points).sum(),
            parts,
        };
        (score, section)
    }

    /// In words, which items of past issues `candidate` is like: "like 4
    /// items you published, e.g. “…” (2022-08-05)"; `None` when none is.
    pub fn likeness(&self, candidate: &RankInput) -> Option<String> {
        // Words that say something of this editor's picks, not "the".
        let telling: Vec<String> = model::features(candidate.title, None)
            .into_iter()
            .filter(|f| self.model.weight(f).is_some_and(|w| w > 0.0))
            .collect();
        let alike: Vec<(usize, &PublishedItem)> = self
            .published
            .iter()
            .map(|item| {
                let shared = telling.iter().filter(|f| item.features.contains(f)).count();
                (shared, item)
            })
            .filter(|(shared, _)| *shared >= 2)
            .collect();
        let (_, best) = alike
            .iter()
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.issue_date.cmp(&a.1.issue_date)))?;
        let count = alike.len();
        let best = format!(
            "“{}”{}",
            best.title,
            best.issue_date
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
        Some(match count {
            1 => format!("like an item you published: {best}"),
            n => format!("like {n} items you published, e.g. {best}"),
        })
    }
}

impl CandidateScorer for Ranker {
    fn judge(&self, candidate: &RankInput) -> Judged {
        let (score, section) = self.judge_parts(candidate);
        Judged {
            total: score.total,
            section,
        }
    }
}

/// The generation moves on whenever the background (up to
/// [`BACKGROUND_SAMPLE`] undecided candidates) has doubled since it began,
/// so that a first poll — scored before there was any background — is
/// scored again once there is, by every process alike.
const BACKGROUND_GROWTH_MIN: i64 = 1;

/// The stored state, moved to a new generation first when the background
/// grew enough to change the learned model.
fn current_state<S: RankingStore>(store: &S) -> Result<RankingState, S::Error> {
    let state = store.ranking_state()?;
    if state.background >= BACKGROUND_SAMPLE {
        return Ok(state);
    }
    let available = store.background_size(BACKGROUND_SAMPLE)?;
    if available >= 2 * state.background + BACKGROUND_GROWTH_MIN
        || (available >= BACKGROUND_SAMPLE && state.background < BACKGROUND_SAMPLE)
    {
        store.advance_generation(available)?;
        return store.ranking_state();
    }
    Ok(state)
}

/// Ranking as one process keeps it: its rules, and the ranker of the last
/// generation it saw (the models are trained once per generation, from the
/// examples in the [`RankingStore`]).
pub struct Ranking {
    rules: Rules,
    fingerprint: String,
    ranker: Option<(i64, Ranker)>,
}

impl Ranking {
    /// Ranks by `rules` from now on, and tells `store` so: scores stored
    /// under other rules become stale.
    pub fn adopt<S: RankingStore>(rules: Rules, store: &mut S) -> Result<Ranking, S::Error> {
        let fingerprint = rules.fingerprint();
        store.adopt_ranking_rules(&fingerprint)?;
        Ok(Ranking {
            rules,
            fingerprint,
            ranker: None,
        })
    }

    /// The ranker of the stored generation at `now` (to explain a score).
    pub fn ranker<S: RankingStore>(
        &mut self,
        store: &S,
        now: DateTime<Utc>,
    ) -> Result<&Ranker, S::Error> {
        let state = current_state(store)?;
        self.refresh(store, &state, now)
    }

    /// What stale candidates are re-scored with, at `now`.
    pub fn scoring<S: RankingStore>(
        &mut self,
        store: &S,
        now: DateTime<Utc>,
    ) -> Result<Scoring<'_>, S::Error> {
        let state = current_state(store)?;
        let ranker = self.refresh(store, &state, now)?;
        Ok(Scoring {
            generation: state.generation,
            at: now,
            scorer: ranker,
        })
    }

    /// The ranking generation scores are current for (moved on, as
    /// [`Ranking::scoring`] would, when the background has grown), without
    /// training anything.
    pub fn generation<S: RankingStore>(&self, store: &S) -> Result<i64, S::Error> {
        Ok(current_state(store)?.generation)
    }

    /// What a write batch scores the candidates it creates or changes
    /// with; `None` while this process's rules are not the stored ones (a
    /// daemon not yet reloaded after the rules changed leaves its new
    /// candidates unscored, for readers with the new rules to score).
    pub fn scoring_if_current<S: RankingStore>(
        &mut self,
        store: &S,
        now: DateTime<Utc>,
    ) -> Result<Option<Scoring<'_>>, S::Error> {
        if store.ranking_state()?.rules_fingerprint != self.fingerprint {
            return Ok(None);
        }
        let state = current_state(store)?;
        let ranker = self.refresh(store, &state, now)?;
        Ok(Some(Scoring {
            generation: state.generation,
            at: now,
            scorer: ranker,
        }))
    }

    /// Brings the ranker to the stored generation (retraining the model
    /// when it moved) and to `now`.
    fn refresh<S: RankingStore>(
        &mut self,
        store: &S,
        state: &RankingState,
        now: DateTime<Utc>,
    ) -> Result<&Ranker, S::Error> {
        match &mut self.ranker {
            Some((generation, ranker)) if *generation == state.generation => ranker.now = now,
            _ => {
                let examples = store.examples()?;
                let ranker = Ranker::train(self.rules.clone(), &examples, now);
                self.ranker = Some((state.generation, ranker));
            }
        }
        Ok(&self.ranker.as_ref().expect("just refreshed").1)
    }
}
