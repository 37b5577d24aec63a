//! The clock under the daemon: next polls decided while the clock was
//! ahead (corrected since, or stepped back under a running daemon) must
//! not keep sources silent for as long as the clock was off.

use std::time::Duration;

use crate::daemon::{Daemon, fast_desk, requests_to, wait_until};
use crate::server::{Reply, TestServer};
use crate::{fixture, source};

#[test]
fn a_next_poll_stored_with_the_clock_a_year_ahead_is_polled_now_with_a_warning() {
    let feed = fixture("written/kubernetes-blog.xml");
    let server = TestServer::start(move |_| Reply::ok(feed.clone(), "application/rss+xml"));
    let desk = fast_desk(&source("steady", &server.url("/feed"), "articles"), "");
    desk.ok(&["poll"]);
    assert_eq!(requests_to(&server, "/feed"), 1);
    // What a poll run with the clock a year ahead leaves behind.
    let ahead = (chrono::Utc::now() + chrono::Duration::days(365))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    desk.sqlite()
        .execute("UPDATE sources SET next_poll_at = ?1", [&ahead])
        .unwrap();

    let daemon = Daemon::start(&desk, &[]);
    wait_until(
        Duration::from_secs(20),
        "the source to be polled again",
        || requests_to(&server, "/feed") >= 2,
    );
    let log = daemon.log();
    assert!(
        log.contains("next poll further out than the schedule allows")
            && log.contains("source=steady"),
        "{log}"
    );
}
