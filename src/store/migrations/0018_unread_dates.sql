-- The date an entry gives when it could not be read (issue 16): its
-- `published` is then unknown and the candidate is dated by first sight,
-- which `review show` says.
ALTER TABLE entries ADD COLUMN unread_date TEXT;
