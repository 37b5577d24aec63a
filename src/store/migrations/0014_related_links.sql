-- Links filed under a candidate (`newsdesk add --related-to`, the TUI's
-- "link under…"): shown as bullets under its item, never an item of their
-- own. `folded_id` is the candidate the link was before, when it was one
-- (folded in: rejected with a note, and left out of what ranking learns).
CREATE TABLE related_links (
    id            INTEGER PRIMARY KEY,
    candidate_id  INTEGER NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    title         TEXT NOT NULL,
    contributor   TEXT,
    folded_id     INTEGER REFERENCES candidates(id) ON DELETE SET NULL,
    added_at      TEXT NOT NULL,
    UNIQUE (candidate_id, url)
) STRICT;
CREATE INDEX related_links_folded ON related_links(folded_id) WHERE folded_id IS NOT NULL;
