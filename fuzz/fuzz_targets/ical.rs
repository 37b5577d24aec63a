//! Bytes → the iCalendar adapter, with and without a track filter.

#![no_main]

mod common;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use newsdesk::source::ical;
use url::Url;

static CALENDAR_URL: LazyLock<Url> =
    LazyLock::new(|| Url::parse("https://kccnceu2026.sched.com/all.ics").unwrap());

fuzz_target!(|data: &[u8]| {
    let filter = ical::TrackFilter {
        tracks: if data.len().is_multiple_of(2) {
            Vec::new()
        } else {
            vec!["keynote sessions".to_owned(), "observability".to_owned()]
        },
    };
    if let Ok(parsed) = ical::parse(data, &CALENDAR_URL, &filter) {
        common::check_entries(&parsed, common::Expect { titled: false });
    }
});
