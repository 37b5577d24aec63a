//! `newsdesk draft`: the next issue as Markdown, from the accepted candidates.
//!
//! Planning decides the issue (its date, number and file); rendering fills
//! the templates with feed text escaped for Markdown ([`escape`]); when the
//! file already exists the new items are merged into it ([`merge`]) without
//! touching what the editor wrote. The file is written atomically (a temp
//! file in the same directory, fsync, rename) and only then are the
//! candidates marked drafted, in one transaction with the issue's row: a
//! crash in between leaves them accepted, and the markers already in the
//! file keep the rerun from adding them twice.

pub mod check;
pub mod escape;
pub mod git;
pub mod merge;
pub mod sections;
pub mod templates;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};

use crate::config::{Config, DraftFormat, ItemStyle, Newsletter};
use crate::ids::CandidateId;
use crate::store::{DraftCandidate, IssueRecord, Store, StoreError};
pub use sections::{IssueSection, issue_sections};
pub use templates::{TemplateProblem, Templates};

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("{} template problem{}:\n{}\n  help: fix the template (Handlebars syntax), or remove `templates_dir`/`template` from [newsletter] to use the built-in ones",
        .0.len(), if .0.len() == 1 { "" } else { "s" },
        .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<TemplateProblem>),
    #[error("cannot render the draft: {0}\n  help: fix the template")]
    Render(TemplateProblem),
    #[error("cannot {action} {}\n  help: check that the directory exists and is writable (drafts_dir in [newsletter])", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Git(#[from] git::GitError),
    #[error(
        "nothing to draft for {date}: no accepted candidates{skipped}\n  help: accept some first, e.g. `newsdesk review accept ID --section S` (`newsdesk review list` shows the ids)"
    )]
    Nothing { date: NaiveDate, skipped: String },
    #[error(
        "{} was edited in a way newsdesk cannot merge into safely ({reason}); the new version is in {} and the draft was left as it was; no candidate was marked drafted\n  help: copy the new items over by hand (or restore the markers) and run `newsdesk draft` again",
        path.display(), new_path.display()
    )]
    Conflict {
        path: PathBuf,
        new_path: PathBuf,
        reason: String,
    },
}

/// The issue a draft is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub date: NaiveDate,
    pub number: u32,
    pub path: PathBuf,
}

/// `today` when it is the issue day, else the next issue day.
pub fn next_issue_day(today: NaiveDate, day: chrono::Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today + chrono::Days::new(u64::from(ahead))
}

/// The file of the issue of `date`: `articles/<slug>.md` (Zenn) or
/// `YYYY-MM-DD.md` under drafts_dir.
pub fn issue_path(newsletter: &Newsletter, date: NaiveDate) -> PathBuf {
    match newsletter.format {
        DraftFormat::Zenn => newsletter
            .drafts_dir
            .join("articles")
            .join(format!("{}-{date}.md", newsletter.slug_prefix)),
        DraftFormat::Plain => newsletter.drafts_dir.join(format!("{date}.md")),
    }
}

/// Issue numbers continue from past issues: `first_issue` plus the number
/// of this newsletter's issues dated before `date` ([`past_issue_dates`]).
pub fn issue_number(newsletter: &Newsletter, date: NaiveDate) -> u32 {
    let earlier = past_issue_dates(newsletter).range(..date).count();
    newsletter
        .first_issue
        .saturating_add(u32::try_from(earlier).unwrap_or(u32::MAX))
}

/// The dates of this newsletter's issues in drafts_dir, from their file
/// names as [`issue_path`] writes them: `articles/<slug_prefix>-YYYY-MM-DD.md`
/// (Zenn), `YYYY-MM-DD.md` (plain). Anything else there (an author's own
/// article, a book's chapter) is not an issue.
pub fn past_issue_dates(newsletter: &Newsletter) -> BTreeSet<NaiveDate> {
    let (dir, prefix) = match newsletter.format {
        DraftFormat::Zenn => (
            newsletter.drafts_dir.join("articles"),
            format!("{}-", newsletter.slug_prefix),
        ),
        DraftFormat::Plain => (newsletter.drafts_dir.clone(), String::new()),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let date = name.to_str()?.strip_prefix(&prefix)?.strip_suffix(".md")?;
            NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .ok()
                .filter(|d| d.to_string() == date)
        })
        .collect()
}

