-- Sections that exist only in one issue ("✨ Kubernetes 1.25"), made by the
-- editor while accepting (`review accept --new-section`, or `+` in the
-- TUI's section chooser), without editing feeds.toml. A section is in the
-- issues its candidates are in: the draft shows it while it has items
-- there, after the section `after` (a [[sections]] id or another one-off;
-- NULL: after the configured ones).
CREATE TABLE one_off_sections (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL UNIQUE,
    emoji      TEXT NOT NULL,
    after      TEXT,
    created_at TEXT NOT NULL
) STRICT;
