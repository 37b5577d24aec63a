//! Where a link brought by hand enters the pipeline, whoever brings it
//! (`newsdesk add`, the daemon's `POST /api/submissions`): the page is
//! read through the one polite client (title, description, canonical URL),
//! placed through the same deduplication as feed entries, and credited to
//! its contributor. A submission is never lost: a page that cannot be read
//! is still added, thin, for enrichment to fill in later. A link on a
//! private address is refused (see [`crate::fetch`]), and one given with
//! `related_to` is filed under that candidate instead of becoming one.
//!
//! Two steps, so a caller that must not hold the database while a page
//! loads can run them apart: [`read_page`] (network only) then [`place`]
//! (one short transaction); [`submit`] runs both.

use serde::Serialize;
use url::Url;

use crate::config::Config;
use crate::enrich::{editorial, read_meta};
use crate::fetch::{FetchError, Fetched, PoliteClient};
use crate::ids::CandidateId;
use crate::normalize::canonical_url;
use crate::source::IncomingEntry;
use crate::store::{
    FileError, Filed, NewRelated, Status, Store, StoreError, Submission, Submitted,
    submissions_source,
};

/// One link and what its contributor says about it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The link as given.
    pub url: &'a str,
    /// A comment on the link (with `accept`, the item's comment).
    pub note: Option<&'a str>,
    /// The section of the next issue it belongs in.
    pub section: Option<&'a str>,
    pub contributor: &'a str,
    /// Queue it even when a past issue has it or the page answers 404/410.
    pub force: bool,
    /// Accept it straight into the next issue.
    pub accept: bool,
    /// The title to show instead of the page's.
    pub title: Option<&'a str>,
    /// File it under this candidate as a related link, not as a candidate.
    pub related_to: Option<CandidateId>,
}

/// What became of one link: what `newsdesk add --json` prints and the
/// submission endpoint answers.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    pub id: Option<CandidateId>,
    /// The candidate's status, or "published" when a past issue has it.
    pub status: String,
    pub title: String,
    pub url: String,
    pub section: Option<String>,
    pub submitted_by: Vec<String>,
    pub duplicate_of: Option<CandidateId>,
    pub published_in: Option<String>,
    pub seen_in: Vec<String>,
    /// The candidate it was filed under (status "related"; `id` is None).
    pub related_to: Option<CandidateId>,
    /// The candidate the link was, folded in by filing it.
    pub folded: Option<CandidateId>,
}

/// Why a link was not added.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("not an http(s) URL")]
    NotHttp,
    #[error("the page answered HTTP {status}; nothing was added (--force adds it anyway)")]
    Gone { status: u16 },
    #[error(
        "refused: the page redirects to {target}, a {kind} address; a link must be on a public one\n  help: list the host in [contributions] allow_private_hosts if it really lives there"
    )]
    PrivateRedirect { target: String, kind: &'static str },
    #[error(
        "refused: {target} is a {kind} address; a link must be on a public one\n  help: list the host in [contributions] allow_private_hosts if it really lives there"
    )]
    PrivateAddress { target: String, kind: &'static str },
    #[error(
        "which section? --accept needs one\n  help: pass --section S, or set [contributions] section = \"…\" in feeds.toml ({known})"
    )]
    NoSection { known: String },
    #[error(transparent)]
    Related(FileError),
    #[error("no section \"{section}\"; {known}")]
    UnknownSection {
        section: String,
        /// What [`crate::config::known_sections`] says.
        known: String,
    },
    #[error("candidate #{0} vanished while the link was added; add it again")]
    Vanished(CandidateId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntakeError {
    /// The request was at fault (a bad link, an unknown section), not the
    /// database: a client can fix it and try again.
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            IntakeError::Store(_)
                | IntakeError::Vanished(_)
                | IntakeError::Related(FileError::Store(_))
        )
    }
}

/// Reads the page and places it: [`read_page`], then [`place`].
pub async fn submit(
    client: &PoliteClient,
    store: &mut Store,
    config: &Config,
    request: &Request<'_>,
) -> Result<Added, IntakeError> {
    let entry = read_page(client, request).await?;
    place(store, config, request, &entry)
}

