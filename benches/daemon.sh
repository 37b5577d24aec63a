#!/usr/bin/env bash
# Daemon benchmarks on N loopback feeds (../shared/bench/feedserver.py):
#
#   benches/daemon.sh idle [N] [SECONDS]   # N=500 sources on 1 h intervals: CPU used
#                                          # while idle after the first poll (default 60 s)
#   benches/daemon.sh soak [N] [CYCLES]    # N=500 sources re-polled every ~0.25-0.5 s
#                                          # (all 304) for CYCLES poll cycles (default
#                                          # 1000): RSS sampled as the cycles go by
#
# Reports come from /proc/PID (utime+stime, VmRSS) and the fetch log.
set -euo pipefail
MODE=${1:-idle}
N=${2:-500}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
WORK=${BENCH_WORK:-/tmp/newsdesk-bench}/daemon-$MODE-$N
BIN=$ROOT/target/release/newsdesk
[ -f "$BENCH_DIR/feedserver.py" ] || { echo "no feedserver.py in $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
(cd "$ROOT" && cargo build --release --quiet)
rm -rf "$WORK"; mkdir -p "$WORK"

PORT=$((20000 + RANDOM % 20000))
python3 "$BENCH_DIR/feedserver.py" --n "$N" --port "$PORT" --slow-frac 0 --max-seconds 7200 >"$WORK/server.log" 2>&1 &
SERVER=$!
DAEMON=
trap 'kill $SERVER ${DAEMON:-} 2>/dev/null || true' EXIT
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 600); do curl -sf "$BASE/urls.txt" -o "$WORK/urls.txt" && break; sleep 0.1; done

if [ "$MODE" = idle ]; then
  schedule='interval = "1h"'
else
  schedule='interval = "250ms"
min_interval = "250ms"
max_interval = "500ms"
backoff_start = "250ms"
backoff_max = "500ms"'
fi
{
  printf '[newsletter]\ntitle = "bench"\n\n[defaults]\nconcurrency = 16\nper_host = 16\nenrich = false\n%s\n\n' "$schedule"
  printf '[[sections]]\nid = "articles"\ntitle = "Articles"\n\n'
  i=0
  while read -r u; do
    i=$((i + 1))
    printf '[[source]]\nid = "f%d"\nkind = "feed"\nurl = "%s"\nsection = "articles"\n\n' "$i" "$u"
  done <"$WORK/urls.txt"
} >"$WORK/feeds.toml"

NEWSDESK_LOG=warn "$BIN" --config "$WORK/feeds.toml" --db "$WORK/newsdesk.db" daemon 2>"$WORK/daemon.log" &
DAEMON=$!
ticks() { awk '{print $14 + $15}' "/proc/$DAEMON/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$DAEMON/status"; }
polls() { sqlite3 "$WORK/newsdesk.db" 'SELECT COUNT(*) FROM fetch_log' 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)

until [ "$(polls)" -ge "$N" ]; do sleep 0.5; done
echo "first poll of $N sources done; RSS $(rss_mb) MB"

if [ "$MODE" = idle ]; then
  SECONDS_IDLE=${3:-60}
  before=$(ticks); sleep "$SECONDS_IDLE"; after=$(ticks)
  echo "idle: $((after - before)) CPU ticks (1/$HZ s) in $SECONDS_IDLE s = $(awk -v t=$((after - before)) -v hz="$HZ" -v s="$SECONDS_IDLE" 'BEGIN {printf "%.3f", 100 * t / hz / s}') % of one core; RSS $(rss_mb) MB"
else
  CYCLES=${3:-1000}
  started=$(date +%s)
  for mark in 1 10 50 100 250 500 750 "$CYCLES"; do
    [ "$mark" -le "$CYCLES" ] || continue
    until [ "$(polls)" -ge $((mark * N)) ]; do sleep 1; done
    echo "cycle $mark: $(polls) polls, RSS $(rss_mb) MB, $(( $(date +%s) - started )) s"
  done
fi
kill -TERM "$DAEMON"; wait "$DAEMON" || true
