//! Property tests for the code that meets bad input first (issue 8): URL
//! canonicalisation, Markdown escaping of feed text, configuration parsing
//! and the GitHub version filter. Each property runs proptest's default
//! 256 cases; a failure prints the shrunk input, which belongs in a
//! regression test named after the bug.

#[path = "../oracle/markdown.rs"]
mod markdown_oracle;

mod config;
mod markdown;
mod urls;
mod versions;
