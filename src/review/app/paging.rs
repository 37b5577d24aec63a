//! Moving through the queue: the selection and the pages read as it nears
//! the end (or all of them, for `G`).

use super::{App, PAGE};
use crate::store::StoreError;

impl App {
    pub(super) fn clamp(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Reads the next page when the selection nears the end of the rows.
    pub(super) fn load_more(&mut self) -> Result<(), StoreError> {
        if self.selected + 10 < self.rows.len() || self.rows.len() >= self.total {
            return Ok(());
        }
        let more = self.store.queue(&self.query(PAGE, self.rows.len()))?;
        for candidate in more {
            if !self.rows.iter().any(|c| c.id == candidate.id) {
                self.rows.push(candidate);
            }
        }
        Ok(())
    }

    /// Selects the last row, reading the pages not read yet.
    pub(super) fn select_last(&mut self) -> Result<(), StoreError> {
        if self.rows.len() < self.total {
            let rest = self
                .store
                .queue(&self.query(self.total - self.rows.len(), self.rows.len()))?;
            for candidate in rest {
                if !self.rows.iter().any(|c| c.id == candidate.id) {
                    self.rows.push(candidate);
                }
            }
        }
        self.selected = self.rows.len().saturating_sub(1);
        Ok(())
    }

    pub(super) fn move_by(&mut self, delta: isize) -> Result<(), StoreError> {
        self.selected = self.selected.saturating_add_signed(delta);
        self.load_more()?;
        self.clamp();
        Ok(())
    }
}
