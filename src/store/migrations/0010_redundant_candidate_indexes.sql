-- Two indexes every new candidate paid a B-tree insert for, that nothing
-- needs: candidates are never looked up by canonical_url (a story's links
-- are matched through entries.url_key, which is looser), and every query
-- by status can use candidates_by_score, which starts with status.
DROP INDEX candidates_by_canonical_url;
DROP INDEX candidates_by_status;
