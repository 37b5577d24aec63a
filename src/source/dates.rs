//! Dates as feeds write them, in every form feedparser's date handlers
//! read: W3C-DTF and ISO 8601 (with a space or `T`, compact, reduced to a
//! month or a year), RFC 822 and its variants (two-digit years, long month
//! names, no seconds, no time, named zones such as `ET`, `MET`, `MEST`),
//! asctime, MS SQL's `2004-07-08 23:56:58`, Perforce's `2006/09/15`,
//! `13 Feb, 2012` and `Feb 13, 2012`; and the national forms feedparser
//! has handlers for: Korean (OnBlog's `2004년 05월 28일 01:31:15` and
//! Nate's `2004-05-25 오후 11:23:17`, both Korean time), Greek
//! (`Κυρ, 11 Ιούλ 2004 12:00:00 EST`) and Hungarian
//! (`2004-július-13T9:15-05:00`).
//!
//! A string that is none of these, or names an impossible instant
//! (month 13, 25 o'clock), is `None`: never a wrong date.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

/// The instant `text` names, in UTC.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    iso8601(text)
        .or_else(|| words(text))
        .or_else(|| {
            let english = national(text)?;
            iso8601(&english).or_else(|| words(&english))
        })
        .filter(|d| (1..=9999).contains(&chrono::Datelike::year(d)))
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let position = MONTHS.iter().position(|m| lower.starts_with(m))?;
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    // "Sept" and the full name are fine; "Janxyz" is not.
    (lower.len() == 3 || full[position].starts_with(&lower) || lower == "sept")
        .then_some(position as u32 + 1)
}

/// A zone as a number of minutes east of UTC: `Z`, `±hh:mm`, `±hhmm`,
/// `±hh`, or a name.
fn zone(text: &str) -> Option<i32> {
    let text = text.trim();
    if let Some(sign) = text.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (hours, minutes) = match digits.len() {
            1 | 2 => (digits.parse::<i32>().ok()?, 0),
            3 | 4 => {
                let split = digits.len() - 2;
                (digits[..split].parse().ok()?, digits[split..].parse().ok()?)
            }
            _ => return None,
        };
        if hours > 23 || minutes > 59 {
            return None;
        }
        let offset = hours * 60 + minutes;
        return Some(if sign == '-' { -offset } else { offset });
    }
    let hours = match text.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "WET" => 0,
        "BST" | "CET" | "MET" | "WEST" => 1,
        "CEST" | "MEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "EDT" => -4,
        "EST" | "ET" | "CDT" => -5,
        "CST" | "CT" | "MDT" => -6,
        "MST" | "MT" | "PDT" => -7,
        "PST" | "PT" => -8,
        "AKST" => -9,
        "HST" => -10,
        "JST" | "KST" => 9,
        "AEST" => 10,
        _ => return None,
    };
    Some(hours * 60)
}

fn at(date: NaiveDate, time: NaiveTime, offset_minutes: i32) -> Option<DateTime<Utc>> {
    let offset = FixedOffset::east_opt(offset_minutes * 60)?;
    let local = date.and_time(time);
    Some(
        offset
            .from_local_datetime(&local)
            .single()?
            .with_timezone(&Utc),
    )
}

/// `hh:mm[:ss[.fraction]]` or compact `hhmm[ss]`.
fn clock(text: &str) -> Option<NaiveTime> {
    let (main, _fraction) = text.split_once(['.', ',']).unwrap_or((text, ""));
    let parts: Vec<&str> = if main.contains(':') {
        main.split(':').collect()
    } else if (main.len() == 4 || main.len() == 6) && main.bytes().all(|b| b.is_ascii_digit()) {
        (0..main.len())
            .step_by(2)
            .map(|i| &main[i..i + 2])
            .collect()
    } else {
        return None;
    };
    if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return None;
    }
    let number = |p: &str| p.parse::<u32>().ok();
    let seconds = parts.get(2).map_or(Some(0), |s| number(s))?;
    // A leap second is read as the last second.
    NaiveTime::from_hms_opt(number(parts[0])?, number(parts[1])?, seconds.min(59))
}

