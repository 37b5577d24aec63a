//! `GET /submit`: one self-contained page (submit.html, .css, .js) where a
//! contributor pastes a link, or lands from the bookmarklet with it filled
//! in. Nothing is loaded from elsewhere, and the Content-Security-Policy
//! allows exactly the page's own style and script (by their SHA-256) and
//! requests to this origin: an injected script could not run.

use std::sync::LazyLock;

use base64::Engine;
use hyper::StatusCode;
use hyper::header::HeaderValue;
use sha2::{Digest, Sha256};

use crate::http_server::{Answer, respond};

const PAGE: &str = include_str!("submit.html");
const STYLE: &str = include_str!("submit.css");
const SCRIPT: &str = include_str!("submit.js");

/// The policy, with the hashes of the inline style and script.
static POLICY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; connect-src 'self'; \
         img-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    )
});

fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The page, offering `sections` (id, title) to choose from.
pub(super) fn submit_page(sections: &[(String, String)]) -> Answer {
    let html = PAGE
        .replace("{{STYLE}}", STYLE)
        .replace("{{SCRIPT}}", SCRIPT)
        .replace("{{SECTIONS}}", &json_in_script(sections));
    let mut answer = respond(StatusCode::OK, "text/html; charset=utf-8", html);
    let headers = answer.headers_mut();
    headers.insert(
        "Content-Security-Policy",
        HeaderValue::from_str(&POLICY).expect("the policy is one line of ASCII"),
    );
    headers.insert("Referrer-Policy", HeaderValue::from_static("no-referrer"));
    headers.insert("X-Frame-Options", HeaderValue::from_static("DENY"));
    headers.insert("Cache-Control", HeaderValue::from_static("no-store"));
    answer
}

/// JSON that cannot end its `<script>` element or open markup: `<`, `>`
/// and `&` (only ever inside strings in JSON) as `\u` escapes.
fn json_in_script(sections: &[(String, String)]) -> String {
    serde_json::to_string(sections)
        .expect("strings serialise")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_title_cannot_close_the_script_element() {
        let json = json_in_script(&[("x".into(), "</script><b>&".into())]);
        assert!(!json.contains('<') && !json.contains('&'), "{json}");
        let back: Vec<(String, String)> = serde_json::from_str(&json).unwrap();
        assert_eq!(back[0].1, "</script><b>&");
    }

    #[test]
    fn the_policy_names_the_hash_of_the_script_the_page_carries() {
        let answer = submit_page(&[]);
        let policy = answer.headers()["Content-Security-Policy"]
            .to_str()
            .unwrap();
        let digest = Sha256::digest(SCRIPT.as_bytes());
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(
            policy.contains(&format!("script-src 'sha256-{hash}'")),
            "{policy}"
        );
        assert!(!policy.contains("unsafe"), "{policy}");
    }
}
