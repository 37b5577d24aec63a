-- Looser keys of a candidate (see dedup.rs), filled by newsdesk itself.
ALTER TABLE candidates ADD COLUMN release_key TEXT;
-- The priority of the source whose title and summary the candidate shows.
ALTER TABLE candidates ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
CREATE INDEX candidates_by_release_key ON candidates(release_key);

-- Why an entry joined an existing candidate ("same URL as #12", …).
ALTER TABLE entries ADD COLUMN dedup_reason TEXT;
-- Every URL a story was seen at finds it again.
ALTER TABLE entries ADD COLUMN url_key TEXT;
CREATE INDEX entries_by_url_key ON entries(url_key);

-- LSH bands of candidate titles: candidates sharing a band are compared.
CREATE TABLE title_bands (
    band         INTEGER NOT NULL,
    candidate_id INTEGER NOT NULL REFERENCES candidates(id) ON DELETE CASCADE
) STRICT;
CREATE INDEX title_bands_by_band ON title_bands(band);

-- Links of issues already published, read from the drafts directory.
CREATE TABLE published (
    id         INTEGER PRIMARY KEY,
    url_key    TEXT,
    title      TEXT,
    file       TEXT NOT NULL,
    issue_date TEXT
) STRICT;
CREATE INDEX published_by_url_key ON published(url_key);
CREATE TABLE published_bands (
    band         INTEGER NOT NULL,
    published_id INTEGER NOT NULL REFERENCES published(id) ON DELETE CASCADE
) STRICT;
CREATE INDEX published_bands_by_band ON published_bands(band);
