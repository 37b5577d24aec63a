//! The editor's order: a section's items as accepted (not as published),
//! and the file's order once the editor moved items in it.

use super::*;

/// Where each of `titles` is in `draft` (panics when one is missing).
fn places(draft: &str, titles: &[&str]) -> Vec<usize> {
    titles
        .iter()
        .map(|t| {
            draft
                .find(&format!("### {t}\n"))
                .unwrap_or_else(|| panic!("no {t} in {draft}"))
        })
        .collect()
}

#[test]
fn items_come_in_the_order_accepted_and_moves_in_the_file_stick() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "");
    // Published first, accepted second.
    let (k8s, proxy) = ("Kubernetes v1.35: Harbor Lights", "Life after kube-proxy");
    accept(&desk, proxy, Some("先に採用。"));
    let k8s_id = accept(&desk, k8s, Some("後で採用。"));
    desk.ok(&["draft", "--date", DATE]);
    let path = zenn_path(&desk, DATE);
    let first = std::fs::read_to_string(&path).unwrap();
    let at = places(&first, &[proxy, k8s]);
    assert!(at[0] < at[1], "as accepted: {first}");

    // The editor moves the Kubernetes item (marker and all) to the top of
    // the section.
    let k8s_block = first[first
        .find(&format!("<!-- newsdesk:item {k8s_id} -->"))
        .unwrap()..first.find("<!-- newsdesk:closing -->").unwrap()]
        .to_owned();
    let section_start =
        first.find("## 👀 Notable Articles\n\n").unwrap() + "## 👀 Notable Articles\n\n".len();
    let mut moved = first.replacen(&k8s_block, "", 1);
    moved.insert_str(section_start, &k8s_block);
    std::fs::write(&path, &moved).unwrap();
    let at = places(&moved, &[k8s, proxy]);
    assert!(at[0] < at[1], "{moved}");

    // A new item: the moves stay, the new one goes to the end.
    let gateway = "Gateway API v1.4 in practice";
    accept(&desk, gateway, Some("新しい項目。"));
    let out = desk.ok(&["draft", "--date", DATE]);
    assert!(out.contains("(1 new)"), "{out}");
    let merged = std::fs::read_to_string(&path).unwrap();
    let at = places(&merged, &[k8s, proxy, gateway]);
    assert!(at[0] < at[1] && at[1] < at[2], "{merged}");
    assert!(
        merged.starts_with(moved[..moved.find("<!-- newsdesk:closing -->").unwrap()].trim_end()),
        "{merged}"
    );
}