/// The section, when given, is one of the configuration's.
pub fn check_section(config: &Config, section: Option<&str>) -> Result<(), IntakeError> {
    match section {
        Some(section) if !config.sections.iter().any(|s| s.id == section) => {
            Err(IntakeError::UnknownSection {
                section: section.to_owned(),
                known: crate::config::known_sections(&config.sections),
            })
        }
        _ => Ok(()),
    }
}

/// The link as an http(s) URL with a host.
pub fn parse_link(link: &str) -> Result<Url, IntakeError> {
    Url::parse(link)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or(IntakeError::NotHttp)
}

/// The page read into an entry; one that cannot be reached gives a thin
/// entry titled from its URL, a 404/410 an error unless `force`.
pub async fn read_page(
    client: &PoliteClient,
    request: &Request<'_>,
) -> Result<IncomingEntry, IntakeError> {
    let link = request.url;
    let given = parse_link(link)?;
    let report = client.fetch_submitted_page(&given).await;
    let mut meta = Default::default();
    match report.result {
        Ok(Fetched::Body {
            body, content_type, ..
        }) => meta = read_meta(&body, content_type.as_deref()),
        Err(FetchError::Status { status, .. }) if matches!(status, 404 | 410) && !request.force => {
            return Err(IntakeError::Gone { status });
        }
        Err(FetchError::PrivateLink {
            target,
            kind,
            redirected,
        }) => {
            return Err(match redirected {
                true => IntakeError::PrivateRedirect { target, kind },
                false => IntakeError::PrivateAddress { target, kind },
            });
        }
        Ok(Fetched::NotModified) | Err(_) => {}
    }
    let given_canonical = canonical_url(link, None).unwrap_or_else(|| given.clone());
    let url = meta
        .canonical
        .as_deref()
        .and_then(|c| canonical_url(c, Some(&given)))
        .filter(|c| matches!(c.scheme(), "http" | "https"))
        .unwrap_or(given_canonical);
    let meta = editorial(&url, meta);
    let title = request
        .title
        .map(str::to_owned)
        .or(meta.title)
        .unwrap_or_else(|| title_from_url(&url));
    let mut entry = IncomingEntry {
        key: url.to_string(),
        url: Some(link.to_owned()),
        canonical_url: Some(url.to_string()),
        title,
        summary: meta.description.or(meta.first_paragraph),
        published: meta.published,
        updated: None,
        unread_date: None,
        categories: meta.site_name.into_iter().collect(),
        filtered: None,
        session: None,
    };
    // A page's title is as unbounded as a feed's: cut the same way.
    entry.bound_text();
    Ok(entry)
}

/// "example.com/posts/hello-world" for a page whose title is unknown.
fn title_from_url(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    format!("{host}{}", url.path().trim_end_matches('/'))
}

