-- Issues drafted by `newsdesk draft`: one row per issue date.
CREATE TABLE issues (
    id           INTEGER PRIMARY KEY,
    issue_date   TEXT NOT NULL UNIQUE,
    number       INTEGER NOT NULL,
    -- The draft's file, as written (absolute or relative to the working directory).
    path         TEXT NOT NULL,
    generated_at TEXT NOT NULL
) STRICT;

-- The issue a drafted candidate went into.
ALTER TABLE candidates ADD COLUMN drafted_in INTEGER REFERENCES issues(id);
CREATE INDEX candidates_by_issue ON candidates(drafted_in);
