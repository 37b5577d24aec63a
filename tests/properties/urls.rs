//! URL canonicalisation: idempotent on any string, tracking decorations never change the key.

use newsdesk::dedup::url_key;
use newsdesk::normalize::canonical_url;
use proptest::prelude::*;
use url::Url;

/// Names `normalize` treats as tracking parameters (a sample of its list;
/// every `utm_*` counts).
fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_")
        || ["fbclid", "gclid", "msclkid", "mc_cid", "_hsenc", "igshid"].contains(&lower.as_str())
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9-]{1,12}(\\.[a-zA-Z0-9-]{1,12}){0,3}\\.[a-zA-Z]{2,6}",
        Just("WWW.Example.ORG".to_owned()),
        Just("amp.example.com".to_owned()),
        Just("m.example.co.jp".to_owned()),
        Just("bücher.example".to_owned()),
        Just("日本語.jp".to_owned()),
        Just("xn--r8jz45g.jp".to_owned()),
        Just("ΕΛΛΗΝΙΚΆ.example".to_owned()),
        Just("127.0.0.1".to_owned()),
        Just("0x7f.1".to_owned()),
        Just("[::1]".to_owned()),
        Just("[2001:DB8::1]".to_owned()),
        Just("api.github.com".to_owned()),
        Just("a_b.example".to_owned()),
        Just("%65xample.com".to_owned()),
    ]
}

fn path_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._~-]{0,10}",
        Just("index.html".to_owned()),
        Just("amp".to_owned()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just("%7Euser".to_owned()),
        Just("%2F".to_owned()),
        Just("%zz".to_owned()),
        Just("%".to_owned()),
        Just("a b".to_owned()),
        Just("記事".to_owned()),
        Just("%E8%A8%98".to_owned()),
        Just("(x)".to_owned()),
        Just("releases".to_owned()),
        Just("tags".to_owned()),
        Just("@x;y=z".to_owned()),
        Just("\\".to_owned()),
    ]
}

fn query_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("utm_source".to_owned()),
        Just("UTM_Medium".to_owned()),
        Just("utm_".to_owned()),
        Just("utm%5Fcampaign".to_owned()),
        Just("fbclid".to_owned()),
        Just("GCLID".to_owned()),
        Just("ref".to_owned()),
        Just("id".to_owned()),
        Just("page".to_owned()),
        Just("".to_owned()),
        Just("a+b".to_owned()),
        Just("q%20x".to_owned()),
        "[a-z_]{1,8}",
    ]
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{0,6}",
        Just("%20".to_owned()),
        Just("+".to_owned()),
        Just("a=b".to_owned()),
        Just("%26".to_owned()),
        Just("日本".to_owned()),
        Just("%".to_owned()),
        Just("%E3%81%82".to_owned()),
        Just("x#y".to_owned()),
    ]
}

/// URL-shaped strings: scheme, host, port, path, query with tracking
/// parameters, fragment; valid and not quite.
pub(crate) fn url_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("http"),
            Just("https"),
            Just("HTTPS"),
            Just("hTTp"),
            Just("ftp"),
            Just("javascript")
        ],
        host(),
        prop::option::of(prop_oneof![
            Just(80u32),
            Just(443),
            Just(8080),
            Just(0),
            Just(65535),
            Just(65536),
            0u32..70000
        ]),
        prop::collection::vec(path_segment(), 0..5),
        prop::option::of(prop::collection::vec((query_name(), query_value()), 0..5)),
        prop::option::of("[a-zA-Z0-9 #?/%]{0,8}"),
    )
        .prop_map(|(scheme, host, port, path, query, fragment)| {
            let mut url = format!("{scheme}://{host}");
            if let Some(port) = port {
                url.push_str(&format!(":{port}"));
            }
            for segment in path {
                url.push('/');
                url.push_str(&segment);
            }
            if let Some(pairs) = query {
                url.push('?');
                let pairs: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
                url.push_str(&pairs.join("&"));
            }
            if let Some(fragment) = fragment {
                url.push('#');
                url.push_str(&fragment);
            }
            url
        })
}

/// The canonical-URL invariants for one input, with and without a base.
fn check_canonical(link: &str) -> Result<(), TestCaseError> {
    let base = Url::parse("https://blog.example.org/feed/index.xml?utm_source=x").unwrap();
    for base in [None, Some(&base)] {
        let Some(canonical) = canonical_url(link, base) else {
            continue;
        };
        prop_assert!(
            matches!(canonical.scheme(), "http" | "https"),
            "{canonical}"
        );
        prop_assert!(canonical.fragment().is_none(), "{canonical}");
        prop_assert!(
            canonical.query_pairs().all(|(name, _)| !is_tracking(&name)),
            "{link:?} → {canonical}"
        );
        let again = canonical_url(canonical.as_str(), None);
        prop_assert_eq!(
            again.as_ref().map(Url::as_str),
            Some(canonical.as_str()),
            "not idempotent for {:?}",
            link
        );
        prop_assert_eq!(url_key(again.as_ref().unwrap()), url_key(&canonical));
    }
    Ok(())
}

proptest! {
    #[test]
    fn canonical_url_of_any_string_is_idempotent(link in any::<String>()) {
        check_canonical(&link)?;
    }

    #[test]
    fn canonical_url_of_url_shaped_strings_is_idempotent(link in url_like()) {
        check_canonical(&link)?;
    }

    /// The same page shared with tracking parameters, a fragment, another
    /// case of scheme and host and an explicit default port has the same
    /// canonical URL, so the same url_key.
    #[test]
    fn tracking_decorations_do_not_change_url_key(
        link in url_like(),
        tracking in prop::collection::vec(
            (prop_oneof![Just("utm_source"), Just("utm_medium"), Just("fbclid"), Just("gclid")], "[a-z0-9]{0,5}"),
            1..3,
        ),
        fragment in "[a-z]{0,5}",
    ) {
        let Some(plain) = canonical_url(&link, None) else { return Ok(()) };
        let mut shared = plain.clone();
        if shared.port().is_none() {
            let default = if shared.scheme() == "https" { 443 } else { 80 };
            shared.set_port(Some(default)).unwrap();
        }
        shared.query_pairs_mut().extend_pairs(tracking);
        shared.set_fragment(Some(&fragment));
        let shared = shared.as_str().replacen(plain.scheme(), &plain.scheme().to_uppercase(), 1);
        let decorated = canonical_url(&shared, None);
        prop_assert_eq!(decorated.as_ref(), Some(&plain), "{}", shared);
        prop_assert_eq!(url_key(decorated.as_ref().unwrap()), url_key(&plain));
    }
}
