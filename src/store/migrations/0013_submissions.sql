-- Links added by hand (`newsdesk add`). Their entries belong to a built-in
-- source that is never polled; who brought a story, and what they said of
-- it, is kept here: one row per submission, so two people bringing one
-- story are both credited.
INSERT OR IGNORE INTO sources (id, kind, url) VALUES ('submissions', 'submitted', 'newsdesk:submissions');

CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY,
    candidate_id  INTEGER NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    contributor   TEXT NOT NULL,
    comment       TEXT,
    submitted_at  TEXT NOT NULL
);
CREATE INDEX submissions_by_candidate ON submissions(candidate_id);