/// Places the entry read for `request` and credits its contributor; with
/// `accept`, decides it (when no one has yet).
pub fn place(
    store: &mut Store,
    config: &Config,
    request: &Request<'_>,
    entry: &IncomingEntry,
) -> Result<Added, IntakeError> {
    check_section(config, request.section)?;
    if let Some(under) = request.related_to {
        return file_under(store, request, entry, under);
    }
    let section = request.section.map(str::to_owned);
    // Known before anything is stored: an accept without a section to go to
    // would leave the link queued but undecided.
    let accept_section = match request.accept {
        true => Some(
            section
                .clone()
                .or_else(|| config.contributions.section.clone())
                .ok_or_else(|| IntakeError::NoSection {
                    known: crate::config::known_sections(&config.sections),
                })?,
        ),
        false => None,
    };
    let source = submissions_source(section.clone());
    let submitted = store.submit(
        &source,
        &Submission {
            entry,
            given_url: request.url,
            contributor: request.contributor,
            comment: request.note,
            force: request.force,
        },
    )?;
    let (id, duplicate_of) = match &submitted {
        Submitted::New(id) => (*id, None),
        Submitted::Existing { id, .. } => (*id, Some(*id)),
        Submitted::Published(reason) => {
            return Ok(Added {
                id: None,
                status: "published".into(),
                title: entry.title.clone(),
                url: entry.canonical_url.clone().unwrap_or_default(),
                section,
                submitted_by: vec![request.contributor.to_owned()],
                duplicate_of: None,
                published_in: Some(reason.clone()),
                seen_in: Vec::new(),
                related_to: None,
                folded: None,
            });
        }
    };
    let undecided = match submitted {
        Submitted::Existing { status, .. } => status == Status::New,
        _ => true,
    };
    let mut candidate = store.candidate(id)?.ok_or(IntakeError::Vanished(id))?;
    if let Some(fallback) = accept_section
        && undecided
    {
        // --section, else the feed's section when a feed carried it, else
        // [contributions] section.
        let section = request
            .section
            .map(str::to_owned)
            .or(candidate.section.clone())
            .unwrap_or(fallback);
        store.decide(&[id], Status::Accepted, Some(&section), request.note)?;
        candidate = store.candidate(id)?.ok_or(IntakeError::Vanished(id))?;
    }
    Ok(Added {
        id: Some(id),
        status: candidate.status.to_string(),
        title: candidate.title,
        url: candidate.url.unwrap_or_default(),
        section: candidate.section,
        submitted_by: candidate.submitted_by,
        duplicate_of,
        published_in: None,
        seen_in: candidate.seen_in.into_iter().map(|s| s.0).collect(),
        related_to: None,
        folded: None,
    })
}

/// Files the link read into `entry` under candidate `under`: never a
/// candidate of its own, even when a past issue has it.
fn file_under(
    store: &mut Store,
    request: &Request<'_>,
    entry: &IncomingEntry,
    under: CandidateId,
) -> Result<Added, IntakeError> {
    let url = entry
        .canonical_url
        .clone()
        .unwrap_or_else(|| entry.key.clone());
    let filed = store
        .file_related(
            under,
            &NewRelated {
                title: &entry.title,
                url: &url,
                contributor: Some(request.contributor),
            },
        )
        .map_err(IntakeError::Related)?;
    let target = store
        .candidate(under)?
        .ok_or(IntakeError::Vanished(under))?;
    Ok(Added {
        id: None,
        status: match filed {
            Filed::AlreadyThere => "already related".into(),
            Filed::Attached { .. } => "related".into(),
        },
        title: entry.title.clone(),
        url,
        section: target.section,
        submitted_by: vec![request.contributor.to_owned()],
        duplicate_of: None,
        published_in: None,
        seen_in: Vec::new(),
        related_to: Some(under),
        folded: match filed {
            Filed::Attached { folded } => folded.map(|(id, _)| id),
            Filed::AlreadyThere => None,
        },
    })
}

/// One line for a person: what became of the link.
pub fn describe(added: &Added) -> String {
    if let Some(under) = added.related_to {
        let mut line = match added.status.as_str() {
            "already related" => format!("#{under} already has it: {}", added.url),
            _ => format!("linked under #{under}: {} ({})", added.title, added.url),
        };
        if let Some(folded) = added.folded {
            line.push_str(&format!(
                "; #{folded} was this link, folded in (no longer an item of its own)"
            ));
        }
        return line;
    }
    let Some(id) = added.id else {
        return format!(
            "{}; not queued (--force queues it anyway): {}",
            added.published_in.as_deref().unwrap_or("published before"),
            added.url
        );
    };
    let Some(_) = added.duplicate_of else {
        return format!("{} as #{id}: {}", queued_word(&added.status), added.title);
    };
    let feeds: Vec<&str> = added
        .seen_in
        .iter()
        .map(String::as_str)
        .filter(|s| *s != crate::store::SUBMISSIONS)
        .collect();
    let mut facts = Vec::new();
    if !feeds.is_empty() {
        facts.push(format!("seen in {}", feeds.join(", ")));
    }
    facts.push(format!("submitted by {}", added.submitted_by.join(", ")));
    format!(
        "already {} as #{id} ({})",
        queued_word(&added.status),
        facts.join("; ")
    )
}

/// "queued" for a candidate awaiting a decision, else its status.
fn queued_word(status: &str) -> &str {
    match status {
        "new" => "queued",
        other => other,
    }
}
