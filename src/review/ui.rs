//! Drawing the queue: a list pane, a detail pane, a message line and the
//! keys. Widths are display widths (a Japanese character takes two
//! columns), so wide titles are cut without breaking the columns. Without
//! colour (NO_COLOR) only bold and reverse video mark things.

use chrono::DateTime;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::app::{App, Mode};
use crate::source::SourceKind;
use crate::store::Status;

/// Smallest screen the layout is drawn on; smaller ones get a note.
const MIN_WIDTH: u16 = 40;
const MIN_HEIGHT: u16 = 10;

/// The footer: each key marked inside its word, so all fit in 80 columns.
const KEYS: &[(&str, &str)] = &[
    ("j/k", " move"),
    ("a", "ccept"),
    ("r", "eject"),
    ("d", "efer"),
    ("u", "ndo"),
    ("n", "ote"),
    ("o", "pen"),
    ("/", "filter"),
    ("s", "tatus"),
    ("R", "efresh"),
    ("?", "help"),
    ("q", "uit"),
];

const HELP: &[(&str, &str)] = &[
    ("j k ↓ ↑", "move (PgDn/PgUp/space/^F/^B ten, ^D/^U five)"),
    ("g G", "to the top, to the end (Home, End)"),
    (
        "a",
        "accept: choose the section (j/k, 1-9), Enter; + makes one for this issue",
    ),
    ("r", "reject"),
    ("d", "defer"),
    ("u", "undo the last decision or comment"),
    (
        "K J",
        "accepted: move up / down in its section's draft order",
    ),
    ("n", "comment: $EDITOR, or inline when unset"),
    (
        "l",
        "link under this one: a URL, or a candidate id (folded in)",
    ),
    ("o", "open the URL in the browser (xdg-open)"),
    ("/", "filter by text in title or summary"),
    ("s", "show new/accepted/drafted/deferred/rejected"),
    ("R", "refresh: new candidates, fresh order"),
    ("q", "quit (every decision is already saved)"),
];

/// Styles with or without colour.
struct Theme {
    color: bool,
}

impl Theme {
    fn key(&self) -> Style {
        let style = Style::new().add_modifier(Modifier::BOLD);
        if self.color {
            style.fg(Color::Cyan)
        } else {
            style
        }
    }

    fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    fn status(&self, status: Status) -> Style {
        if !self.color {
            return Style::new().add_modifier(Modifier::BOLD);
        }
        match status {
            Status::Accepted | Status::Drafted => Style::new().fg(Color::Green),
            Status::Rejected => Style::new().fg(Color::Red),
            Status::Deferred => Style::new().fg(Color::Yellow),
            Status::New => Style::new().fg(Color::Cyan),
        }
    }
}

/// `text` cut to `width` display columns, with an ellipsis when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// "3h", "2d", "5w", "in 4d" (sessions to come).
fn age(app: &App, published: &str) -> String {
    let Ok(at) = DateTime::parse_from_rfc3339(published) else {
        return "?".into();
    };
    let hours = (app.now - at.to_utc()).num_hours();
    let (prefix, hours) = if hours < 0 {
        ("+", -hours)
    } else {
        ("", hours)
    };
    let span = match hours {
        0..48 => format!("{hours}h"),
        48..1344 => format!("{}d", hours / 24),
        _ => format!("{}w", hours / 168),
    };
    format!("{prefix}{span}")
}

pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        frame.render_widget(
            Paragraph::new(format!(
                "terminal too small ({}×{}); make it at least 80×24, or press q",
                area.width, area.height
            ))
            .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let theme = Theme { color: app.color };
    let [header, list, detail, message, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Percentage(45),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, app, header);
    draw_list(frame, app, &theme, list);
    draw_detail(frame, app, &theme, detail);
    draw_message(frame, app, message);
    let mut keys = Vec::new();
    for (key, after) in KEYS {
        keys.push(Span::styled(*key, theme.key()));
        keys.push(Span::raw(format!("{after} ")));
    }
    frame.render_widget(Paragraph::new(Line::from(keys)), footer);
    match app.mode.clone() {
        Mode::Section { choice } => draw_sections(frame, app, &theme, choice),
        Mode::Help => draw_help(frame, &theme),
        _ => {}
    }
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let mut text = format!(
        " newsdesk review · {} · {} of {}",
        app.status.as_str(),
        if app.rows.is_empty() {
            0
        } else {
            app.selected + 1
        },
        app.total
    );
    if let Some(filter) = &app.text {
        text.push_str(&format!(" · filter \"{filter}\""));
    }
    match app.quiet_sources {
        0 => {}
        1 => text.push_str(" · 1 source quiet (newsdesk sources)"),
        n => text.push_str(&format!(" · {n} sources quiet (newsdesk sources)")),
    }
    let text = fit(&text, area.width as usize);
    frame.render_widget(
        Paragraph::new(text).style(Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)),
        area,
    );
}

