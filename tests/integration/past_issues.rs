//! Reading the past issues in drafts_dir: whatever the directory holds,
//! the walk ends, and each issue counts once.

use std::time::Duration;

use crate::Desk;

/// `ln -s . a; ln -s . b` in drafts_dir made the walk exponential: `poll`,
/// `draft` and the daemon hung.
#[test]
fn links_to_the_drafts_directory_inside_it_neither_hang_the_scan_nor_count_twice() {
    let desk = Desk::new("");
    let drafts = desk.dir.path().join("drafts");
    std::fs::create_dir_all(drafts.join("node_modules/zenn-cli")).unwrap();
    std::fs::write(
        drafts.join("2026-11-01.md"),
        "# Weekly\n\n### [A story](https://example.org/story)\n",
    )
    .unwrap();
    std::fs::write(
        drafts.join("node_modules/zenn-cli/README.md"),
        "[not an issue](https://example.org/package)\n",
    )
    .unwrap();
    for name in ["a", "b"] {
        std::os::unix::fs::symlink(".", drafts.join(name)).unwrap();
    }
    let output = desk
        .cmd()
        .arg("poll")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    crate::stdout_of_success(output, format_args!("newsdesk poll"));
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM published"),
        1,
        "the issue once, nothing from node_modules"
    );
}
