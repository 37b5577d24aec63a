//! Pages without a feed, read with the CSS selectors from feeds.toml.
//! A selector that matches nothing is an error (the page changed), never
//! a silent "no items".

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use scraper::{ElementRef, Html};
use url::Url;

use super::{IncomingEntry, ParseError, ParsedSource, SUMMARY_CHARS};
use crate::encoding;
use crate::normalize::{canonical_url, digest_hex, fold_whitespace, truncate_chars};

/// One CSS selector, optionally reading an attribute (`a@href`).
#[derive(Debug, Clone)]
pub struct FieldSelector {
    /// As written, for messages and fingerprints.
    pub text: String,
    pub selector: scraper::Selector,
    pub attribute: Option<String>,
}

/// Where the items of a page without a feed are (`kind = "html"`).
#[derive(Debug, Clone)]
pub struct Selectors {
    pub item: FieldSelector,
    pub title: FieldSelector,
    pub link: FieldSelector,
    pub summary: Option<FieldSelector>,
    pub date: Option<FieldSelector>,
    /// chrono format of the date text; RFC 3339, RFC 2822 and YYYY-MM-DD
    /// are recognised without one.
    pub date_format: Option<String>,
}

/// Reads the items of a page.
pub fn parse(
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
    selectors: &Selectors,
) -> Result<ParsedSource, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let (utf8, _) = encoding::html_to_utf8(body, content_type);
    let document = Html::parse_document(&String::from_utf8_lossy(&utf8));
    let items: Vec<ElementRef> = document.select(&selectors.item.selector).collect();
    if items.is_empty() {
        return Err(nothing_matched("item", &selectors.item));
    }
    let mut entries = Vec::with_capacity(items.len());
    let mut titles_found = false;
    let mut links_found = false;
    for item in items {
        let Some(title) = read(item, &selectors.title).filter(|t| !t.is_empty()) else {
            continue;
        };
        titles_found = true;
        let link = read(item, &selectors.link).filter(|l| !l.is_empty());
        links_found |= link.is_some();
        let url = link
            .as_deref()
            .and_then(|l| page_url.join(l).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let canonical = url
            .as_ref()
            .and_then(|u| canonical_url(u.as_str(), None))
            .map(String::from);
        let summary = selectors
            .summary
            .as_ref()
            .and_then(|s| read(item, s))
            .filter(|s| !s.is_empty())
            .map(|s| truncate_chars(&s, SUMMARY_CHARS));
        let published = selectors
            .date
            .as_ref()
            .and_then(|s| read(item, s))
            .and_then(|d| parse_date(&d, selectors.date_format.as_deref()));
        let key = match &canonical {
            Some(url) => format!("url:{url}"),
            None => format!("sha:{}", digest_hex(&[&title])),
        };
        entries.push(IncomingEntry {
            key,
            url: url.map(String::from),
            canonical_url: canonical,
            title,
            summary,
            published,
            updated: None,
            unread_date: None,
            categories: Vec::new(),
            filtered: None,
            session: None,
        });
    }
    if !titles_found {
        return Err(nothing_matched("title", &selectors.title));
    }
    if !links_found {
        return Err(nothing_matched("link", &selectors.link));
    }
    let title = scraper::Selector::parse("title").ok().and_then(|s| {
        document
            .select(&s)
            .next()
            .map(|t| fold_whitespace(&t.text().collect::<String>()))
    });
    Ok(ParsedSource {
        title,
        ttl: None,
        warning: None,
        entries,
    })
}

fn nothing_matched(key: &str, selector: &FieldSelector) -> ParseError {
    ParseError::Malformed(format!(
        "selector `{key}` = \"{}\" matched nothing: the page has probably changed; update the selectors in feeds.toml",
        selector.text
    ))
}

/// The text (or attribute) of the first match inside `item`; the item
/// itself when the selector matches it.
fn read(item: ElementRef, field: &FieldSelector) -> Option<String> {
    let found = item
        .select(&field.selector)
        .next()
        .or_else(|| field.selector.matches(&item).then_some(item))?;
    match &field.attribute {
        Some(attribute) => found.value().attr(attribute).map(|v| v.trim().to_owned()),
        None => Some(fold_whitespace(&found.text().collect::<Vec<_>>().join(" "))),
    }
}

fn parse_date(text: &str, format: Option<&str>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(format) = format {
        return NaiveDateTime::parse_from_str(text, format)
            .map(|d| d.and_utc())
            .or_else(|_| {
                NaiveDate::parse_from_str(text, format)
                    .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
            })
            .or_else(|_| DateTime::parse_from_str(text, format).map(|d| d.with_timezone(&Utc)))
            .ok();
    }
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc2822(text))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        })
}
