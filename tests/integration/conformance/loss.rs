//! No silent loss: a document holding `<item>` or `<entry>` elements whose
//! poll stored fewer entries must say so on its source (an error, or the
//! warning `newsdesk sources` shows).

use std::collections::HashMap;

use super::{Document, Stored, source_id};
use crate::Desk;

/// `<item>` / `<entry>` start tags (any prefix) outside comments and
/// CDATA sections.
pub fn item_elements(text: &str) -> usize {
    let mut count = 0;
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if let Some(after) = rest.strip_prefix("![CDATA[") {
            rest = after.find("]]>").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        let local = name.rsplit(':').next().unwrap_or(name);
        if (local == "item" || local == "entry") && name_end < rest.len() {
            count += 1;
        }
    }
    count
}

/// The documents that stored fewer entries than they hold without a word
/// on their source; prints how many said so and how many did not.
pub fn silent_losses(
    documents: &[Document],
    desk: &Desk,
    stored: &HashMap<String, Vec<Stored>>,
) -> Vec<String> {
    let db = desk.sqlite();
    let mut silent = Vec::new();
    let mut told = 0;
    for (i, document) in documents.iter().enumerate() {
        if document.path.ends_with(".json") {
            continue;
        }
        let elements = item_elements(&document.text);
        let got = stored.get(&source_id(i)).map_or(0, Vec::len);
        if got >= elements {
            continue;
        }
        // A warning is kept as `last_error` of a successful poll.
        let said: Option<String> = db
            .query_row(
                "SELECT last_error FROM sources WHERE id = ?1",
                [source_id(i)],
                |row| row.get(0),
            )
            .unwrap();
        if said.is_some() {
            told += 1;
        } else {
            silent.push(format!("{}: {got} of {elements}", document.path));
        }
    }
    eprintln!(
        "documents storing fewer entries than their <item>/<entry> elements: {} said so, {} silently",
        told,
        silent.len()
    );
    silent
}

#[test]
fn item_elements_are_counted_outside_comments() {
    let text = "<!-- <item> --><rss:item about='x'><title/></rss:item><entry>\
                <![CDATA[<item>]]></entry><items><itemref/>";
    assert_eq!(item_elements(text), 2);
}
