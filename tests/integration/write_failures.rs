//! The writer's drills: the database stops taking writes under a running
//! daemon — the file made immutable, the write lock held by another
//! process past the busy timeout, the disk full. Each time `/healthz`
//! must answer 503 with the reason, STATUS must say it, the watchdog must
//! stop being fed, and once the cause is gone polling must resume by
//! itself with no poll lost.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::daemon::{
    Daemon, fast_desk, free_port, http_get, integrity_ok, requests_to, wait_until,
};
use crate::server::{Reply, TestServer};
use crate::{Desk, fixture, skip, source};

/// `/healthz`: its status code and body.
fn healthz(port: u16) -> (u16, String) {
    http_get(port, "/healthz")
}

/// A daemon polling one feed every second, serving /healthz, with its
/// watchdog asking for a ping every half second.
struct Drill {
    server: TestServer,
    desk: Desk,
    daemon: Daemon,
    port: u16,
    db: PathBuf,
}

impl Drill {
    /// `db`: where the database lives (`None`: beside feeds.toml).
    fn start(db: Option<&Path>) -> Drill {
        Drill::start_giving_up_after(db, "10m")
    }

    fn start_giving_up_after(db: Option<&Path>, give_up_after: &str) -> Drill {
        let feed = fixture("written/kubernetes-blog.xml");
        let server = TestServer::start(move |_| Reply::ok(feed.clone(), "application/rss+xml"));
        let port = free_port();
        let desk = fast_desk(
            &source("steady", &server.url("/feed"), "articles"),
            &format!(
                "[daemon]\nlisten = \"127.0.0.1:{port}\"\ngrace_period = \"5s\"\nwriter_give_up_after = \"{give_up_after}\"\n"
            ),
        );
        let db = db.map_or_else(|| desk.db(), Path::to_path_buf);
        let db_text = db.display().to_string();
        let daemon = Daemon::start(
            &desk,
            &[
                ("WATCHDOG_USEC", "1000000"),
                ("NEWSDESK_DB", db_text.as_str()),
            ],
        );
        daemon.wait_for_notification("READY=1", Duration::from_secs(20));
        let drill = Drill {
            server,
            desk,
            daemon,
            port,
            db,
        };
        wait_until(Duration::from_secs(20), "the first recorded poll", || {
            drill.recorded_polls() >= 1
        });
        drill
    }

    fn recorded_polls(&self) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.busy_timeout(Duration::from_secs(30)).unwrap();
        conn.query_row("SELECT COUNT(*) FROM fetch_log", [], |row| row.get(0))
            .unwrap()
    }

    /// Waits until the daemon says it is unhealthy because of `reason`,
    /// everywhere it says so; checks the watchdog is not fed meanwhile.
    fn expect_unhealthy(&self, reason: &str) {
        let broken = std::time::Instant::now();
        let mut body = String::new();
        wait_until(Duration::from_secs(60), "/healthz to answer 503", || {
            let (status, text) = healthz(self.port);
            body = text;
            status == 503
        });
        assert!(body.contains(reason), "{body}");
        eprintln!(
            "503 after {:.1} s: {}",
            broken.elapsed().as_secs_f64(),
            body.trim()
        );
        let status = self
            .daemon
            .wait_for_notification("STATUS=unhealthy", Duration::from_secs(10));
        assert!(status.contains(reason), "{status}");
        // Two more health checks go by without a watchdog ping.
        let pings = self.daemon.count_notifications("WATCHDOG=1");
        let unhealthy = self.daemon.count_notifications("STATUS=unhealthy");
        wait_until(Duration::from_secs(10), "two more health checks", || {
            self.daemon.count_notifications("STATUS=unhealthy") >= unhealthy + 2
        });
        assert_eq!(
            self.daemon.count_notifications("WATCHDOG=1"),
            pings,
            "the watchdog was fed while unhealthy"
        );
        assert!(
            self.daemon.log().contains("cannot write to the database"),
            "{}",
            self.daemon.log()
        );
    }

    /// Waits until the daemon is healthy and polls are recorded again,
    /// stops it, and checks every poll the server answered was recorded.
    fn expect_recovery(mut self) {
        let mended = std::time::Instant::now();
        wait_until(Duration::from_secs(30), "/healthz to answer 200", || {
            healthz(self.port).0 == 200
        });
        let healthy_after = mended.elapsed();
        let recorded = self.recorded_polls();
        wait_until(Duration::from_secs(20), "polling to resume", || {
            self.recorded_polls() >= recorded + 2
        });
        eprintln!(
            "cause cleared: 200 after {:.1} s, two more polls recorded after {:.1} s",
            healthy_after.as_secs_f64(),
            mended.elapsed().as_secs_f64()
        );
        assert!(
            self.daemon.log().contains("database writes work again"),
            "{}",
            self.daemon.log()
        );
        self.daemon.signal("TERM");
        let status = self.daemon.wait_exit(Duration::from_secs(20));
        assert!(status.success(), "{status}\n{}", self.daemon.log());
        assert_eq!(
            self.recorded_polls() as usize,
            requests_to(&self.server, "/feed"),
            "a poll the server answered was not recorded\n{}",
            self.daemon.log()
        );
        integrity_ok(&self.db);
        drop(self.desk);
    }
}

