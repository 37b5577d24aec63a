//! Bytes → the HTML selector adapter, with the selector sets of the test
//! suite and the example feeds.toml, built by the real configuration code.

#![no_main]

mod common;

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use newsdesk::config::Config;
use newsdesk::source::{SourceOptions, html};
use url::Url;

static PAGE_URL: LazyLock<Url> =
    LazyLock::new(|| Url::parse("https://www.example.org/announcements/").unwrap());

const SELECTOR_SETS: [&str; 3] = [
    r#"{ item = "article.post", title = ".post-title", link = ".post-title a@href", summary = "p.excerpt", date = "time@datetime" }"#,
    r#"{ item = "article", title = "h2, h3", link = "a@href", summary = "p", date = "time@datetime" }"#,
    r#"{ item = "li, div.Box-row, tr", title = "a, td:first-child", link = "a@href", summary = "p, td + td", date = "relative-time@datetime", date_format = "%Y-%m-%d %H:%M" }"#,
];

static SELECTORS: LazyLock<Vec<html::Selectors>> = LazyLock::new(|| {
    SELECTOR_SETS
        .iter()
        .map(|set| {
            let text = format!(
                "[newsletter]\ntitle = \"Fuzz\"\n[[source]]\nid = \"page\"\nkind = \"html\"\nurl = \"{}\"\nselectors = {set}\n",
                *PAGE_URL
            );
            let config = Config::parse(Path::new("/fuzz/feeds.toml"), &text).unwrap();
            match &config.sources[0].options {
                SourceOptions::Html(selectors) => (**selectors).clone(),
                other => panic!("not an html adapter: {other:?}"),
            }
        })
        .collect()
});

const CONTENT_TYPES: [Option<&str>; 3] = [
    None,
    Some("text/html; charset=utf-8"),
    Some("text/html; charset=euc-jp"),
];

fuzz_target!(|data: &[u8]| {
    let selectors = &SELECTORS[data.len() % SELECTORS.len()];
    let content_type = CONTENT_TYPES[data.len() % CONTENT_TYPES.len()];
    if let Ok(parsed) = html::parse(data, content_type, &PAGE_URL, selectors) {
        common::check_entries(&parsed, common::Expect { titled: true });
    }
});
