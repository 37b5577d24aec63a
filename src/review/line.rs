//! The one-line editor of the filter and comment prompts: the readline
//! keys a shell user's fingers expect (Ctrl-A/E to the ends, Ctrl-W a word
//! back, Ctrl-K and Ctrl-U to the end and the start), arrows, Home/End.
//! Any other Ctrl chord is ignored: it never types its letter.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Mode};

/// The text being typed and the cursor in it (a char index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    chars: Vec<char>,
    cursor: usize,
}

/// What a key did to the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKey {
    Editing,
    Submit(String),
    Cancel,
}

impl LineInput {
    /// `text` with the cursor at its end.
    pub fn new(text: &str) -> LineInput {
        let chars: Vec<char> = text.chars().collect();
        LineInput {
            cursor: chars.len(),
            chars,
        }
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// The text before and after the cursor, to draw it between them.
    pub fn split(&self) -> (String, String) {
        (
            self.chars[..self.cursor].iter().collect(),
            self.chars[self.cursor..].iter().collect(),
        )
    }

    pub fn key(&mut self, key: KeyEvent) -> LineKey {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => return LineKey::Submit(self.text()),
            KeyCode::Esc => return LineKey::Cancel,
            KeyCode::Char('a') if control => self.cursor = 0,
            KeyCode::Char('e') if control => self.cursor = self.chars.len(),
            KeyCode::Char('b') if control => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Char('f') if control => self.cursor = (self.cursor + 1).min(self.chars.len()),
            KeyCode::Char('k') if control => self.chars.truncate(self.cursor),
            KeyCode::Char('u') if control => {
                self.chars.drain(..self.cursor);
                self.cursor = 0;
            }
            KeyCode::Char('w') if control => {
                let mut start = self.cursor;
                while start > 0 && self.chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !self.chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                self.chars.drain(start..self.cursor);
                self.cursor = start;
            }
            KeyCode::Char('h') if control => self.backspace(),
            KeyCode::Char('d') if control => self.delete(),
            KeyCode::Char(_) if control => {}
            KeyCode::Char(c) => {
                self.chars.insert(self.cursor, c);
                self.cursor += 1;
            }
            KeyCode::Backspace => self.backspace(),
            KeyCode::Delete => self.delete(),
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.chars.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.chars.len(),
            _ => {}
        }
        LineKey::Editing
    }

    fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            self.chars.remove(self.cursor);
        }
    }

    fn delete(&mut self) {
        if self.cursor < self.chars.len() {
            self.chars.remove(self.cursor);
        }
    }
}

/// One key of a prompt: `Some(text)` on Enter; Esc cancels; otherwise
/// the mode continues with the edited line.
pub(super) fn edit_line(
    key: KeyEvent,
    mut input: LineInput,
    again: impl FnOnce(LineInput) -> Mode,
    app: &mut App,
) -> Option<String> {
    match input.key(key) {
        LineKey::Submit(text) => Some(text),
        LineKey::Cancel => {
            app.message = Some("cancelled".into());
            None
        }
        LineKey::Editing => {
            app.mode = again(input);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(line: &mut LineInput, text: &str) {
        for c in text.chars() {
            line.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn readline_keys_move_and_cut_instead_of_typing_letters() {
        let mut line = LineInput::new("");
        typed(&mut line, "kubernetes gitops");
        line.key(ctrl('w'));
        assert_eq!(line.text(), "kubernetes ");
        line.key(ctrl('a'));
        typed(&mut line, "new ");
        assert_eq!(line.text(), "new kubernetes ");
        line.key(ctrl('k'));
        assert_eq!(line.text(), "new ");
        line.key(ctrl('e'));
        typed(&mut line, "eBPF");
        assert_eq!(line.split(), ("new eBPF".into(), String::new()));
        line.key(KeyEvent::new(KeyCode::Left, KeyModifiers::NONE));
        line.key(ctrl('u'));
        assert_eq!(line.split(), (String::new(), "F".into()));
        // Chords without a meaning here type nothing.
        for c in ['r', 'x', 'g'] {
            line.key(ctrl(c));
        }
        assert_eq!(line.text(), "F");
        line.key(ctrl('d'));
        assert_eq!(line.text(), "");
        typed(&mut line, "日本");
        line.key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        assert_eq!(
            line.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            LineKey::Submit("日".into())
        );
    }
}
