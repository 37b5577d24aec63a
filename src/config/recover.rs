//! Reading `feeds.toml` so that one refused key hides no other (the way
//! vector validates its configuration): serde stops at the first unknown
//! key, unknown value or wrong type, so the refused key is reported, taken
//! out of the parsed document and the rest read again, until serde takes
//! what is left. The checks of `build` then run on that, and report the
//! problems of the values that remain.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::problems::Problems;

/// Enough for any file a person wrote; a bound all the same, as each round
/// reads the whole document again.
const MAX_ROUNDS: usize = 200;

/// `text` read as `T`, every key serde refused reported in `problems`;
/// `None` when nothing could be read (a syntax error, a required table
/// missing).
pub(super) fn read<T: DeserializeOwned>(text: &str, problems: &mut Problems) -> Option<T> {
    // The common case, a file without mistakes, reads once.
    let first = match toml::from_str::<T>(text) {
        Ok(value) => return Some(value),
        Err(err) => err,
    };
    let mut document = match DeTable::parse(text) {
        Ok(document) => document,
        Err(syntax) => {
            problems.add_toml_error(&syntax, None);
            return None;
        }
    };
    let mut err = first;
    let whole = document.span();
    for _ in 0..MAX_ROUNDS {
        let Some(span) = err.span() else {
            problems.add_toml_error(&err, None);
            return None;
        };
        let message = err.message().trim().to_owned();
        let taken = take_from(document.get_mut(), &span, whole.clone());
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        // A required key taken out is not reported missing: its own
        // problem already was.
        let already = missing.is_some_and(|field| {
            problems.refused.iter().any(|(table, key)| {
                key == field && (contains(table, &span) || contains(&span, table))
            })
        });
        if !already {
            problems.add_toml_error(&err, taken.as_ref().map(|t| t.key.as_str()));
        }
        let taken = taken?;
        problems.refused.push((taken.table, taken.key));
        let value = toml::de::ValueDeserializer::from(Spanned::new(
            document.span(),
            DeValue::Table(document.get_ref().clone()),
        ));
        match T::deserialize(value) {
            Ok(value) => return Some(value),
            Err(next) => err = next,
        }
    }
    None
}

/// What was taken out of the document: a key, and the extent of the
/// table it was in (from its header to its last value); for a table
/// refused whole, that table, with no key.
struct Taken {
    table: Range<usize>,
    key: String,
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// From the table's header (`header`) to the end of its last value: the
/// parser's spans of tables cover their headers only.
fn extent(table: &DeTable, header: &Range<usize>) -> Range<usize> {
    table.iter().fold(header.clone(), |all, (key, value)| {
        all.start.min(key.span().start)..all.end.max(value.span().end)
    })
}

/// Takes out of `table` (whose header is `header`) the innermost key whose
/// key or value holds `span`, looking into every table and array of
/// tables; when `span` is an element of an array of tables itself (a
/// required key missing), that element.
fn take_from(table: &mut DeTable, span: &Range<usize>, header: Range<usize>) -> Option<Taken> {
    let table_extent = extent(table, &header);
    let mut hit = None;
    for (key, value) in table.iter_mut() {
        let value_span = value.span();
        match value.get_mut() {
            DeValue::Table(inner) if value_span != *span => {
                if let Some(taken) = take_from(inner, span, value_span.clone()) {
                    return Some(taken);
                }
            }
            DeValue::Array(items) => {
                if let Some(taken) = take_from_array(items, span) {
                    return Some(taken);
                }
            }
            _ => {}
        }
        if contains(&key.span(), span) || contains(&value_span, span) {
            hit = Some(key.get_ref().to_string());
            break;
        }
    }
    let key = hit?;
    table.remove(key.as_str());
    Some(Taken {
        table: table_extent,
        key,
    })
}

fn take_from_array(items: &mut toml::de::DeArray, span: &Range<usize>) -> Option<Taken> {
    for item in items.as_mut().iter_mut() {
        let item_span = item.span();
        if let DeValue::Table(inner) = item.get_mut()
            && item_span != *span
            && let Some(taken) = take_from(inner, span, item_span)
        {
            return Some(taken);
        }
    }
    // An element refused whole (a required key missing) goes.
    let at = items.iter().position(|item| item.span() == *span)?;
    let table = match items[at].get_ref() {
        DeValue::Table(inner) => extent(inner, span),
        _ => span.clone(),
    };
    let kept: toml::de::DeArray = std::mem::replace(items, toml::de::DeArray::new())
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != at)
        .map(|(_, item)| item)
        .collect();
    *items = kept;
    Some(Taken {
        table,
        key: String::new(),
    })
}
