-- The editor's order of accepted items within their section: set when an
-- item is accepted (after every other), changed by moving it (the TUI's
-- K/J). Items accepted before this column existed have none and come
-- first, in the order they were decided.
ALTER TABLE candidates ADD COLUMN editor_order INTEGER;
CREATE INDEX candidates_by_editor_order ON candidates(editor_order) WHERE editor_order IS NOT NULL;
