//! `newsdesk init`: a new newsletter repository in a temp dir.

use std::path::Path;
use std::process::Command;

fn newsdesk() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("newsdesk").unwrap();
    cmd.env_remove("NEWSDESK_CONFIG").env_remove("NEWSDESK_DB");
    cmd
}

fn git_toplevel(dir: &Path) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[test]
fn init_scaffolds_a_repository_that_checks_ok() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("weekly");
    let output = newsdesk().arg("init").arg(&dir).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("created "), "{stdout}");
    assert!(stdout.contains("initialised a git repository"), "{stdout}");

    let feeds = std::fs::read_to_string(dir.join("feeds.toml")).unwrap();
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml")).unwrap();
    assert_eq!(
        feeds,
        shipped.replace(
            "# templates_dir = \"templates\"",
            "templates_dir = \"templates\""
        ),
        "the shipped example, commented, rendering with the scaffold's templates"
    );
    assert!(feeds.contains("database = \"newsdesk.db\""));
    // A Zenn repository: articles/ at the root, zenn-cli pinned, at the
    // version the real-client test checks drafts with.
    assert!(dir.join("articles/.gitkeep").is_file());
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    let tested: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/zenn/package.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(package["name"], "weekly");
    assert_eq!(
        package["devDependencies"]["zenn-cli"],
        tested["devDependencies"]["zenn-cli"]
    );
    let gitignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    for name in [
        "newsdesk.db",
        "newsdesk.db-wal",
        "newsdesk.db-shm",
        "node_modules/",
    ] {
        assert!(gitignore.lines().any(|l| l == name), "{gitignore}");
    }
    let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in [
        "templates/zenn.md.hbs",
        "templates/plain.md.hbs",
        "templates/partials/section.md.hbs",
        "templates/partials/item.md.hbs",
        "templates/partials/related.md.hbs",
        "templates/README.md",
    ] {
        assert_eq!(
            std::fs::read_to_string(dir.join(path)).unwrap(),
            std::fs::read_to_string(repository.join(path)).unwrap(),
            "{path}"
        );
    }
    let toplevel = git_toplevel(&dir).expect("a git repository");
    assert_eq!(
        Path::new(&toplevel).canonicalize().unwrap(),
        dir.canonicalize().unwrap()
    );

    let output = newsdesk()
        .arg("--config")
        .arg(dir.join("feeds.toml"))
        .arg("check")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains(": ok (10 sources"));

    // The editor's copy of the templates is the one in use: `check`
    // compiles it, and points at it when it breaks.
    let zenn = dir.join("templates/zenn.md.hbs");
    std::fs::write(&zenn, "{{#if newsletter}}\nunclosed\n").unwrap();
    let output = newsdesk()
        .arg("--config")
        .arg(dir.join("feeds.toml"))
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("zenn.md.hbs"), "{report}");
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    std::fs::write(dir.join(".gitignore"), "mine\n").unwrap();
    let output = newsdesk().arg("init").arg(dir).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not overwriting what exists; nothing was written")
            && stderr.contains(&dir.join(".gitignore").display().to_string()),
        "{stderr}"
    );
    assert!(
        !stderr.contains("feeds.toml"),
        "lists only what exists: {stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
        "mine\n"
    );
    assert!(!dir.join("feeds.toml").exists());
    assert!(!dir.join("articles").exists());
    assert!(!dir.join(".git").exists());
}

#[test]
fn init_inside_a_repository_does_not_nest_another() {
    let temp = tempfile::tempdir().unwrap();
    crate::git(temp.path(), &["init", "--quiet"]);
    let dir = temp.path().join("newsletter");
    let output = newsdesk()
        .current_dir(temp.path())
        .args(["init", "newsletter"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("already in a git repository"));
    assert!(dir.join("feeds.toml").is_file());
    assert!(!dir.join(".git").exists());
}
