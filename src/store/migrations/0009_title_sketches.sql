-- One row a candidate instead of nine or ten band rows: what comparing its
-- title needs (see dedup::TitleSketch) with its LSH bands, in one blob
-- (format in store::ingest::StoredSketch). The writer reads them into
-- memory once; the migration fills them from the candidates' titles.
CREATE TABLE title_sketches (
    candidate_id INTEGER PRIMARY KEY REFERENCES candidates(id) ON DELETE CASCADE,
    -- Days since 1970 of the candidate's publication.
    day          INTEGER NOT NULL,
    sketch       BLOB NOT NULL
) STRICT;
DROP TABLE title_bands;
