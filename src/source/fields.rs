//! An entry's fields as each reading of a feed gives them (feed-rs's
//! model, the lenient second reading), merged, then normalised into the
//! [`IncomingEntry`] the store keeps: plain text, one link resolved and
//! canonicalised, one text (a fuller content over a one-line teaser), a
//! stable key.

use chrono::{DateTime, Utc};
use feed_rs::model::Entry;
use url::Url;

use super::feed::{NO_ID, main_link, text_of};
use super::lenient::{self, RawEntry, RawText};
use super::scan::{self, Carries};
use super::{IncomingEntry, SUMMARY_CHARS, THIN_SUMMARY_CHARS, dates};
use crate::normalize::{canonical_url, digest_hex, html_to_text, plain_text, truncate_chars};

/// An entry's fields as read, before normalisation.
#[derive(Debug, Default)]
pub(super) struct Fields {
    title: Option<String>,
    link: Option<String>,
    summary: Option<String>,
    content: Option<String>,
    id: Option<String>,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    /// A date the entry gives that no reading could read.
    unread_date: Option<String>,
    categories: Vec<String>,
}

impl Fields {
    pub(super) fn of_model(entry: &Entry) -> Fields {
        let summary = entry.summary.as_ref().map(text_of);
        // Next to a full summary the content is never used (see `finish`),
        // and reducing a long HTML body to text is most of an entry's cost.
        let full_summary = summary
            .as_ref()
            .is_some_and(|s| s.chars().nth(THIN_SUMMARY_CHARS - 1).is_some());
        let content = entry.content.as_ref().filter(|_| !full_summary);
        let content = content.and_then(|content| {
            let body = content.body.as_deref()?;
            let (ty, subty) = (content.content_type.ty(), content.content_type.subty());
            let text = if subty.as_str().contains("html") {
                html_to_text(body)
            } else if ty.as_str() == "text" || subty.as_str().contains("xml") {
                plain_text(body)
            } else {
                // Atom content of another media type is base64 (RFC 4287 4.1.3.3).
                html_to_text(&String::from_utf8_lossy(&lenient::decode_base64(body)?))
            };
            Some(text)
        });
        Fields {
            title: entry.title.as_ref().map(text_of),
            link: main_link(&entry.links).map(|l| l.href.trim().to_owned()),
            summary,
            content,
            id: Some(entry.id.trim().to_owned()).filter(|id| id != NO_ID),
            published: entry.published,
            updated: entry.updated,
            unread_date: None,
            categories: entry
                .categories
                .iter()
                .map(|c| plain_text(c.label.as_deref().unwrap_or(&c.term)))
                .collect(),
        }
        .without_empty()
    }

    pub(super) fn of_raw(raw: &RawEntry) -> Fields {
        let text = |t: &Option<RawText>| {
            t.as_ref().map(|t| {
                if t.html {
                    html_to_text(&t.value)
                } else {
                    plain_text(&t.value)
                }
            })
        };
        let published = raw.published.as_deref().and_then(dates::parse);
        let updated = raw.updated.as_deref().and_then(dates::parse);
        Fields {
            title: text(&raw.title),
            link: raw.link.clone(),
            summary: text(&raw.summary),
            content: text(&raw.content),
            id: raw.id.clone(),
            published,
            updated,
            unread_date: (published.is_none() && updated.is_none())
                .then(|| raw.published.clone().or_else(|| raw.updated.clone()))
                .flatten(),
            categories: Vec::new(),
        }
        .without_empty()
    }

    fn without_empty(mut self) -> Fields {
        for text in [
            &mut self.title,
            &mut self.link,
            &mut self.summary,
            &mut self.content,
            &mut self.id,
        ] {
            if text.as_deref().is_some_and(str::is_empty) {
                *text = None;
            }
        }
        self.categories.retain(|c| !c.is_empty());
        self
    }

    /// What feed-rs did not read, that another element may carry.
    pub(super) fn missing(&self) -> Carries {
        let mut missing = 0;
        for (absent, what) in [
            (self.title.is_none(), scan::TITLE),
            (self.link.is_none(), scan::LINK),
            (self.summary.is_none() && self.content.is_none(), scan::TEXT),
            (
                self.published.is_none() && self.updated.is_none(),
                scan::DATE,
            ),
        ] {
            if absent {
                missing |= what;
            }
        }
        missing
    }