/// W3C-DTF / ISO 8601 and MS SQL: `2003-12-31T10:14:55.123-08:00`,
/// `2004-07-08 23:56:58`, `20040105T034407Z`, `2003-12`, `2003`,
/// Perforce's `2006/09/15 08:19:53 EDT`.
fn iso8601(text: &str) -> Option<DateTime<Utc>> {
    let (date_part, rest) = match text.find(['T', 't', ' ']) {
        Some(at) => (&text[..at], text[at + 1..].trim()),
        None => (text, ""),
    };
    let date_part = date_part.replace('/', "-");
    let fields: Vec<&str> = date_part.split('-').collect();
    let number = |p: &str| p.parse::<u32>().ok();
    let (year, month, day) = match fields.as_slice() {
        [compact] if compact.len() == 8 && compact.chars().all(|c| c.is_ascii_digit()) => (
            compact[..4].parse().ok()?,
            number(&compact[4..6])?,
            number(&compact[6..])?,
        ),
        [year] if year.len() == 4 => (year.parse().ok()?, 1, 1),
        [year, month] if year.len() == 4 && month.len() == 2 => {
            (year.parse().ok()?, number(month)?, 1)
        }
        [year, month, day] if year.len() == 4 && month.len() <= 2 && day.len() <= 2 => {
            (year.parse().ok()?, number(month)?, number(day)?)
        }
        _ => return None,
    };
    if fields
        .iter()
        .any(|f| !f.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    if rest.is_empty() {
        return at(date, NaiveTime::MIN, 0);
    }
    // The time, then a zone: `Z`, an offset glued on, or a name after a space.
    let (time_text, zone_text) = match rest.find(['Z', 'z', '+', '-', ' ']) {
        Some(at) => (&rest[..at], rest[at..].trim()),
        None => (rest, ""),
    };
    let time = clock(time_text)?;
    let offset = if zone_text.is_empty() {
        0
    } else {
        zone(zone_text)?
    };
    at(date, time, offset)
}

/// RFC 822 and relatives, asctime, `13 Feb, 2012`, `Feb 13, 2012`: read
/// by words. A weekday is ignored (feeds get it wrong).
fn words(text: &str) -> Option<DateTime<Utc>> {
    let cleaned = text.replace(',', " ");
    let mut tokens: Vec<&str> = cleaned.split_whitespace().collect();
    if tokens.first().is_some_and(|t| {
        t.len() >= 3 && t.chars().all(char::is_alphabetic) && month_number(t).is_none()
    }) {
        tokens.remove(0);
    }
    let mut day = None;
    let mut month = None;
    let mut year = None;
    let mut time = None;
    let mut offset = None;
    for token in tokens {
        if let Some(m) = month_number(token).filter(|_| month.is_none()) {
            month = Some(m);
        } else if token.contains(':') && time.is_none() {
            time = Some(clock(token)?);
        } else if token.chars().all(|c| c.is_ascii_digit()) {
            let n: u32 = token.parse().ok()?;
            if token.len() <= 2 && day.is_none() && (month.is_none() || year.is_none()) {
                day = Some(n);
            } else if year.is_none() && (token.len() == 4 || token.len() == 2) {
                year = Some(if token.len() == 2 {
                    if n < 90 { 2000 + n } else { 1900 + n }
                } else {
                    n
                });
            } else {
                return None;
            }
        } else if offset.is_none() && time.is_some() || offset.is_none() && year.is_some() {
            offset = Some(zone(token)?);
        } else {
            return None;
        }
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year?).ok()?, month?, day?)?;
    at(date, time.unwrap_or(NaiveTime::MIN), offset.unwrap_or(0))
}

/// A Korean, Greek or Hungarian date rewritten in a form read above.
fn national(text: &str) -> Option<String> {
    korean(text)
        .or_else(|| greek(text))
        .or_else(|| hungarian(text))
}

/// OnBlog's `2004년 05월 28일 01:31:15` and Nate's
/// `2004-05-25 오후 11:23:17` (오전 a.m., 오후 p.m.), in Korean time.
fn korean(text: &str) -> Option<String> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    match tokens.as_slice() {
        [year, month, day, time] => {
            let year = year.strip_suffix('년')?;
            let month = month.strip_suffix('월')?;
            let day = day.strip_suffix('일')?;
            Some(format!("{year}-{month}-{day}T{time}+09:00"))
        }
        [date, half, time] if matches!(*half, "오전" | "오후") => {
            let (hour, rest) = time.split_once(':')?;
            let mut hour: u32 = hour.parse().ok()?;
            if *half == "오후" && hour < 12 {
                hour += 12;
            } else if *half == "오전" && hour == 12 {
                hour = 0;
            }
            Some(format!("{date}T{hour:02}:{rest}+09:00"))
        }
        _ => None,
    }
}

