-- Entries a rule turned away keep the reason and no candidate, so a later
-- change of rules can bring them back.
ALTER TABLE entries ADD COLUMN filtered_reason TEXT;

-- How the source's documents were read (adapter settings and rules); a
-- change drops the validators so the next poll reads them again.
ALTER TABLE sources ADD COLUMN reading_fingerprint TEXT;

-- Article pages fetched once for candidates without a real summary.
CREATE TABLE enrichment (
    url         TEXT PRIMARY KEY,
    fetched_at  TEXT NOT NULL,
    http_status INTEGER,
    title       TEXT,
    description TEXT,
    published   TEXT,
    error       TEXT
) STRICT;
