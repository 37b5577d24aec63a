//! What a response says about when to ask again: `Cache-Control` /
//! `Expires` (fresh until), `Retry-After` and GitHub's rate-limit reset
//! (come back after), as the [`Hints`] the schedule turns into the next
//! poll time.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName};

use crate::schedule::Hints;

/// The hints of one response.
pub(super) fn of_response(headers: &HeaderMap, status: StatusCode) -> Hints {
    let text = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let now = Utc::now();
    Hints {
        fresh_for: freshness(
            text(header::CACHE_CONTROL),
            text(header::EXPIRES),
            text(header::DATE),
            now,
        ),
        retry_after: matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE | StatusCode::FORBIDDEN
        )
        .then(|| {
            retry_after(text(header::RETRY_AFTER), now).or_else(|| {
                // GitHub: x-ratelimit-reset is when the quota refills (epoch seconds).
                let remaining = text(HeaderName::from_static("x-ratelimit-remaining"));
                let reset: i64 = text(HeaderName::from_static("x-ratelimit-reset"))?
                    .parse()
                    .ok()?;
                (remaining == Some("0"))
                    .then(|| Duration::from_secs((reset - now.timestamp()).max(0) as u64))
            })
        })
        .flatten(),
    }
}

/// An HTTP date (RFC 9110: IMF-fixdate, and the obsolete RFC 850 and
/// asctime forms servers still send).
fn http_date(text: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(text.trim())
        .ok()
        .map(DateTime::<Utc>::from)
}

/// `Cache-Control: max-age=N` (or `s-maxage`), else `Expires` relative to
/// `Date` (or now). `no-cache`/`no-store` say nothing about when to return.
fn freshness(
    cache_control: Option<&str>,
    expires: Option<&str>,
    date: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Duration> {
    if let Some(cache_control) = cache_control {
        let max_age = cache_control.split(',').find_map(|directive| {
            let (name, value) = directive.trim().split_once('=')?;
            matches!(
                name.trim().to_ascii_lowercase().as_str(),
                "max-age" | "s-maxage"
            )
            .then(|| value.trim().trim_matches('"').parse::<u64>().ok())
            .flatten()
        });
        if let Some(seconds) = max_age {
            return Some(Duration::from_secs(seconds));
        }
    }
    let expires = http_date(expires?)?;
    let reference = date.and_then(http_date).unwrap_or(now);
    (expires - reference).to_std().ok()
}

/// `Retry-After`: seconds, or an HTTP date.
fn retry_after(value: Option<&str>, now: DateTime<Utc>) -> Option<Duration> {
    let value = value?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = http_date(value)?;
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn cache_headers_and_retry_after_are_read() {
        assert_eq!(
            freshness(Some("public, max-age=1800"), None, None, now()),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(
            freshness(
                None,
                Some("Wed, 25 Nov 2026 02:00:00 GMT"),
                Some("Wed, 25 Nov 2026 01:00:00 GMT"),
                now()
            ),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            freshness(
                None,
                Some("Wednesday, 25-Nov-26 02:00:00 GMT"),
                Some("Wed Nov 25 01:30:00 2026"),
                now()
            ),
            Some(Duration::from_secs(1800)),
            "the obsolete date forms of RFC 9110"
        );
        assert_eq!(freshness(Some("no-cache"), None, None, now()), None);
        assert_eq!(
            retry_after(Some("120"), now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(Some("Wed, 25 Nov 2026 00:10:00 GMT"), now()),
            Some(Duration::from_secs(600))
        );
        assert_eq!(retry_after(Some("soon"), now()), None);
    }
}
