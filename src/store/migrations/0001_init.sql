-- Sources as configured, with what polling them has taught us.
CREATE TABLE sources (
    id                   TEXT PRIMARY KEY,
    kind                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    section              TEXT,
    etag                 TEXT,
    last_modified        TEXT,
    body_sha             TEXT,
    moved_to             TEXT,
    last_attempt_at      TEXT,
    last_success_at      TEXT,
    last_status          INTEGER,
    last_error           TEXT,
    last_error_at        TEXT,
    failing_since        TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TEXT
) STRICT;

-- One row per fetch attempt.
CREATE TABLE fetch_log (
    id          INTEGER PRIMARY KEY,
    source_id   TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    started_at  TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('fetched', 'unchanged', 'not-modified', 'failed')),
    http_status INTEGER,
    bytes       INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL,
    new_entries INTEGER NOT NULL DEFAULT 0,
    error       TEXT
) STRICT;
CREATE INDEX fetch_log_by_source ON fetch_log(source_id, started_at);

-- The editor's queue: one row per story, however many places it was seen.
CREATE TABLE candidates (
    id            INTEGER PRIMARY KEY,
    source_id     TEXT NOT NULL REFERENCES sources(id),
    canonical_url TEXT,
    url           TEXT,
    title         TEXT NOT NULL,
    summary       TEXT,
    published     TEXT NOT NULL,
    section       TEXT,
    status        TEXT NOT NULL DEFAULT 'new'
                  CHECK (status IN ('new', 'accepted', 'rejected', 'deferred', 'drafted')),
    note          TEXT,
    decided_at    TEXT,
    created_at    TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX candidates_by_canonical_url ON candidates(canonical_url) WHERE canonical_url IS NOT NULL;
CREATE INDEX candidates_by_status ON candidates(status, published);

-- Every entry of every source, linked to the candidate it became part of.
CREATE TABLE entries (
    id            INTEGER PRIMARY KEY,
    source_id     TEXT NOT NULL REFERENCES sources(id),
    entry_key     TEXT NOT NULL,
    url           TEXT,
    canonical_url TEXT,
    title         TEXT NOT NULL,
    summary       TEXT,
    published     TEXT,
    updated       TEXT,
    first_seen_at TEXT NOT NULL,
    candidate_id  INTEGER REFERENCES candidates(id),
    UNIQUE (source_id, entry_key)
) STRICT;
CREATE INDEX entries_by_candidate ON entries(candidate_id);
