//! Input without bounds: templates that never end, durations past the
//! calendar, dates in the far future, titles of a megabyte.

use crate::Desk;

fn with_newsletter_lines(desk: &Desk, lines: &str) {
    let text = std::fs::read_to_string(desk.config()).unwrap().replacen(
        "title = \"Test Weekly\"\n",
        &format!("title = \"Test Weekly\"\n{lines}"),
        1,
    );
    std::fs::write(desk.config(), text).unwrap();
}

#[test]
fn mutually_recursive_partials_are_refused_by_check_and_draft() {
    let desk = Desk::new("");
    let partials = desk.dir.path().join("templates/partials");
    std::fs::create_dir_all(&partials).unwrap();
    std::fs::write(
        partials.join("section.md.hbs"),
        "## {{title}}\n{{#each items}}{{> item}}{{/each}}\n",
    )
    .unwrap();
    std::fs::write(
        partials.join("item.md.hbs"),
        "### {{title}}\n{{> section}}\n",
    )
    .unwrap();
    with_newsletter_lines(&desk, "templates_dir = \"templates\"\n");
    for command in ["check", "draft"] {
        let output = desk.cmd().arg(command).output().unwrap();
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command}: {said}");
        assert!(
            said.contains("partials call each other in a loop"),
            "{command}: {said}"
        );
        assert!(said.contains("item → section → item"), "{command}: {said}");
    }
}

#[test]
fn an_interval_of_a_hundred_billion_days_is_refused_with_the_range() {
    let desk = Desk::new("");
    let text = std::fs::read_to_string(desk.config()).unwrap().replace(
        "timeout = \"3s\"",
        "timeout = \"3s\"\ninterval = \"100000000000d\"\nmax_body_size = \"5TB\"",
    );
    std::fs::write(desk.config(), text).unwrap();
    let output = desk.cmd().arg("check").output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(
        said.contains("`interval` = \"100000000000d\" is too long"),
        "{said}"
    );
    assert!(
        said.contains("durations go from above zero up to 366d"),
        "{said}"
    );
    assert!(said.contains("sizes go from 1B up to 1.0 GiB"), "{said}");
}
