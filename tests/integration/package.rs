//! The Debian package: built by `.ci/package` from the debug binary this
//! test run already has (no release build), then checked: file list
//! (`dpkg-deb -c`), conffile, no users created, `systemd-analyze verify`
//! of the packaged unit.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::skip;

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn debian_package_holds_binary_unit_config_and_templates() {
    if !runs("cargo", &["deb", "--version"]) {
        return skip("cargo-deb not installed (cargo install cargo-deb --locked; .ci/run does)");
    }
    if !runs("dpkg-deb", &["--version"]) {
        return skip("dpkg-deb not installed (apt-get install dpkg)");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("bash")
        .arg(root.join(".ci/package"))
        .args(["--profile", "dev"])
        .current_dir(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for path in [
        "./usr/bin/newsdesk",
        "./usr/lib/systemd/system/newsdesk.service",
        "./etc/newsdesk/feeds.toml",
        "./usr/share/newsdesk/templates/README.md",
        "./usr/share/man/man1/newsdesk.1.gz",
    ] {
        assert!(stdout.contains(path), "{path} not listed:\n{stdout}");
    }
    assert!(
        stdout.contains("conffiles: /etc/newsdesk/feeds.toml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("systemd-analyze verify: ok")
            || stdout.contains("skipped: systemd-analyze verify"),
        "{stdout}"
    );
    if stdout.contains("skipped: systemd-analyze") {
        skip("systemd-analyze verify (systemd-analyze not installed)");
    }
}
