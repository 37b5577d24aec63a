#!/usr/bin/env bash
# Poll benchmark: N generated feeds on a loopback server, polled by the
# release binary twice (cold: empty database; warm: every feed answers 304).
# Reports wall time, CPU and peak RSS of each pass and the entries stored.
#
#   benches/poll.sh [N] [PER_HOST]      # defaults: 2000 feeds, per_host 16
#
# The feed server is ../shared/bench/feedserver.py (deterministic feeds with
# ETag/Last-Modified, gzip, 2 % slow, 3 % failing, 10 % cross-posted); set
# BENCH_DIR to use another checkout of it and BENCH_SERVER_ARGS to pass it
# options. All N feeds live on one host (127.0.0.1), standing in for N
# servers, so per_host is raised to the global concurrency by default; pass
# PER_HOST=2 to see the shipped default's effect on a single host.
set -euo pipefail
N=${1:-2000}
PER_HOST=${2:-16}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
WORK=${BENCH_WORK:-/tmp/newsdesk-bench}/poll-$N
BIN=$ROOT/target/release/newsdesk
[ -f "$BENCH_DIR/feedserver.py" ] || { echo "no feedserver.py in $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
(cd "$ROOT" && cargo build --release --quiet)
rm -rf "$WORK"; mkdir -p "$WORK"

PORT=$((20000 + RANDOM % 20000))
python3 "$BENCH_DIR/feedserver.py" --n "$N" --port "$PORT" ${BENCH_SERVER_ARGS:-} >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 600); do curl -sf "$BASE/urls.txt" -o "$WORK/urls.txt" && break; sleep 0.1; done
[ "$(wc -l <"$WORK/urls.txt")" -eq "$N" ] || { echo "server did not list $N feeds" >&2; exit 2; }

{
  printf '[newsletter]\ntitle = "bench"\n\n[defaults]\nconcurrency = 16\nper_host = %s\n# the feeds link to hosts that do not exist: never fetch their pages\nenrich = false\n\n' "$PER_HOST"
  printf '[[sections]]\nid = "articles"\ntitle = "Articles"\n\n'
  i=0
  while read -r u; do
    i=$((i + 1))
    printf '[[source]]\nid = "f%d"\nkind = "feed"\nurl = "%s"\nsection = "articles"\n\n' "$i" "$u"
  done <"$WORK/urls.txt"
} >"$WORK/feeds.toml"

pass() {
  local name=$1
  /usr/bin/time -v -o "$WORK/$name.time" "$BIN" --config "$WORK/feeds.toml" --db "$WORK/newsdesk.db" poll \
    >"$WORK/$name.out" 2>"$WORK/$name.err" || echo "pass $name exited $?" >&2
  local wall rss cpu entries candidates
  wall=$(awk -F': ' '/Elapsed/ {print $2}' "$WORK/$name.time")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.1f", $2/1024}' "$WORK/$name.time")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$WORK/$name.time")
  entries=$(sqlite3 "$WORK/newsdesk.db" 'SELECT COUNT(*) FROM entries')
  candidates=$(sqlite3 "$WORK/newsdesk.db" 'SELECT COUNT(*) FROM candidates')
  printf '%-5s N=%-5s per_host=%-3s wall %-8s cpu %6s s  peak RSS %6s MB  entries %6s  candidates %6s\n' \
    "$name" "$N" "$PER_HOST" "$wall" "$cpu" "$rss" "$entries" "$candidates"
}
pass cold
pass warm
grep -E 'fetched|not modified|failed  ' "$WORK/warm.out" | tr -s ' ' | paste -sd' ' | sed 's/^/warm: /'
