//! Opening a candidate's URL in the browser (xdg-open, detached) and
//! telling on the message line how it went: xdg-open reports "no browser"
//! only by its exit status, which arrives after the key.

use std::io::{self, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;

use super::app::App;

/// Opens `url` with xdg-open, detached: its output would garble the
/// screen. How it ended arrives on the channel (it exits 3 when it finds
/// no browser, which only its exit status says).
pub(super) fn open(url: &str) -> io::Result<mpsc::Receiver<io::Result<ExitStatus>>> {
    let mut child = Command::new("xdg-open")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let (tell, ended) = mpsc::channel();
    std::thread::spawn(move || tell.send(child.wait()));
    io::stdout().flush()?;
    Ok(ended)
}

impl App {
    /// Tells how opening `url` in the browser ended; on a failure the URL
    /// is shown whole at the end of the line, to copy by hand.
    pub fn opened(&mut self, url: &str, ended: std::io::Result<std::process::ExitStatus>) {
        let why = match ended {
            Ok(status) if status.success() => {
                self.message = Some(format!("opened {url}"));
                return;
            }
            // xdg-open's documented code for "no browser or opener found".
            Ok(status) if status.code() == Some(3) => {
                "xdg-open found no browser (set BROWSER)".to_owned()
            }
            Ok(status) => format!("xdg-open failed ({status})"),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                "xdg-open missing (install xdg-utils)".to_owned()
            }
            Err(err) => format!("cannot run xdg-open: {err}"),
        };
        self.message = Some(format!("not opened: {why}; the URL: {url}"));
    }
}