/// `Κυρ, 11 Ιούλ 2004 12:00:00 EST`: RFC 822 with Greek weekday and month
/// abbreviations, read with the month in English.
fn greek(text: &str) -> Option<String> {
    const MONTHS: [(&str, &str); 19] = [
        ("Ιαν", "Jan"),
        ("Φεβ", "Feb"),
        ("Μάώ", "Mar"),
        ("Μαώ", "Mar"),
        ("Απρ", "Apr"),
        ("Μάι", "May"),
        ("Μαϊ", "May"),
        ("Μαι", "May"),
        ("Ιούν", "Jun"),
        ("Ιον", "Jun"),
        ("Ιούλ", "Jul"),
        ("Ιολ", "Jul"),
        ("Αύγ", "Aug"),
        ("Αυγ", "Aug"),
        ("Σεπ", "Sep"),
        ("Οκτ", "Oct"),
        ("Νοέ", "Nov"),
        ("Νοε", "Nov"),
        ("Δεκ", "Dec"),
    ];
    let (_weekday, rest) = text.split_once(',')?;
    let mut tokens: Vec<&str> = rest.split_whitespace().collect();
    let month = tokens.get_mut(1)?;
    *month = MONTHS.iter().find(|(greek, _)| greek == month)?.1;
    Some(tokens.join(" "))
}

/// `2004-július-13T9:15-05:00`: W3C-DTF with the month's Hungarian name.
fn hungarian(text: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "január",
        "februári",
        "március",
        "április",
        "máujus",
        "június",
        "július",
        "augusztus",
        "szeptember",
        "október",
        "november",
        "december",
    ];
    let (year, rest) = text.split_once('-')?;
    let (month, rest) = rest.split_once('-')?;
    let number = MONTHS.iter().position(|m| *m == month)? + 1;
    Some(format!("{year}-{number:02}-{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Option<String> {
        parse(text).map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string())
    }

    #[test]
    fn every_form_feedparser_reads_is_read() {
        for (text, want) in [
            ("2003-12-31T10:14:55Z", "2003-12-31T10:14:55"),
            ("2003-12-31T10:14:55.123-08:00", "2003-12-31T18:14:55"),
            ("2003-12-31T10:14:55+0100", "2003-12-31T09:14:55"),
            ("2003-12-31T10:14Z", "2003-12-31T10:14:00"),
            ("2003-12-31", "2003-12-31T00:00:00"),
            ("2003-12", "2003-12-01T00:00:00"),
            ("2003", "2003-01-01T00:00:00"),
            ("20031231T101455Z", "2003-12-31T10:14:55"),
            ("20031231", "2003-12-31T00:00:00"),
            ("2004-07-08 23:56:58", "2004-07-08T23:56:58"),
            ("2004-07-08 23:56:58.7", "2004-07-08T23:56:58"),
            ("2006/09/15 08:19:53 EDT", "2006-09-15T12:19:53"),
            ("Thu, 01 Jan 2004 19:48:21 GMT", "2004-01-01T19:48:21"),
            ("Thu, 01 Jan 04 19:48:21 GMT", "2004-01-01T19:48:21"),
            ("Thu, 01 January 2004 19:48 -0500", "2004-01-02T00:48:00"),
            ("Thu, 01 Jan 2004", "2004-01-01T00:00:00"),
            ("01 Jan 2004 19:48:21 ET", "2004-01-02T00:48:21"),
            ("Sun, 31 Dec 2006 12:00:00 MET", "2006-12-31T11:00:00"),
            ("Sun, 31 Jul 2006 12:00:00 MEST", "2006-07-31T10:00:00"),
            ("Sun, 31 Dec 2006 12:00:00 +01:00", "2006-12-31T11:00:00"),
            ("Sun Jan  4 16:29:06 2004", "2004-01-04T16:29:06"),
            ("Sun Jan  4 16:29:06 PST 2004", "2004-01-05T00:29:06"),
            ("13 Feb, 2012", "2012-02-13T00:00:00"),
            ("Feb 13, 2012", "2012-02-13T00:00:00"),
            ("Sept 13 2012", "2012-09-13T00:00:00"),
            ("2004년 05월 28일  01:31:15", "2004-05-27T16:31:15"),
            ("2004-05-25 오후 11:23:17", "2004-05-25T14:23:17"),
            ("2004-05-25 오전 11:23:17", "2004-05-25T02:23:17"),
            ("Κυρ, 11 Ιούλ 2004 12:00:00 EST", "2004-07-11T17:00:00"),
            ("2004-július-13T9:15-05:00", "2004-07-13T14:15:00"),
        ] {
            assert_eq!(utc(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn invalid_dates_are_none_never_a_wrong_value() {
        for text in [
            "",
            "garbage",
            "2003-13-01",
            "2003-02-30",
            "2003-12-31T25:00:00Z",
            "Thu, 32 Jan 2004 19:48:21 GMT",
            "Thu, 01 Foo 2004 19:48:21 GMT",
            "01 Jan 2004 19:48:21 XYZ",
            "2004-07-08 23:61:58",
            "12345",
            "2004년 13월 28일 01:31:15",
            "Κυρ, 11 Foo 2004 12:00:00 EST",
            "2004-foo-13T9:15-05:00",
            // Six bytes, two characters: once a panic (a cut inside 오).
            "2004-05-25 오후",
        ] {
            assert_eq!(utc(text), None, "{text}");
        }
    }
}
