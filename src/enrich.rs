//! Enrichment: a candidate without a real summary gets its article page
//! fetched once through the polite client (bounded in size and time, within
//! the same per-host limits as feeds) and its `og:description` / `<meta name=description>`,
//! `og:title` and `article:published_time` read. [`read_meta`] is also
//! how `newsdesk add` reads a page it is given. Results are cached in the
//! database, so a page is fetched once however often it is asked for.
//! [`editorial`] gives the pages of GitHub, YouTube and Speaker Deck the titles
//! an editor would write.

mod sites;

pub use sites::editorial;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use scraper::{Html, Selector};
use url::Url;

use crate::config::Config;
use crate::encoding;
use crate::fetch::{Fetched, PoliteClient};
use crate::ids::{CandidateId, SourceId};
use crate::normalize::{fold_whitespace, plain_text, truncate_chars};
use crate::source::{SUMMARY_CHARS, THIN_SUMMARY_CHARS};
use crate::store::{Enrichment, SUBMISSIONS, Store, StoreError};

/// What a page says about itself.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PageMeta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// `og:site_name`.
    pub site_name: Option<String>,
    /// `<link rel=canonical>` as written (maybe relative to the page).
    pub canonical: Option<String>,
    /// The first paragraph's text: a summary for a page without one.
    pub first_paragraph: Option<String>,
}

/// Reads OpenGraph and standard meta tags.
pub fn read_meta(body: &[u8], content_type: Option<&str>) -> PageMeta {
    let (utf8, _) = encoding::html_to_utf8(body, content_type);
    let document = Html::parse_document(&String::from_utf8_lossy(&utf8));
    let content = |css: &str| {
        let selector = Selector::parse(css).expect("valid selector");
        document
            .select(&selector)
            .filter_map(|m| m.value().attr("content"))
            .map(|c| fold_whitespace(&plain_text(c)))
            .find(|c| !c.is_empty())
    };
    let title_tag = || {
        let selector = Selector::parse("title").expect("valid selector");
        document
            .select(&selector)
            .next()
            .map(|t| fold_whitespace(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty())
    };
    let first = |css: &str, read: &dyn Fn(scraper::ElementRef) -> Option<String>| {
        let selector = Selector::parse(css).expect("valid selector");
        document
            .select(&selector)
            .filter_map(read)
            .find(|text| !text.is_empty())
    };
    PageMeta {
        title: content("meta[property='og:title']")
            .or_else(|| content("meta[name='twitter:title']"))
            .or_else(title_tag),
        description: content("meta[property='og:description']")
            .or_else(|| content("meta[name='description']"))
            .or_else(|| content("meta[name='twitter:description']"))
            .map(|d| truncate_chars(&d, SUMMARY_CHARS)),
        published: content("meta[property='article:published_time']")
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)),
        site_name: content("meta[property='og:site_name']"),
        canonical: first("link[rel='canonical']", &|link| {
            link.value().attr("href").map(|h| h.trim().to_owned())
        }),
        first_paragraph: first("p", &|p| {
            Some(truncate_chars(
                &fold_whitespace(&p.text().collect::<String>()),
                SUMMARY_CHARS,
            ))
        }),
    }
}

/// How an enrichment pass went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Enriched {
    pub pages: usize,
    pub summaries: usize,
    pub failed: usize,
}

/// Enriches up to `limit` candidates that need it. Runs on a
/// multi-threaded runtime (the store's writes block in place).
pub async fn enrich_pending(
    client: &PoliteClient,
    store: &mut Store,
    config: &Config,
    limit: usize,
) -> Result<Enriched, StoreError> {
    let mut allowed: HashSet<&str> = config
        .sources
        .iter()
        .filter(|s| s.enrich)
        .map(|s| s.id.0.as_str())
        .collect();
    // Links added by hand whose page could not be read then.
    if config.defaults.enrich {
        allowed.insert(SUBMISSIONS);
    }
    let wanted: Vec<(CandidateId, SourceId, String)> = store
        .candidates_to_enrich(THIN_SUMMARY_CHARS)?
        .into_iter()
        .filter(|(_, source, _)| allowed.contains(source.as_str()))
        .take(limit)
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (id, source, url) in wanted {
        let Ok(parsed) = Url::parse(&url) else {
            continue;
        };
        let client = client.clone();
        tasks.spawn(async move {
            // A link added by hand stays under the rules it was added by.
            let report = match source.as_str() == SUBMISSIONS {
                true => client.fetch_submitted_page(&parsed).await,
                false => client.fetch_page(&parsed).await,
            };
            let enrichment = match report.result {
                Ok(Fetched::Body {
                    body, content_type, ..
                }) => {
                    let meta = editorial(&parsed, read_meta(&body, content_type.as_deref()));
                    Enrichment {
                        url,
                        http_status: report.status,
                        title: meta.title,
                        description: meta.description,
                        published: meta.published,
                        error: None,
                    }
                }
                Ok(Fetched::NotModified) => {
                    Enrichment::failed(url, report.status, "unexpected 304".into())
                }
                Err(err) => Enrichment::failed(url, report.status, err.to_string()),
            };
            (id, enrichment)
        });
    }
    let mut done = Enriched::default();
    while let Some(joined) = tasks.join_next().await {
        let Ok((id, enrichment)) = joined else {
            continue;
        };
        done.pages += 1;
        if enrichment.error.is_some() {
            done.failed += 1;
            tracing::debug!(url = %enrichment.url, error = ?enrichment.error, "enrichment failed");
        }
        // SQLite may wait up to its busy timeout: not on a worker thread
        // others need.
        let recorded = tokio::task::block_in_place(|| {
            store.record_enrichment(id, &enrichment, THIN_SUMMARY_CHARS)
        });
        if recorded? {
            done.summaries += 1;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opengraph_wins_and_meta_description_is_the_fallback() {
        let page = br#"<html><head><title>Tag title</title>
            <meta property="og:title" content="OG &amp; title">
            <meta name="description" content="Plain description">
            <meta property="article:published_time" content="2026-11-20T09:00:00+09:00">
            </head><body>x</body></html>"#;
        let meta = read_meta(page, Some("text/html"));
        assert_eq!(meta.title.as_deref(), Some("OG & title"));
        assert_eq!(meta.description.as_deref(), Some("Plain description"));
        assert_eq!(
            meta.published.unwrap().to_rfc3339(),
            "2026-11-20T00:00:00+00:00"
        );
        assert_eq!(
            read_meta(b"<p>no head</p>", None),
            PageMeta {
                first_paragraph: Some("no head".into()),
                ..PageMeta::default()
            }
        );
    }

    #[test]
    fn twitter_title_site_name_and_canonical_are_read() {
        let page = br#"<html><head><title>Tag title</title>
            <meta name="twitter:title" content="Card title">
            <meta property="og:site_name" content="The Blog">
            <link rel="canonical" href=" /posts/1 ">
            </head><body><p> </p><p>First  words.</p></body></html>"#;
        let meta = read_meta(page, Some("text/html"));
        assert_eq!(meta.title.as_deref(), Some("Card title"));
        assert_eq!(meta.site_name.as_deref(), Some("The Blog"));
        assert_eq!(meta.canonical.as_deref(), Some("/posts/1"));
        assert_eq!(meta.first_paragraph.as_deref(), Some("First words."));
    }
}
