-- Where each candidate was seen, in the order it was seen, from the index
-- alone: listing 100,000 candidates no longer reads every entry's title and
-- summary to learn their sources.
CREATE INDEX entries_by_candidate_seen ON entries(candidate_id, id, source_id);
DROP INDEX entries_by_candidate;
