-- The adaptive polling interval a source has settled on (seconds); NULL
-- until its first poll, when the configured interval applies.
ALTER TABLE sources ADD COLUMN current_interval_secs INTEGER;
CREATE INDEX sources_by_next_poll ON sources(next_poll_at);
