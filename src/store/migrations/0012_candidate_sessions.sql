-- The facts of a conference session (start, end, room, track, speakers) as
-- JSON, beside the description in summary, so that readers show them
-- without picking them out of text. NULL for a story that is no session.
ALTER TABLE candidates ADD COLUMN session TEXT;
