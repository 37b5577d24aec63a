//! One-off sections: made while accepting, for one issue, without
//! touching feeds.toml; placed after the section they name, kept when the
//! draft is made again, gone from the next issue.

use super::*;

#[test]
fn a_section_of_one_issue_is_placed_kept_and_not_carried_over() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "");
    let feeds_before = std::fs::read_to_string(desk.config()).unwrap();
    accept(&desk, "Kubernetes v1.35: Harbor Lights", Some("GA です。"));
    accept(&desk, "Argo CD v3.0.0", Some("リリース。"));
    let proxy = id_of(&desk, "Life after kube-proxy");
    let out = desk.ok(&[
        "review",
        "accept",
        &proxy,
        "--section",
        "Kubernetes 1.25",
        "--new-section",
        "--emoji",
        "✨",
        "--after",
        "articles",
    ]);
    assert!(
        out.contains("new section \"✨ Kubernetes 1.25\" (one-off-kubernetes-1-25) for this issue, after articles"),
        "{out}"
    );
    // Without --after: after the configured sections; a Japanese title.
    let gateway = id_of(&desk, "Gateway API v1.4 in practice");
    desk.ok(&[
        "review",
        "accept",
        &gateway,
        "--section",
        "先週号の補足",
        "--new-section",
        "--emoji",
        "📚",
    ]);
    assert_eq!(
        std::fs::read_to_string(desk.config()).unwrap(),
        feeds_before
    );

    desk.ok(&["draft", "--date", DATE]);
    let path = zenn_path(&desk, DATE);
    let draft = std::fs::read_to_string(&path).unwrap();
    let headings: Vec<&str> = draft.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        [
            "## 👀 Notable Articles",
            "## ✨ Kubernetes 1.25",
            "## 👀 Releases",
            "## 📚 先週号の補足",
            "## あとがき"
        ],
        "{draft}"
    );
    assert!(section_text(&draft, "one-off-kubernetes-1-25").contains("### Life after kube-proxy"));

    // Another item for it later, named by its title: the re-draft keeps
    // the section and adds the item to it.
    let story = id_of(&desk, "A story nobody picks");
    desk.ok(&["review", "accept", &story, "--section", "Kubernetes 1.25"]);
    let out = desk.ok(&["draft", "--date", DATE]);
    assert!(out.contains("(1 new)"), "{out}");
    let merged = std::fs::read_to_string(&path).unwrap();
    let one_off = section_text(&merged, "one-off-kubernetes-1-25");
    assert!(
        one_off.find("### Life after kube-proxy") < one_off.find("### A story nobody picks"),
        "{merged}"
    );

    // The next issue has the configured sections only.
    accept(&desk, "Cilium 1.19.0", None);
    desk.ok(&["draft", "--date", "2026-12-09"]);
    let next = std::fs::read_to_string(zenn_path(&desk, "2026-12-09")).unwrap();
    assert!(
        !next.contains("Kubernetes 1.25") && !next.contains("先週号"),
        "{next}"
    );

    // Mistakes are refused with what to do.
    let cilium_like = id_of(&desk, "Argo CD v3.0.0");
    for (args, says) in [
        (
            vec!["--section", "X", "--new-section", "--emoji", "🚀🚀"],
            "is not one emoji",
        ),
        (
            vec!["--section", "X", "--new-section", "--after", "nowhere"],
            "no section \"nowhere\"",
        ),
        (vec!["--section", "Kubernetes 1.26"], "--new-section"),
    ] {
        let output = desk
            .cmd()
            .args(["review", "accept", &cilium_like])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn templates_see_which_sections_are_one_offs() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "");
    std::fs::create_dir_all(desk.dir.path().join("t/partials")).unwrap();
    let config = std::fs::read_to_string(desk.config()).unwrap();
    std::fs::write(
        desk.config(),
        config.replacen("[newsletter]\n", "[newsletter]\ntemplates_dir = \"t\"\n", 1),
    )
    .unwrap();
    std::fs::write(
        desk.dir.path().join("t/partials/section.md.hbs"),
        "{{marker}}\n## {{title}}{{#if one_off}} (this issue only){{/if}}\n\n{{#each items}}\n{{> item}}\n\n{{/each}}\n",
    )
    .unwrap();
    accept(&desk, "Kubernetes v1.35: Harbor Lights", None);
    let proxy = id_of(&desk, "Life after kube-proxy");
    desk.ok(&[
        "review",
        "accept",
        &proxy,
        "--section",
        "Kubernetes 1.25",
        "--new-section",
    ]);
    let draft = desk.ok(&["draft", "--date", DATE, "--dry-run"]);
    assert!(draft.contains("## Notable Articles\n"), "{draft}");
    assert!(
        draft.contains("## Kubernetes 1.25 (this issue only)\n"),
        "{draft}"
    );
}
