//! The keys that shape the issue rather than decide a candidate: a section
//! of this issue only (`+` in the section chooser) and the editor's order
//! within a section (`K`/`J`).

use super::App;
use crate::store::{Status, StoreError};

impl App {
    /// Accepts the selected candidate into a new section of this issue only,
    /// "EMOJI TITLE" (without an emoji: 📌), after section `after`.
    pub(super) fn accept_into_new_section(
        &mut self,
        input: &str,
        after: usize,
    ) -> Result<(), StoreError> {
        let input = input.trim();
        let (emoji, title) = match input.split_once(' ') {
            Some((first, rest)) if crate::config::is_one_emoji(first) => (first, rest.trim()),
            _ => ("📌", input),
        };
        if title.is_empty() {
            self.message = Some("a new section needs a title: not accepted".into());
            return Ok(());
        }
        let after_id = self.sections.get(after).map(|(id, _)| id.clone());
        let section = self
            .store
            .add_one_off_section(title, emoji, after_id.as_deref())?;
        if !self.sections.iter().any(|(id, _)| *id == section.id) {
            self.sections
                .push((section.id.clone(), format!("{emoji} {title} (this issue)")));
        }
        self.decide(Status::Accepted, Some(&section.id))
    }

    /// Moves the selected accepted candidate in its section's draft order.
    pub(super) fn move_in_section(&mut self, by: isize) -> Result<(), StoreError> {
        let Some(candidate) = self.selected() else {
            return Ok(());
        };
        let (id, section) = (candidate.id, candidate.section.clone().unwrap_or_default());
        self.message = Some(match self.store.move_accepted(id, by)? {
            Some((place, count)) => format!("#{id} is now {place} of {count} in {section}"),
            None => format!("#{id} is not accepted: K/J order the accepted items of a section"),
        });
        Ok(())
    }
}