/// Plans the issue of `date` (default: the next issue day from `today`).
pub fn plan(newsletter: &Newsletter, date: Option<NaiveDate>, today: NaiveDate) -> Issue {
    let date = date.unwrap_or_else(|| next_issue_day(today, newsletter.issue_day));
    Issue {
        date,
        number: issue_number(newsletter, date),
        path: issue_path(newsletter, date),
    }
}

/// What the default templates write where the editor still has to: a
/// visible line in Zenn's preview (an HTML comment would vanish there).
/// Feed text cannot contain it (its `*` are escaped).
pub const PLACEHOLDER: &str = "**TODO**";

/// How many placeholders `markdown` still has.
pub fn placeholders(markdown: &str) -> usize {
    markdown.matches(PLACEHOLDER).count()
}

/// What `draft` did, or (dry run) would do.
#[derive(Debug, Clone)]
pub struct DraftReport {
    pub issue: Issue,
    pub markdown: String,
    /// Items in the draft now.
    pub items: usize,
    /// Items added by this run.
    pub added: usize,
    /// The file did not exist before.
    pub created: bool,
    /// Accepted candidates left out: (id, their section or none).
    pub skipped: Vec<(CandidateId, Option<String>)>,
    /// Set by [`commit`].
    pub committed: Option<git::Committed>,
    /// Dry run only: why the existing file could not be merged into (the
    /// Markdown is then the whole issue, as it would go to `<file>.new`).
    pub conflict: Option<String>,
}

impl DraftReport {
    /// "Draft Cloud Native Weekly 2026-12-02 (#13): 7 items (2 new)".
    pub fn commit_message(&self, title: &str) -> String {
        format!(
            "Draft {title} {} (#{}): {} item{} ({} new)",
            self.issue.date,
            self.issue.number,
            self.items,
            if self.items == 1 { "" } else { "s" },
            self.added
        )
    }
}

/// Drafts `issue`: renders or merges, and unless `dry_run` writes the file
/// and marks the candidates drafted.
pub fn draft(
    config: &Config,
    templates: &Templates,
    store: &mut Store,
    issue: Issue,
    dry_run: bool,
) -> Result<DraftReport, DraftError> {
    let date = issue.date.to_string();
    let candidates = store.draft_candidates(&date)?;
    let sections = issue_sections(&config.sections, &store.one_off_sections()?);
    let known: HashMap<&str, &IssueSection> = sections
        .iter()
        .map(|s| (s.section.id.as_str(), s))
        .collect();
    let (placed, skipped): (Vec<&DraftCandidate>, Vec<&DraftCandidate>) = candidates
        .iter()
        .partition(|c| c.section.as_deref().is_some_and(|s| known.contains_key(s)));
    let skipped: Vec<(CandidateId, Option<String>)> = skipped
        .iter()
        .filter(|c| !c.drafted)
        .map(|c| (c.id, c.section.clone()))
        .collect();
    let existing = match std::fs::read_to_string(&issue.path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(DraftError::Io {
                action: "read",
                path: issue.path.clone(),
                source,
            });
        }
    };
    let data = IssueData {
        config,
        issue: &issue,
        sections: &sections,
    };
    let (markdown, added, items, new_ids) = match &existing {
        None => {
            if placed.is_empty() {
                return Err(DraftError::Nothing {
                    date: issue.date,
                    skipped: skipped_text(&skipped),
                });
            }
            let markdown = templates
                .render_issue(&data.document(&placed))
                .map_err(DraftError::Render)?;
            let ids: Vec<CandidateId> =
                placed.iter().filter(|c| !c.drafted).map(|c| c.id).collect();
            (markdown, ids.len(), placed.len(), ids)
        }
        Some(text) => {
            let fresh: Vec<&DraftCandidate> =
                placed.iter().copied().filter(|c| !c.drafted).collect();
            let merged = merge_into(text, &fresh, &placed, &data, templates);
            match merged {
                Ok((markdown, markers)) => {
                    let added = fresh.iter().filter(|c| !markers.has_item(c.id)).count();
                    let items = merge::Markers::scan(&markdown)
                        .map_or(markers.item_count(), |m| m.item_count());
                    let ids = fresh.iter().map(|c| c.id).collect();
                    (markdown, added, items, ids)
                }
                Err(reason) => {
                    let markdown = templates
                        .render_issue(&data.document(&placed))
                        .map_err(DraftError::Render)?;
                    let new_path = PathBuf::from(format!("{}.new", issue.path.display()));
                    if dry_run {
                        return Ok(DraftReport {
                            created: false,
                            items: placed.len(),
                            added: fresh.len(),
                            issue,
                            markdown,
                            skipped,
                            committed: None,
                            conflict: Some(reason),
                        });
                    }
                    write_atomically(&new_path, &markdown)?;
                    return Err(DraftError::Conflict {
                        path: issue.path.clone(),
                        new_path,
                        reason,
                    });
                }
            }
        }
    };
    let report = DraftReport {
        created: existing.is_none(),
        issue,
        markdown,
        items,
        added,
        skipped,
        committed: None,
        conflict: None,
    };
    if dry_run {
        return Ok(report);
    }
    if existing.as_deref() != Some(report.markdown.as_str()) {
        write_atomically(&report.issue.path, &report.markdown)?;
    }
    store.record_draft(
        &IssueRecord {
            issue_date: date,
            number: report.issue.number,
            path: report.issue.path.display().to_string(),
        },
        &new_ids,
    )?;
    Ok(report)
}

