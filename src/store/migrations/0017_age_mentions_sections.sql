-- Issue 17. `dated_ahead`: the date a feed gave an entry when it lay more
-- than a day after the fetch (the candidate's `published` is then the
-- fetch). `mention`: a past issue that mentioned the story without its
-- own link being an item there ("mentioned in the 2022-08-05 issue …").
-- `suggested_section`: where ranking would put it, stored with its score.
ALTER TABLE candidates ADD COLUMN dated_ahead TEXT;
ALTER TABLE candidates ADD COLUMN mention TEXT;
ALTER TABLE candidates ADD COLUMN suggested_section TEXT;
-- Past issues' links: whether the link is an item's own (its heading's
-- link card) or a related link under it, and the item's section heading.
ALTER TABLE published ADD COLUMN item INTEGER NOT NULL DEFAULT 1;
ALTER TABLE published ADD COLUMN section TEXT;
-- The editors' comment of an item's own link: its words (product names in
-- a Japanese comment) teach ranking what the editor cares about.
ALTER TABLE published ADD COLUMN comment TEXT;
-- Kept-out entries listed by `review list --status kept-out`.
CREATE INDEX entries_kept_out ON entries(first_seen_at) WHERE candidate_id IS NULL AND filtered_reason IS NOT NULL;
-- How many undecided candidates the learned model's background held when
-- the ranking generation began (a new generation when it has doubled).
ALTER TABLE ranking ADD COLUMN background INTEGER NOT NULL DEFAULT 0;