    /// feed-rs's fields, completed by the second reading's.
    fn completed_by(self, raw: Fields) -> Fields {
        // feed-rs keeps only the text before an element inside a text
        // element: the second reading's longer text that starts the same wins.
        let whole = |first: Option<String>, second: Option<String>| match (first, second) {
            (Some(a), Some(b)) if b.len() > a.len() && b.starts_with(&a) => Some(b),
            (a, b) => a.or(b),
        };
        let dated = self.published.is_some() || self.updated.is_some();
        Fields {
            title: whole(self.title, raw.title),
            link: self.link.or(raw.link),
            summary: whole(self.summary, raw.summary),
            content: whole(self.content, raw.content),
            id: self.id.or(raw.id),
            published: self.published.or(raw.published),
            updated: self.updated.or(raw.updated),
            unread_date: if dated { None } else { raw.unread_date },
            categories: self.categories,
        }
    }

    pub(super) fn finish(self, feed_url: &Url) -> IncomingEntry {
        let link = self
            .link
            .as_deref()
            .and_then(|href| canonical_url(href, Some(feed_url)).map(|c| (href, c)));
        let url = link.as_ref().map(|(href, _)| {
            feed_url
                .join(href)
                .map_or_else(|_| (*href).to_owned(), String::from)
        });
        let canonical = link.map(|(_, c)| String::from(c));
        // A one-line teaser next to the full content: the content says more.
        let summary_text = match self.summary {
            Some(teaser) if teaser.chars().count() < THIN_SUMMARY_CHARS => self
                .content
                .filter(|c| c.chars().count() > teaser.chars().count())
                .or(Some(teaser)),
            Some(summary) => Some(summary),
            None => self.content,
        };
        let title = self
            .title
            .or_else(|| summary_text.as_deref().map(|s| truncate_chars(s, 80)))
            .or_else(|| url.clone())
            .unwrap_or_else(|| "(untitled)".to_owned());
        let summary = summary_text.map(|s| truncate_chars(&s, SUMMARY_CHARS));
        let published = self.published.or(self.updated);
        let key = stable_key(
            self.id.as_deref().unwrap_or(""),
            canonical.as_deref(),
            &title,
            published,
        );
        IncomingEntry {
            key,
            url,
            canonical_url: canonical,
            title,
            summary,
            published,
            updated: self.updated,
            unread_date: self.unread_date,
            categories: self.categories,
            filtered: None,
            session: None,
        }
    }
}

/// feed-rs's entries completed by the second reading's, in document
/// order; when the two readings disagree on the number of entries, the
/// one that read more leads and the other completes the entries whose id
/// it shares.
pub(super) fn merge(model: Vec<Fields>, raw: Vec<Fields>) -> Vec<Fields> {
    if model.len() == raw.len() {
        return model
            .into_iter()
            .zip(raw)
            .map(|(m, r)| m.completed_by(r))
            .collect();
    }
    if model.len() > raw.len() {
        return model;
    }
    let mut model: Vec<Option<Fields>> = model.into_iter().map(Some).collect();
    raw.into_iter()
        .map(|r| {
            let twin = model
                .iter_mut()
                .find(|m| m.as_ref().is_some_and(|m| m.id.is_some() && m.id == r.id));
            match twin.and_then(Option::take) {
                Some(m) => m.completed_by(r),
                None => r,
            }
        })
        .collect()
}

/// The feed's own id when it has one; else the canonical link; else a digest
/// of title and date. Never feed-rs's invented id, which is random.
fn stable_key(
    id: &str,
    canonical: Option<&str>,
    title: &str,
    date: Option<DateTime<Utc>>,
) -> String {
    let id = id.trim();
    if !id.is_empty() && id != NO_ID {
        return format!("id:{id}");
    }
    if let Some(url) = canonical {
        return format!("url:{url}");
    }
    let date = date.map(|d| d.to_rfc3339()).unwrap_or_default();
    format!("sha:{}", digest_hex(&[title, &date]))
}