fn draw_list(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    const SCORE: u16 = 5;
    const AGE: u16 = 4;
    const SECTION: u16 = 10;
    const SOURCE: u16 = 14;
    let title_width = area
        .width
        .saturating_sub(SCORE + AGE + SECTION + SOURCE + 4) as usize;
    let rows: Vec<Row> = app
        .rows
        .iter()
        .map(|c| {
            // The count of other feeds stays whole; the id gives way.
            let sources = match c.seen_in.len() {
                0 | 1 => fit(&c.source.to_string(), SOURCE as usize),
                n => {
                    let more = format!(" +{}", n - 1);
                    let id = fit(&c.source.to_string(), SOURCE as usize - more.len());
                    format!("{id}{more}")
                }
            };
            Row::new(vec![
                Cell::from(format!("{:>5.1}", c.score)),
                Cell::from(format!("{:>4}", age(app, &c.published))),
                Cell::from(fit(c.section.as_deref().unwrap_or("-"), SECTION as usize)),
                Cell::from(sources),
                Cell::from(fit(&c.title, title_width)),
            ])
        })
        .collect();
    let header = Row::new(["SCORE", " AGE", "SECTION", "SOURCE", "TITLE"])
        .style(Style::new().add_modifier(Modifier::BOLD));
    let table = Table::new(
        rows,
        [
            Constraint::Length(SCORE),
            Constraint::Length(AGE),
            Constraint::Length(SECTION),
            Constraint::Length(SOURCE),
            Constraint::Fill(1),
        ],
    )
    .header(header)
    .column_spacing(1)
    .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::new().with_selected((!app.rows.is_empty()).then_some(app.selected));
    if app.rows.is_empty() {
        let empty = match &app.text {
            Some(_) => "nothing matches the filter (/ then Enter on empty clears it)",
            None => "nothing here: R refreshes, s shows another status; newsdesk poll fetches",
        };
        frame.render_widget(Paragraph::new(empty).style(theme.dim()), area);
        return;
    }
    frame.render_stateful_widget(table, area, &mut state);
}

