//! The `/submit` page in a real browser: Debian's chromium, headless,
//! driven over WebDriver by chromedriver, against the real daemon.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::daemon::{Daemon, free_port, wait_until};
use crate::skip;
use crate::submissions::{add_contributor, listening_desk, pages, percent, wait_listening};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a loopback port, stopped with the test.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { child, port };
    wait_until(Duration::from_secs(30), "chromedriver to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    driver
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                // The test runs as root in CI, where chromium's sandbox cannot start.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with headless chromium")
}

/// The text of `#result` once it says more than "Sending…" (fantoccini
/// waits for the element to match).
async fn result_text(client: &Client) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::XPath(
            "//*[@id='result'][normalize-space() != '' and normalize-space() != 'Sending…']",
        ))
        .await
        .expect("no answer shown within 60 s")
        .text()
        .await
        .unwrap()
}

/// Types `text` into the field with this id.
async fn fill(client: &Client, id: &str, text: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(client: &Client, locator: Locator<'_>) {
    client.find(locator).await.unwrap().click().await.unwrap();
}

async fn value_of(client: &Client, id: &str) -> String {
    let field = client.find(Locator::Id(id)).await.unwrap();
    field.prop("value").await.unwrap().unwrap_or_default()
}

#[test]
fn the_submit_page_queues_a_link_from_a_real_browser_and_the_bookmarklet_url_prefills_it() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        skip(
            "no /usr/bin/chromium or /usr/bin/chromedriver (apt-get install chromium chromium-driver)",
        );
        return;
    }
    let site = pages();
    let (desk, port) = listening_desk("");
    let token = add_contributor(&desk, "erin");
    let daemon = Daemon::start(&desk, &[]);
    wait_listening(&daemon, port);
    let driver = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let page = format!("http://127.0.0.1:{port}/submit");
    let link = site.url("/page/5");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = browser(&driver, profile.path()).await;
        client.goto(&page).await.unwrap();
        fill(&client, "token", &token).await;
        fill(&client, "url", &link).await;
        fill(&client, "note", "From the <browser> & team").await;
        click(&client, Locator::Css("#section option[value=\"releases\"]")).await;
        click(&client, Locator::Id("send")).await;
        let shown = result_text(&client).await;
        assert_eq!(shown, "queued as #1: Page 5");

        let bookmarklet = client.find(Locator::Id("bookmarklet")).await.unwrap();
        let href = bookmarklet.attr("href").await.unwrap().unwrap();
        assert!(href.starts_with("javascript:"), "{href}");
        assert!(href.contains(&format!("\"{page}?url=\"")), "{href}");

        // Where the bookmarklet leads, from a page whose title is markup.
        let title = "<img src=x onerror=alert(1)> Page 5 & more";
        client
            .goto(&format!(
                "{page}?url={}&title={}",
                percent(&link),
                percent(title)
            ))
            .await
            .unwrap();
        assert_eq!(value_of(&client, "url").await, link);
        assert_eq!(value_of(&client, "title").await, title);
        assert_eq!(
            value_of(&client, "token").await,
            token,
            "remembered in localStorage"
        );
        assert!(
            client
                .find_all(Locator::Css("img"))
                .await
                .unwrap()
                .is_empty()
        );
        click(&client, Locator::Id("send")).await;
        let again = result_text(&client).await;
        assert!(again.starts_with("already queued as #1"), "{again}");
        client.close().await.unwrap();
    });

    let (section, contributors): (String, String) = desk
        .sqlite()
        .query_row(
            "SELECT c.section, group_concat(s.contributor || ': ' || coalesce(s.comment, '-'), ' | ')
             FROM candidates c JOIN submissions s ON s.candidate_id = c.id WHERE c.id = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(section, "releases");
    assert_eq!(contributors, "erin: From the <browser> & team | erin: -");
    assert!(!daemon.log().contains(&token));
}
