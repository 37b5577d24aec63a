-- Issue 17. The categories, tags or track a source gave an entry (a JSON
-- array of strings; NULL when none), on the entry and on the candidate it
-- made: the learned ranking reads a candidate's, and those of the entry
-- whose link a past issue's item carries (a KubeCon session's track).
ALTER TABLE entries ADD COLUMN categories TEXT;
ALTER TABLE candidates ADD COLUMN categories TEXT;
-- What is known already: a session's track (in the candidate's `session`),
-- and so the categories of the schedule's entry that made the candidate.
UPDATE candidates SET categories = json_array(session ->> '$.track')
 WHERE session ->> '$.track' IS NOT NULL;
UPDATE entries SET categories = c.categories
  FROM candidates c
 WHERE c.id = entries.candidate_id AND c.source_id = entries.source_id AND c.categories IS NOT NULL;
