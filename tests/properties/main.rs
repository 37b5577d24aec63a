//! Property tests for the code that meets bad input first (issue 8): URL
//! canonicalisation, Markdown escaping of feed text, configuration parsing,
//! the GitHub version filter and feed dates. Each property runs proptest's default
//! 256 cases; a failure prints the shrunk input, which belongs in a
//! regression test named after the bug.

#[path = "../oracle/markdown.rs"]
mod markdown_oracle;

mod config;
mod dates;
mod markdown;
mod urls;
mod versions;
