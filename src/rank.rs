//! Best first: a transparent score per candidate, the sum of parts that
//! `review show` lists — configured keyword weights, the source's weight,
//! how many sources carried the story, how recent it is, and what this
//! editor accepted and rejected before (naive Bayes over title and summary
//! words, trained from the database's decisions; without enough decisions
//! the rules alone rank).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::candidate::{CandidateScorer, RankInput, RankingState, RankingStore, Scoring};
use crate::ids::SourceId;

/// Decisions needed on each side before the learned part counts.
const MIN_DECISIONS: usize = 3;
/// The learned part is kept within ±this, so rules still matter.
const LEARNED_CAP: f64 = 4.0;

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

/// Words of a text for the model: ASCII words of two letters or more, and
/// overlapping pairs of CJK characters (Japanese has no spaces).
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let flush_cjk = |cjk: &mut Vec<char>, out: &mut Vec<String>| {
        for pair in cjk.windows(2) {
            out.push(pair.iter().collect());
        }
        cjk.clear();
    };
    for c in lower.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
            flush_cjk(&mut cjk, &mut out);
        } else {
            if word.len() >= 2 {
                out.push(std::mem::take(&mut word));
            }
            word.clear();
            if matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}') {
                cjk.push(c);
            } else {
                flush_cjk(&mut cjk, &mut out);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Naive Bayes over accepted vs rejected candidates.
#[derive(Debug, Default)]
pub struct Model {
    accepted: HashMap<String, u32>,
    rejected: HashMap<String, u32>,
    accepted_docs: usize,
    rejected_docs: usize,
}

impl Model {
    pub fn train<'a>(decisions: impl IntoIterator<Item = (&'a str, bool)>) -> Model {
        let mut model = Model::default();
        for (text, accepted) in decisions {
            let counts = if accepted {
                model.accepted_docs += 1;
                &mut model.accepted
            } else {
                model.rejected_docs += 1;
                &mut model.rejected
            };
            for token in tokens(text) {
                *counts.entry(token).or_default() += 1;
            }
        }
        model
    }

    pub fn is_trained(&self) -> bool {
        self.accepted_docs >= MIN_DECISIONS && self.rejected_docs >= MIN_DECISIONS
    }

    /// Each known word's log-odds of acceptance (Laplace smoothed).
    fn weight(&self, token: &str) -> Option<f64> {
        let a = f64::from(*self.accepted.get(token).unwrap_or(&0));
        let r = f64::from(*self.rejected.get(token).unwrap_or(&0));
        if a + r == 0.0 {
            return None;
        }
        let pa = (a + 1.0) / (self.accepted_docs as f64 + 2.0);
        let pr = (r + 1.0) / (self.rejected_docs as f64 + 2.0);
        Some((pa / pr).ln())
    }

    /// The learned points of a text and the words that weighed most.
    pub fn judge(&self, text: &str) -> (f64, Vec<(String, f64)>) {
        let mut weighed: Vec<(String, f64)> = tokens(text)
            .into_iter()
            .filter_map(|t| self.weight(&t).map(|w| (t, w)))
            .collect();
        let total: f64 = weighed.iter().map(|(_, w)| w).sum();
        weighed.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        weighed.truncate(3);
        (total.clamp(-LEARNED_CAP, LEARNED_CAP), weighed)
    }
}

/// The rules from feeds.toml: keyword points and source weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub keywords: Vec<(String, f64)>,
    pub source_weights: HashMap<SourceId, f64>,
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
        format!("{:?} {weights:?}", self.keywords)
    }
}

/// The rules and the learned model, at one moment.
pub struct Ranker {
    pub rules: Rules,
    pub model: Model,
    pub now: DateTime<Utc>,
}

impl Ranker {
    pub fn score(&self, candidate: &RankInput) -> Score {
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
        let age_days = DateTime::parse_from_rfc3339(candidate.published)
            .map(|p| (self.now - p.with_timezone(&Utc)).num_hours().max(0) as f64 / 24.0)
            .unwrap_or(0.0);
        parts.push(Part {
            reason: format!("{age_days:.0} days old"),
            points: 2.0 * 0.5f64.powf(age_days / 7.0),
        });
        if self.model.is_trained() {
            let (points, words) = self.model.judge(&text);
            let listed: Vec<String> = words.iter().map(|(w, p)| format!("{w} {p:+.1}")).collect();
            parts.push(Part {
                reason: format!("past decisions ({})", listed.join(", ")),
                points,
            });
        }
        Score {
            total: parts.iter().map(|p| p.points).sum(),
            parts,
        }
    }
}

impl CandidateScorer for Ranker {
    fn total_score(&self, candidate: &RankInput) -> f64 {
        self.score(candidate).total
    }
}

/// Ranking as one process keeps it: its rules, and the ranker of the last
/// generation it saw (the model is trained once per generation, from the
/// decisions in the [`RankingStore`]).
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
        let state = store.ranking_state()?;
        self.refresh(store, &state, now)
    }

    /// What stale candidates are re-scored with, at `now`.
    pub fn scoring<S: RankingStore>(
        &mut self,
        store: &S,
        now: DateTime<Utc>,
    ) -> Result<Scoring<'_>, S::Error> {
        let state = store.ranking_state()?;
        let ranker = self.refresh(store, &state, now)?;
        Ok(Scoring {
            generation: state.generation,
            at: now,
            scorer: ranker,
        })
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
        let state = store.ranking_state()?;
        if state.rules_fingerprint != self.fingerprint {
            return Ok(None);
        }
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
                let decisions = store.decisions()?;
                let model = Model::train(
                    decisions
                        .iter()
                        .map(|(text, taken)| (text.as_str(), *taken)),
                );
                let ranker = Ranker {
                    rules: self.rules.clone(),
                    model,
                    now,
                };
                self.ranker = Some((state.generation, ranker));
            }
        }
        Ok(&self.ranker.as_ref().expect("just refreshed").1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_of_english_and_japanese() {
        assert_eq!(
            tokens("Argo CD v2.5 & Kubernetes"),
            ["argo", "cd", "kubernetes", "v2"]
        );
        assert_eq!(
            tokens("新機能まとめ"),
            ["まと", "とめ", "新機", "機能", "能ま"]
                .map(String::from)
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_model_learns_what_the_editor_takes() {
        let model = Model::train([
            ("Cilium eBPF networking deep dive", true),
            ("eBPF observability with Cilium Hubble", true),
            ("Kubernetes networking with eBPF", true),
            ("Webinar: buy our enterprise platform", false),
            ("Sponsored webinar on enterprise platform", false),
            ("Enterprise platform pricing webinar", false),
        ]);
        assert!(model.is_trained());
        let (good, _) = model.judge("A new eBPF feature in Cilium");
        let (bad, why) = model.judge("Join our enterprise webinar");
        assert!(good > 0.0 && bad < 0.0, "{good} {bad}");
        assert!(why.iter().any(|(w, _)| w == "webinar"));
    }
}
