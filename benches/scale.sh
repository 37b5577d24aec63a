#!/usr/bin/env bash
# Scale: ingest ~100,000 entries with every deduplication layer on, add 50
# past issues to drafts_dir, then time `review list` and the start-up of
# the `review` TUI over them.
#
#   benches/scale.sh [N]     # N feeds (default 3000, about 100,000 entries)
#
# Scores are stored; after decisions (a new ranking generation) they are
# stale: `review list` re-scores all of them, the TUI one batch. Both are
# timed stale (right after decisions) and fresh. The TUI runs in an 80×24
# pseudo-terminal (script(1)) with the hidden --exit-after-first-frame flag:
# open the database, re-score a batch, read a page, draw one frame, exit.
#
# Uses ../shared/bench/feedserver.py like benches/poll.sh (no slow feeds).
set -euo pipefail
N=${1:-3000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
WORK=${BENCH_WORK:-/tmp/newsdesk-bench}/scale-$N
BIN=$ROOT/target/release/newsdesk
[ -f "$BENCH_DIR/feedserver.py" ] || { echo "no feedserver.py in $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
(cd "$ROOT" && cargo build --release --quiet)
rm -rf "$WORK"; mkdir -p "$WORK"
PORT=$((20000 + RANDOM % 20000))
python3 "$BENCH_DIR/feedserver.py" --n "$N" --port "$PORT" --slow-frac 0 --min-entries 30 --max-entries 50 >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 600); do curl -sf "$BASE/urls.txt" -o "$WORK/urls.txt" && break; sleep 0.1; done
{
  # The generated feeds are dated months back: max_age keeps every entry a
  # candidate (the default, 30 days, would keep most of them out).
  printf '[newsletter]\ntitle = "bench"\n\n[defaults]\nconcurrency = 16\nper_host = 16\nenrich = false\nmax_age = "36500d"\n\n'
  printf '[ranking]\nkeywords = { kubernetes = 2.0, ebpf = 1.0 }\n\n[[sections]]\nid = "articles"\ntitle = "Articles"\n\n'
  i=0
  while read -r u; do
    i=$((i + 1))
    printf '[[source]]\nid = "f%d"\nkind = "feed"\nurl = "%s"\nsection = "articles"\n\n' "$i" "$u"
  done <"$WORK/urls.txt"
} >"$WORK/feeds.toml"
nd() { "$BIN" --config "$WORK/feeds.toml" --db "$WORK/newsdesk.db" "$@"; }

/usr/bin/time -f "%e %M" -o "$WORK/ingest.time" "$BIN" --config "$WORK/feeds.toml" --db "$WORK/newsdesk.db" poll >"$WORK/poll.out" 2>/dev/null
read -r secs kb <"$WORK/ingest.time"
entries=$(sqlite3 "$WORK/newsdesk.db" 'SELECT COUNT(*) FROM entries')
candidates=$(sqlite3 "$WORK/newsdesk.db" 'SELECT COUNT(*) FROM candidates')
echo "ingest: $entries entries ($candidates candidates) in $secs s = $(awk -v e="$entries" -v s="$secs" 'BEGIN {printf "%.0f", e / s}') entries/s; peak RSS $((kb / 1024)) MB"

# A newsletter that moved in with its history: 50 past issues of 20 items
# each (1,000 of the stored entries) in drafts_dir, in the model's format,
# so every ranking also trains from past issues' items.
mkdir -p "$WORK/drafts"
sqlite3 -separator $'\t' "$WORK/newsdesk.db" \
  "SELECT replace(title, char(9), ' '), url FROM entries WHERE url IS NOT NULL ORDER BY id LIMIT 1000" |
  awk -F'\t' -v dir="$WORK/drafts" '{
    issue = int((NR - 1) / 20)
    file = sprintf("%s/2025-%02d-%02d.md", dir, 1 + int(issue / 28), 1 + issue % 28)
    if (!(file in started)) { started[file] = 1; printf "---\ntitle: \"bench\"\n---\n\n## Articles\n\n" > file }
    printf "### %s\n\n%s\n\nA comment.\n\n", $1, $2 > file
  }'
# The next poll reads them (every feed answers 304).
nd poll >/dev/null 2>&1
echo "past issues: $(ls "$WORK/drafts" | wc -l) files, $(sqlite3 "$WORK/newsdesk.db" 'SELECT COUNT(DISTINCT file || title) FROM published WHERE item = 1') items read"

# Some decisions, so the learned part of the ranking is trained too.
ids=$(sqlite3 "$WORK/newsdesk.db" 'SELECT id FROM candidates ORDER BY id LIMIT 40')
nd review accept $(echo "$ids" | head -20) >/dev/null
nd review reject $(echo "$ids" | tail -20) >/dev/null
list_time() {
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %M" -o "$WORK/list.time" "$BIN" --config "$WORK/feeds.toml" --db "$WORK/newsdesk.db" review $1 >/dev/null
  read -r secs kb <"$WORK/list.time"
  echo "review $1 ($2): $secs s, peak RSS $((kb / 1024)) MB"
}
tui_time() {
  /usr/bin/time -f "%e %M" -o "$WORK/tui.time" script -qec "stty rows 24 cols 80; exec $BIN --config $WORK/feeds.toml --db $WORK/newsdesk.db review --exit-after-first-frame" /dev/null >"$WORK/tui.out" </dev/null
  read -r secs kb <"$WORK/tui.time"
  echo "review TUI first frame ($1): $secs s, peak RSS $((kb / 1024)) MB"
}
/usr/bin/time -f "%e" -o "$WORK/script.time" script -qec "stty rows 24 cols 80; exec true" /dev/null >/dev/null </dev/null
echo "script(1) alone, for reference: $(cat "$WORK/script.time") s"
tui_time "scores stale after 40 decisions"
list_time "list --limit 50 --json" "stale: re-scores all"
list_time "list --json" "fresh"
list_time "list --status new" "fresh"
list_time "list --status accepted --json" "fresh"
tui_time "fresh"
nd review reject "$(echo "$ids" | tail -1)" >/dev/null
tui_time "after one more decision"
list_time "list --status new --limit 50 --json" "after one more decision"
