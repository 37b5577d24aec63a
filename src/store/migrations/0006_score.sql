-- Stored ranking scores, so the queue can be read a page at a time, best
-- first, without scoring every candidate on each read. A score is stale
-- when it was computed under an older ranking generation (0: never, or the
-- candidate changed since) or more than a day ago (recency decays).
ALTER TABLE candidates ADD COLUMN score REAL NOT NULL DEFAULT 0;
ALTER TABLE candidates ADD COLUMN scored_at TEXT;
ALTER TABLE candidates ADD COLUMN scored_generation INTEGER NOT NULL DEFAULT 0;
-- Pages best first; the freshness columns make finding the stale rows of
-- a status, best first, a scan of this index alone.
CREATE INDEX candidates_by_score ON candidates(status, score DESC, id DESC, scored_generation, scored_at);

-- One row: the ranking generation, bumped by every decision (the learned
-- model changes) and by a change of the rules (their fingerprint).
CREATE TABLE ranking (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    rules      TEXT NOT NULL
) STRICT;
INSERT INTO ranking (id, generation, rules) VALUES (1, 1, '');
