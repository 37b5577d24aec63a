//! The command line's own documentation: examples in every `--help`,
//! completions and the man page generated from the same definitions.

use crate::newsdesk_ok as newsdesk;

/// Every command and subcommand, with its path ("newsdesk review list").
fn walk(command: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let sub_path = format!("{path} {}", sub.get_name());
        walk(sub, sub_path.clone(), out);
        out.push((sub_path, sub.clone()));
    }
}

#[test]
fn every_command_help_has_examples() {
    let root = newsdesk::cli::command();
    let mut commands = Vec::new();
    walk(&root, "newsdesk".into(), &mut commands);
    commands.push(("newsdesk".into(), root));
    assert!(commands.len() > 10, "{}", commands.len());
    let lacking: Vec<&str> = commands
        .iter()
        .filter(|(_, c)| {
            !c.get_after_help()
                .is_some_and(|h| h.to_string().contains("Examples:\n  newsdesk"))
        })
        .map(|(path, _)| path.as_str())
        .collect();
    assert!(
        lacking.is_empty(),
        "no \"Examples:\" in --help of {lacking:?}"
    );
    // What the user sees.
    assert!(newsdesk(&["import-opml", "--help"]).contains("Examples:\n  newsdesk import-opml"));
}

#[test]
fn completions_and_man_page_cover_the_new_commands() {
    let bash = newsdesk(&["completions", "bash"]);
    assert!(bash.contains("complete -F _newsdesk"), "{bash}");
    assert!(bash.contains("import-opml"));
    let zsh = newsdesk(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef newsdesk"), "{zsh}");
    let fish = newsdesk(&["completions", "fish"]);
    assert!(fish.contains("complete -c newsdesk"), "{fish}");
    assert!(fish.contains("export-opml"));

    let man = newsdesk(&["man"]);
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH newsdesk 1"),
        "{man}"
    );
    assert!(man.contains(".TH newsdesk 1"), "{man}");
    assert!(man.contains("import\\-opml"), "{man}");

    let dir = tempfile::tempdir().unwrap();
    newsdesk(&["man", "--dir", dir.path().to_str().unwrap()]);
    for page in ["newsdesk.1", "newsdesk-init.1", "newsdesk-review-list.1"] {
        assert!(dir.path().join(page).is_file(), "{page}");
    }
    // Every page a page refers to ("newsdesk-poll(1)") is one --dir wrote:
    // newsdesk-help(1) was listed and never written.
    let mut pages = vec![man];
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        pages.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut referred = 0;
    for text in &pages {
        for (at, _) in text.match_indices("(1)") {
            let name: String = text[..at]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '\\')
                .collect::<Vec<char>>()
                .into_iter()
                .rev()
                .collect::<String>()
                .replace("\\-", "-");
            if name.starts_with("newsdesk") {
                referred += 1;
                assert!(
                    dir.path().join(format!("{name}.1")).is_file(),
                    "{name}(1) is listed but not written"
                );
            }
        }
    }
    assert!(referred > 10, "{referred} references");
}
