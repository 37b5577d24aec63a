-- Issue 17. The categories, tags or track a source gave an entry (a JSON
-- array of strings; NULL when none), on the entry and on the candidate it
-- made: the learned ranking reads a candidate's, and those of the entry
-- whose link a past issue's item carries (a KubeCon session's track).
ALTER TABLE entries ADD COLUMN categories TEXT;
ALTER TABLE candidates ADD COLUMN categories TEXT;