fn draw_detail(frame: &mut Frame, app: &mut App, theme: &Theme, area: Rect) {
    let block = Block::new().borders(Borders::TOP).style(Style::new());
    let Some(candidate) = app.selected().cloned() else {
        frame.render_widget(block, area);
        return;
    };
    let block = block.title(format!(" #{} ", candidate.id));
    let (kind, sightings) = match app.detail() {
        Some(detail) => (detail.kind, detail.sightings.clone()),
        None => (None, Vec::new()),
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled(candidate.title.clone(), bold)];
    lines.push(Line::from(
        candidate.url.clone().unwrap_or_else(|| "(no URL)".into()),
    ));
    let mut facts = vec![
        Span::styled(candidate.status.as_str(), theme.status(candidate.status)),
        Span::raw(format!(
            " · {} · published {} · score {:.2}",
            candidate.section.as_deref().unwrap_or("no section"),
            candidate
                .published
                .get(..10)
                .unwrap_or(&candidate.published),
            candidate.score
        )),
    ];
    if let Some(decided) = &candidate.decided_at {
        facts.push(Span::raw(format!(
            " · decided {}",
            decided.get(..10).unwrap_or(decided)
        )));
    }
    lines.push(Line::from(facts));
    if let Some(note) = &candidate.note {
        // A comment written in $EDITOR keeps its lines.
        for (i, text) in note.lines().enumerate() {
            let label = if i == 0 { "Comment: " } else { "         " };
            lines.push(Line::from(vec![
                Span::styled(label, bold),
                Span::raw(text.to_owned()),
            ]));
        }
    }
    if let Some(session) = &candidate.session {
        lines.push(Line::from(vec![
            Span::styled("Session: ", bold),
            Span::raw(session.to_string()),
        ]));
    }
    if !candidate.submitted_by.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("By: ", bold),
            Span::raw(candidate.submitted_by.join(", ")),
        ]));
    }
    for link in &candidate.related {
        lines.push(Line::from(vec![
            Span::styled("Related: ", bold),
            Span::raw(format!("{} ", link.title)),
            Span::styled(link.url.clone(), theme.dim()),
        ]));
    }
    // The summary gets what the other lines leave, so the first places it
    // was seen stay in view (at least two lines of it).
    let width = area.width.max(1) as usize;
    let taken: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(width).max(1))
        .sum::<usize>()
        + 2
        + sightings.len().min(3);
    let summary_lines = (area.height as usize).saturating_sub(1 + taken).max(2);
    if let Some(summary) = &candidate.summary {
        let label = match kind {
            _ if candidate.session.is_some() => "About: ",
            Some(SourceKind::GithubReleases) => "Release notes: ",
            _ => "Summary: ",
        };
        // Words wrap short of the edge: leave a few columns a line.
        let budget = (summary_lines * width.saturating_sub(8)).saturating_sub(label.width());
        lines.push(Line::from(vec![
            Span::styled(label, bold),
            Span::raw(fit(summary, budget)),
        ]));
    }
    lines.push(Line::styled(
        format!("Seen at ({}):", sightings.len()),
        bold,
    ));
    for sighting in &sightings {
        let mut spans = vec![Span::raw(format!(
            "  {} {}",
            sighting.source,
            sighting.url.as_deref().unwrap_or("-")
        ))];
        if let Some(reason) = &sighting.reason {
            spans.push(Span::styled(format!(" — {reason}"), theme.dim()));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn draw_message(frame: &mut Frame, app: &App, area: Rect) {
    let line = match &app.mode {
        Mode::Filter { input } => {
            let (before, after) = input.split();
            let now = match &app.text {
                Some(text) => format!("Enter filters; empty clears \"{text}\""),
                None => "Enter filters".into(),
            };
            format!("/{before}▏{after} ({now}, Esc cancels)")
        }
        Mode::Note { input } => {
            let (before, after) = input.split();
            format!("comment: {before}▏{after} (Enter saves, Esc cancels)")
        }
        Mode::Link { input } => {
            let (before, after) = input.split();
            format!("link under this one (URL or #id): {before}▏{after} (Enter links, Esc cancels)")
        }
        Mode::Section { .. } => {
            "accept into which section? j/k, Enter; + a new one; Esc cancels".into()
        }
        Mode::NewSection { input, .. } => {
            let (before, after) = input.split();
            format!("new section (emoji, title): {before}▏{after} (Enter accepts, Esc cancels)")
        }
        _ => app.message.clone().unwrap_or_default(),
    };
    // Keep the end of what is being typed in view.
    let width = area.width as usize;
    let line = if line.width() > width {
        let mut tail: Vec<char> = Vec::new();
        let mut used = 1;
        for c in line.chars().rev() {
            used += c.width().unwrap_or(0);
            if used > width {
                break;
            }
            tail.push(c);
        }
        std::iter::once('…').chain(tail.into_iter().rev()).collect()
    } else {
        line
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A box of `width` × `height` in the middle of `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn draw_sections(frame: &mut Frame, app: &App, theme: &Theme, choice: usize) {
    let lines: Vec<Line> = app
        .sections
        .iter()
        .enumerate()
        .map(|(i, (id, title))| {
            let text = format!(" {} {id} — {title} ", i + 1);
            if i == choice {
                Line::styled(text, Style::new().add_modifier(Modifier::REVERSED))
            } else {
                Line::from(text)
            }
        })
        .collect();
    let width = lines.iter().map(Line::width).max().unwrap_or(10) as u16 + 2;
    let area = centered(frame.area(), width.max(30), lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" accept into section ")
                .border_style(theme.key()),
        ),
        area,
    );
}

fn draw_help(frame: &mut Frame, theme: &Theme) {
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!(" {key:<8}"), theme.key()),
                Span::raw(format!(" {what}")),
            ])
        })
        .chain(std::iter::once(Line::from(" any key closes this")))
        .collect();
    let area = centered(frame.area(), 66, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" keys ")),
        area,
    );
}
