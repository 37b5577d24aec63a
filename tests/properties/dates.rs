//! Feed dates: any string is read without a panic, a date read is within
//! years 1–9999, and an instant written in RFC 3339, RFC 2822 or Korean
//! (OnBlog's form, Korean time) is read back as that instant.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use newsdesk::source::dates;
use proptest::prelude::*;

/// Strings made of the pieces dates are written with, so the search
/// reaches the readers' inner branches (a cut inside a multi-byte
/// character once panicked there).
fn date_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,8}",
        Just("-".to_owned()),
        Just(":".to_owned()),
        Just("/".to_owned()),
        Just(" ".to_owned()),
        Just(",".to_owned()),
        Just("T".to_owned()),
        Just("Z".to_owned()),
        Just("+09:00".to_owned()),
        Just("Jan".to_owned()),
        Just("Sept".to_owned()),
        Just("Thu".to_owned()),
        Just("EST".to_owned()),
        Just("년".to_owned()),
        Just("월".to_owned()),
        Just("일".to_owned()),
        Just("오후".to_owned()),
        Just("Κυρ".to_owned()),
        Just("Ιούλ".to_owned()),
        Just("július".to_owned()),
        Just("é".to_owned()),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

fn in_range(read: Option<DateTime<Utc>>) -> bool {
    read.is_none_or(|d| (1..=9999).contains(&chrono::Datelike::year(&d)))
}

proptest! {
    #[test]
    fn any_string_is_read_without_a_panic(text in any::<String>()) {
        prop_assert!(in_range(dates::parse(&text)));
    }

    #[test]
    fn date_like_strings_are_read_without_a_panic(text in date_like()) {
        prop_assert!(in_range(dates::parse(&text)));
    }

    #[test]
    fn written_instants_are_read_back(
        seconds in 0i64..253_402_300_799,
        offset_minutes in -12 * 60i32..=14 * 60,
    ) {
        let instant = Utc.timestamp_opt(seconds, 0).unwrap();
        let zone = FixedOffset::east_opt(offset_minutes * 60).unwrap();
        let local = instant.with_timezone(&zone);
        prop_assert_eq!(dates::parse(&local.to_rfc3339()), Some(instant));
        if chrono::Datelike::year(&local) >= 1000 {
            prop_assert_eq!(dates::parse(&local.to_rfc2822()), Some(instant));
            let korea = instant.with_timezone(&FixedOffset::east_opt(9 * 3600).unwrap());
            let onblog = korea.format("%Y년 %m월 %d일 %H:%M:%S").to_string();
            prop_assert_eq!(dates::parse(&onblog), Some(instant), "{}", onblog);
        }
    }
}
