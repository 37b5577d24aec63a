-- The adaptive polling interval a source has settled on (seconds); NULL
-- until its first poll, when the configured interval applies.
ALTER TABLE sources ADD COLUMN current_interval_secs INTEGER;
CREATE INDEX sources_by_next_poll ON sources(next_poll_at);
-- The daemon prunes old fetch-log rows by time.
CREATE INDEX fetch_log_by_time ON fetch_log(started_at);
