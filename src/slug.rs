//! Slugs: a text as lower-case ASCII letters and digits joined by single
//! dashes, for names that must survive URLs, file systems and shells
//! (source ids from OPML titles, the Zenn article slug of a newsletter).

/// `text` as a slug of at most `max_chars`: lower-case a-z and 0-9, every
/// run of anything else one dash, no dash at either end. Empty when `text`
/// has no ASCII letter or digit.
pub fn slug(text: &str, max_chars: usize) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if slug.len() == max_chars {
            break;
        }
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(slug.trim_end_matches('-').len());
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_dashed_lower_case() {
        assert_eq!(slug("  The Kubernetes Blog!  ", 60), "the-kubernetes-blog");
        assert_eq!(slug("Argo CD — Releases", 60), "argo-cd-releases");
        assert_eq!(slug("クラウドネイティブ", 60), "");
    }

    #[test]
    fn a_cut_slug_ends_without_a_dash() {
        assert_eq!(slug("cloud native weekly", 6), "cloud");
        assert_eq!(slug("cloud native weekly", 7), "cloud-n");
    }
}