fn chattr(flag: &str, files: &[PathBuf]) -> Result<(), String> {
    let output = Command::new("chattr")
        .arg(flag)
        .args(files)
        .output()
        .map_err(|e| format!("chattr: {e}"))?;
    match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
    }
}

#[test]
fn an_immutable_database_file_makes_the_daemon_unhealthy_until_it_is_writable_again() {
    let drill = Drill::start(None);
    let files = match make_immutable(&drill) {
        Ok(files) => files,
        Err(why) => return skip(&why),
    };
    drill.expect_unhealthy("database writes failing");
    files.release();
    drill.expect_recovery();
}

/// Files made immutable, writable again when dropped (a failed test must
/// not leave files its temp dir cannot remove).
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn release(&self) {
        chattr("-i", &self.0).unwrap();
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = chattr("-i", &self.0);
    }
}

/// The database files of `drill`, made immutable (or why that cannot be
/// done here).
fn make_immutable(drill: &Drill) -> Result<Immutable, String> {
    let mut wal = drill.db.clone().into_os_string();
    wal.push("-wal");
    let files = vec![drill.db.clone(), PathBuf::from(wal)];
    chattr("+i", &files)
        .map_err(|why| format!("chattr +i needs root and a filesystem with attributes: {why}"))?;
    Ok(Immutable(files))
}

#[test]
fn writes_failing_longer_than_writer_give_up_after_make_the_daemon_exit_non_zero() {
    let mut drill = Drill::start_giving_up_after(None, "2s");
    let files = match make_immutable(&drill) {
        Ok(files) => files,
        Err(why) => return skip(&why),
    };
    let status = drill.daemon.wait_exit(Duration::from_secs(60));
    files.release();
    assert_eq!(status.code(), Some(1), "{}", drill.daemon.log());
    let log = drill.daemon.log();
    assert!(
        log.contains("error: cannot write to the database for")
            && log.contains("polls not recorded (they are fetched again at the next start)"),
        "{log}"
    );
}

#[test]
fn sigterm_while_writes_fail_stops_the_daemon_within_the_grace_period() {
    let mut drill = Drill::start(None);
    let files = match make_immutable(&drill) {
        Ok(files) => files,
        Err(why) => return skip(&why),
    };
    drill.expect_unhealthy("database writes failing");
    drill.daemon.signal("TERM");
    // grace_period 5 s, and a little for the last attempt.
    let status = drill.daemon.wait_exit(Duration::from_secs(20));
    files.release();
    assert_eq!(status.code(), Some(1), "{}", drill.daemon.log());
    assert!(
        drill.daemon.log().contains("polls not recorded"),
        "{}",
        drill.daemon.log()
    );
}

#[test]
fn a_write_lock_held_past_the_busy_timeout_makes_the_daemon_unhealthy_until_it_is_released() {
    let drill = Drill::start(None);
    let holder = rusqlite::Connection::open(&drill.db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    drill.expect_unhealthy("database is locked");
    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    drill.expect_recovery();
}

/// A 2 MB tmpfs, unmounted when dropped.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount() -> Result<SmallDisk, String> {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m", "newsdesk-drill"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        match output.status.success() {
            true => Ok(SmallDisk(dir)),
            false => Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
        }
    }

    /// Writes zeros into `filler` until the disk is full.
    fn fill(&self) -> PathBuf {
        let filler = self.0.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        for size in [64 * 1024, 512, 1] {
            let block = vec![0u8; size];
            loop {
                match file.write(&block) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(err) if err.kind() == std::io::ErrorKind::StorageFull => break,
                    Err(err) => panic!("filling the disk: {err}"),
                }
            }
        }
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_makes_the_daemon_unhealthy_until_there_is_room_again() {
    let disk = match SmallDisk::mount() {
        Ok(disk) => disk,
        Err(why) => return skip(&format!("mounting a 2 MB tmpfs needs root: {why}")),
    };
    let db = disk.0.path().join("newsdesk.db");
    let drill = Drill::start(Some(&db));
    let filler = disk.fill();
    drill.expect_unhealthy("database writes failing");
    std::fs::remove_file(filler).unwrap();
    drill.expect_recovery();
    drop(disk);
}

/// `git clean -fdx` deletes the database (`.gitignore` lists it): the
/// daemon must not go on writing into a file no one can open again.
#[test]
fn the_database_deleted_under_the_daemon_stops_it_with_a_clear_error() {
    let mut drill = Drill::start(None);
    for suffix in ["", "-wal", "-shm"] {
        let mut file = drill.db.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    let status = drill.daemon.wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(1), "{}", drill.daemon.log());
    let log = drill.daemon.log();
    assert!(
        log.contains("was deleted or replaced while the daemon ran")
            && log.contains("restore it from a backup"),
        "{log}"
    );
}

/// Two daemons on one database would keep two title indexes and split
/// stories the other one holds.
#[test]
fn a_second_daemon_on_the_same_database_is_refused() {
    let drill = Drill::start(None);
    let output = drill
        .desk
        .cmd()
        .env("NEWSDESK_DB", &drill.db)
        .arg("daemon")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "another newsdesk daemon (pid {}) is running on the database",
            drill.daemon.child.id()
        )),
        "{stderr}"
    );
}
