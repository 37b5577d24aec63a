-- The fetch log names a 304 as the metrics do ("not_modified"). SQLite
-- cannot change a CHECK constraint in place: the table is made again.
CREATE TABLE fetch_log_new (
    id          INTEGER PRIMARY KEY,
    source_id   TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    started_at  TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('fetched', 'unchanged', 'not_modified', 'failed')),
    http_status INTEGER,
    bytes       INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL,
    new_entries INTEGER NOT NULL DEFAULT 0,
    error       TEXT
) STRICT;
INSERT INTO fetch_log_new (id, source_id, started_at, outcome, http_status, bytes, duration_ms, new_entries, error)
    SELECT id, source_id, started_at, replace(outcome, 'not-modified', 'not_modified'),
           http_status, bytes, duration_ms, new_entries, error
    FROM fetch_log;
DROP TABLE fetch_log;
ALTER TABLE fetch_log_new RENAME TO fetch_log;
CREATE INDEX fetch_log_by_source ON fetch_log(source_id, started_at);
CREATE INDEX fetch_log_by_time ON fetch_log(started_at);