/// Commits the draft of `report` in its git repository.
pub fn commit(report: &mut DraftReport, title: &str) -> Result<(), DraftError> {
    let message = report.commit_message(title);
    report.committed = Some(git::commit(&report.issue.path, &message)?);
    Ok(())
}

fn skipped_text(skipped: &[(CandidateId, Option<String>)]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    format!(
        " with a configured section ({} accepted without one: {})",
        skipped.len(),
        skipped
            .iter()
            .map(|(id, _)| format!("#{id}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The existing draft with `fresh` items added, and its markers before.
fn merge_into(
    text: &str,
    fresh: &[&DraftCandidate],
    placed: &[&DraftCandidate],
    data: &IssueData,
    templates: &Templates,
) -> Result<(String, merge::Markers), String> {
    let markers = merge::Markers::scan(text)?;
    let missing: Vec<&DraftCandidate> = fresh
        .iter()
        .copied()
        .filter(|c| !markers.has_item(c.id))
        .collect();
    if missing.is_empty() {
        return Ok((text.to_owned(), markers));
    }
    let mut items: HashMap<String, Vec<(CandidateId, String)>> = HashMap::new();
    let mut sections = HashMap::new();
    for IssueSection { section, one_off } in data.sections {
        let of_section: Vec<&DraftCandidate> = missing
            .iter()
            .copied()
            .filter(|c| c.section.as_deref() == Some(section.id.as_str()))
            .collect();
        if of_section.is_empty() {
            continue;
        }
        let rendered: Vec<(CandidateId, String)> = of_section
            .iter()
            .map(|c| {
                templates
                    .render_item(&item_data(c, data.config.newsletter.item_style))
                    .map(|text| (c.id, text))
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        items.insert(section.id.clone(), rendered);
        let block = templates
            .render_section(&section_data(
                section,
                *one_off,
                &of_section,
                data.config.newsletter.item_style,
            ))
            .map_err(|e| e.to_string())?;
        sections.insert(section.id.clone(), block);
    }
    let drafted_sections: HashMap<CandidateId, String> = placed
        .iter()
        .filter(|c| c.drafted)
        .filter_map(|c| Some((c.id, c.section.clone()?)))
        .collect();
    let order: Vec<String> = data.sections.iter().map(|s| s.section.id.clone()).collect();
    let merged = merge::merge(
        text,
        &markers,
        &merge::Addition {
            section_order: &order,
            items: &items,
            sections: &sections,
            drafted_sections: &drafted_sections,
        },
    )?;
    Ok((merged, markers))
}

struct IssueData<'a> {
    config: &'a Config,
    issue: &'a Issue,
    sections: &'a [IssueSection],
}

impl IssueData<'_> {
    /// What the main template sees: sections in configured order, empty
    /// ones left out.
    fn document(&self, candidates: &[&DraftCandidate]) -> Value {
        let newsletter = &self.config.newsletter;
        let sections: Vec<Value> = self
            .sections
            .iter()
            .filter_map(|IssueSection { section, one_off }| {
                let items: Vec<&DraftCandidate> = candidates
                    .iter()
                    .copied()
                    .filter(|c| c.section.as_deref() == Some(section.id.as_str()))
                    .collect();
                (!items.is_empty())
                    .then(|| section_data(section, *one_off, &items, newsletter.item_style))
            })
            .collect();
        json!({
            "newsletter": {
                "title": newsletter.title,
                "emoji": newsletter.emoji,
                "topics": newsletter.topics,
            },
            "issue": {
                "date": self.issue.date.to_string(),
                "number": self.issue.number,
            },
            "sections": sections,
            "closing_marker": merge::CLOSING_MARKER,
        })
    }
}

fn section_data(
    section: &crate::config::Section,
    one_off: bool,
    items: &[&DraftCandidate],
    style: ItemStyle,
) -> Value {
    json!({
        "id": section.id,
        "one_off": one_off,
        "title": section.title,
        "emoji": section.emoji,
        "marker": merge::section_marker(&section.id),
        "items": items.iter().map(|c| item_data(c, style)).collect::<Vec<_>>(),
    })
}

/// One item: feed text escaped, the URL only when it is http(s), the
/// editor's note as written except that it cannot carry newsdesk's markers.
fn item_data(candidate: &DraftCandidate, style: ItemStyle) -> Value {
    json!({
        "id": candidate.id,
        "marker": merge::item_marker(candidate.id),
        "card": style == ItemStyle::Card,
        "title": escape::markdown_text(&candidate.title),
        "url": candidate.url.as_deref().and_then(escape::link_url),
        "summary": candidate
            .summary
            .as_deref()
            .map(escape::markdown_text)
            .filter(|s| !s.is_empty()),
        "note": candidate
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(merge::without_markers),
        "source": candidate.source,
        "published": candidate.published,
        "contributors": candidate.contributors,
        // A link whose URL is not http(s) is left out, as an item's is.
        "related": candidate
            .related
            .iter()
            .filter_map(|link| {
                let url = escape::link_url(&link.url)?;
                Some(json!({ "title": escape::markdown_text(&link.title), "url": url }))
            })
            .collect::<Vec<_>>(),
    })
}

/// Writes `text` to `path` so that readers see the old file or the new
/// one, never a part: a temp file in the same directory, synced, renamed.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), DraftError> {
    let io = |action, source| DraftError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    crate::atomic_file::write(path, text).map_err(|e| io("write", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// templates/README.md names every field an item or section hands the
    /// templates.
    #[test]
    fn the_template_data_is_documented() {
        let readme = include_str!("../../templates/README.md");
        let candidate = DraftCandidate {
            id: CandidateId(1),
            title: "t".into(),
            url: None,
            summary: None,
            note: None,
            section: Some("articles".into()),
            source: crate::ids::SourceId("blog".into()),
            published: "2026-12-01T00:00:00Z".into(),
            drafted: false,
            contributors: vec!["ivan".into()],
            related: Vec::new(),
        };
        let section = crate::config::Section {
            id: "articles".into(),
            title: "Articles".into(),
            emoji: "👀".into(),
        };
        let data = section_data(&section, false, &[&candidate], ItemStyle::Card);
        let item = data["items"][0].clone();
        for value in [data, item] {
            for key in value.as_object().unwrap().keys() {
                let named = |form: String| readme.contains(&form);
                assert!(
                    named(format!("`{key}`")) || named(format!("`{key}[]`")),
                    "{key} is not in templates/README.md"
                );
            }
        }
    }

    #[test]
    fn the_next_issue_day_is_today_or_later_in_the_week() {
        let wed = NaiveDate::from_ymd_opt(2022, 11, 2).unwrap();
        assert_eq!(next_issue_day(wed, chrono::Weekday::Wed), wed);
        let thu = NaiveDate::from_ymd_opt(2022, 11, 3).unwrap();
        assert_eq!(
            next_issue_day(thu, chrono::Weekday::Wed),
            NaiveDate::from_ymd_opt(2022, 11, 9).unwrap()
        );
        assert_eq!(
            next_issue_day(thu, chrono::Weekday::Mon),
            NaiveDate::from_ymd_opt(2022, 11, 7).unwrap()
        );
    }
}
