//! `newsdesk review` on a terminal: the queue as a TUI (ratatui over
//! crossterm). The state and keys are in [`app`] (prompts in [`line`]),
//! drawing in [`ui`], the browser in `browser`; this
//! module owns the terminal: raw mode and the alternate screen, restored on
//! every exit path including a panic, suspended while $EDITOR runs.

pub mod app;
mod browser;
pub mod line;
pub mod ui;

#[cfg(test)]
mod issue_tests;
#[cfg(test)]
mod link_tests;
#[cfg(test)]
mod tests;

use std::io;
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

use crate::config::Config;
use crate::fetch::PoliteClient;
use crate::intake::{self, Request};
use crate::store::{Store, StoreError};
use app::{App, Effect};

/// How long to wait for a key before using the moment to re-score.
const IDLE: Duration = Duration::from_millis(250);

#[derive(Debug, Default, Clone, Copy)]
pub struct Options {
    /// Draw the first screen and exit (measures start-up).
    pub exit_after_first_frame: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot use the terminal")]
    Terminal(#[from] io::Error),
}

type Screen = Terminal<CrosstermBackend<io::Stdout>>;

fn enter() -> io::Result<Screen> {
    enable_raw_mode()?;
    // Cleared here rather than by Terminal::clear, which asks the terminal
    // where the cursor is: not every terminal answers.
    ratatui::crossterm::execute!(
        io::stdout(),
        EnterAlternateScreen,
        ratatui::crossterm::terminal::Clear(ratatui::crossterm::terminal::ClearType::All)
    )?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

fn leave() -> io::Result<()> {
    disable_raw_mode()?;
    ratatui::crossterm::execute!(
        io::stdout(),
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    )?;
    Ok(())
}

/// Runs the queue until the editor quits.
pub fn run(store: Store, config: &Config, options: Options) -> Result<(), TuiError> {
    let mut app = App::new(store, config, Utc::now())?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = leave();
        previous(info);
    }));
    let mut terminal = enter()?;
    let mut reader = LinkReader {
        config,
        client: None,
    };
    let outcome = event_loop(&mut terminal, &mut app, &mut reader, options);
    leave()?;
    outcome
}

fn event_loop(
    terminal: &mut Screen,
    app: &mut App,
    reader: &mut LinkReader,
    options: Options,
) -> Result<(), TuiError> {
    // The browser being started: how xdg-open ended is told when it ends.
    let mut opening: Option<(String, mpsc::Receiver<io::Result<ExitStatus>>)> = None;
    loop {
        if let Some((url, ended)) = &opening
            && let Ok(result) = ended.try_recv()
        {
            app.opened(url, result);
            opening = None;
        }
        terminal.draw(|frame| ui::draw(frame, app))?;
        if options.exit_after_first_frame {
            return Ok(());
        }
        if !event::poll(IDLE)? {
            app.now = Utc::now();
            if let Err(err) = app.idle() {
                app.message = Some(format!("error: {}", crate::errors::with_causes(&err)));
            }
            continue;
        }
        match event::read()? {
            Event::Key(key) if key.kind == KeyEventKind::Press => match app.handle_key(key) {
                Effect::None => {}
                Effect::Quit => return Ok(()),
                Effect::EditNote { id, note } => {
                    leave()?;
                    let edited = edit_in_editor(id, &note);
                    *terminal = enter()?;
                    match edited {
                        Ok(Some(text)) => {
                            if let Err(err) = app.save_note(id, &text) {
                                app.message =
                                    Some(format!("error: {}", crate::errors::with_causes(&err)));
                            }
                        }
                        Ok(None) => app.message = Some("comment unchanged".into()),
                        Err(err) => app.message = Some(format!("editor: {err}")),
                    }
                }
                Effect::ReadLink { under, url } => {
                    app.message = Some(format!("reading {url}…"));
                    terminal.draw(|frame| ui::draw(frame, app))?;
                    // The message line has room for the reason, not the help.
                    let first_line = |err: String| err.lines().next().unwrap_or("").to_owned();
                    let filed = reader
                        .read(&url)
                        .map_err(|err| first_line(err.to_string()))
                        .and_then(|(title, url)| {
                            app.file_link(under, &title, &url)
                                .map_err(|err| crate::errors::with_causes(&err))
                        });
                    if let Err(err) = filed {
                        app.message = Some(format!("not linked: {url}: {err}"));
                    }
                }
                Effect::Open(url) => match browser::open(&url) {
                    Ok(ended) => {
                        app.message = Some(format!("opening {url} …"));
                        opening = Some((url, ended));
                    }
                    Err(err) => app.opened(&url, Err(err)),
                },
            },
            // Resizes redraw on the next turn of the loop.
            _ => {}
        }
    }
}

/// Reads the pages of links filed with `l`, as `newsdesk add` reads them
/// (the polite client, the private-address rules); the client is made
/// when first needed.
struct LinkReader<'a> {
    config: &'a Config,
    client: Option<(PoliteClient, tokio::runtime::Runtime)>,
}

impl LinkReader<'_> {
    /// The page's title and canonical URL.
    fn read(&mut self, url: &str) -> Result<(String, String), Box<dyn std::error::Error>> {
        if self.client.is_none() {
            let client = PoliteClient::new(self.config)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            self.client = Some((client, runtime));
        }
        let (client, runtime) = self.client.as_ref().expect("made above");
        let request = Request {
            url,
            note: None,
            section: None,
            contributor: "",
            force: false,
            accept: false,
            title: None,
            related_to: None,
        };
        let entry = runtime.block_on(intake::read_page(client, &request))?;
        let canonical = entry.canonical_url.unwrap_or_else(|| url.to_owned());
        Ok((entry.title, canonical))
    }
}

/// Runs $EDITOR on a temporary file holding `note`; `None` when the editor
/// failed or left the text as it was.
fn edit_in_editor(id: crate::ids::CandidateId, note: &str) -> io::Result<Option<String>> {
    let editor = std::env::var("EDITOR").unwrap_or_else(|_| "vi".into());
    let path =
        std::env::temp_dir().join(format!("newsdesk-comment-{}-{id}.md", std::process::id()));
    std::fs::write(&path, note)?;
    // Through the shell: EDITOR may carry arguments ("code --wait").
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status();
    let text = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    let status = status?;
    if !status.success() {
        return Err(io::Error::other(format!("{editor} exited with {status}")));
    }
    let text = text?;
    Ok((text.trim() != note.trim()).then_some(text))
}
