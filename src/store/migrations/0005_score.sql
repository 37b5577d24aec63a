-- Stored ranking scores, so the queue can be read a page at a time, best
-- first, without scoring every candidate on each read. A score is stale
-- when scored_at is NULL (new, merged or changed since), older than a day
-- (recency decays), or computed under another ranking generation (the
-- rules or the editor's decisions changed since).
ALTER TABLE candidates ADD COLUMN score REAL NOT NULL DEFAULT 0;
ALTER TABLE candidates ADD COLUMN scored_at TEXT;
ALTER TABLE candidates ADD COLUMN scored_generation INTEGER NOT NULL DEFAULT 0;
CREATE INDEX candidates_by_score ON candidates(status, score DESC, id DESC);

-- One row: the ranking generation, bumped by every decision (the learned
-- model changes) and by a change of the rules (their fingerprint).
CREATE TABLE ranking (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    rules      TEXT NOT NULL
) STRICT;
INSERT INTO ranking (id, generation, rules) VALUES (1, 1, '');
