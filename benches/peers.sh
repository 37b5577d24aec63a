#!/usr/bin/env bash
# Peers side by side: newsdesk, newsboat, a thread-pooled Python feedparser
# and curl (the network floor) over the same N loopback feeds, cold and
# warm, with ../shared/bench (its server, its timing, its table).
#
#   benches/peers.sh 200
#   benches/peers.sh 2000
#   benches/peers.sh 2000 newsdesk newsdesk-16     # only some peers
#
# Two newsdesk rows: `newsdesk` is ../shared/bench/peers/newsdesk.sh as it
# is (the shipped defaults: at most 2 requests at once to one host, and all
# N feeds live on 127.0.0.1); `newsdesk-16` allows 16 at once to that host,
# as many as newsboat's and feedparser's 16 threads open. rss2email is left
# out by default (sequential, two minutes at N=2000); name it to include it.
#
# The shared harness is copied to a scratch directory so the newsdesk-16
# peer can sit beside the others; the table is printed and written to
# benches/results/N<N>.txt. Needs the peers installed:
# ../shared/bench/setup.sh (Debian packages: newsboat, python3-feedparser,
# time, sqlite3, curl).
set -euo pipefail
N=${1:?usage: benches/peers.sh N [peer ...]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
[ -f "$BENCH_DIR/run.sh" ] || { echo "no run.sh in $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
(cd "$ROOT" && cargo build --release --quiet)
export NEWSDESK_BIN=$ROOT/target/release/newsdesk

HARNESS=$(mktemp -d /tmp/newsdesk-peers.XXXXXX)
trap 'rm -rf "$HARNESS"' EXIT
cp -r "$BENCH_DIR"/. "$HARNESS"/
chmod -R u+w "$HARNESS"
# The same script with per_host raised to the others' concurrency.
sed -e 's/bench_init newsdesk /bench_init newsdesk-16 /' \
    -e 's/\[newsletter\]\\ntitle = "bench"\\n\\n/[newsletter]\\ntitle = "bench"\\n\\n[defaults]\\nper_host = 16\\n\\n/' \
    "$HARNESS/peers/newsdesk.sh" >"$HARNESS/peers/newsdesk-16.sh"
grep -q 'per_host = 16' "$HARNESS/peers/newsdesk-16.sh" || { echo "could not derive newsdesk-16.sh" >&2; exit 2; }

if [ "$#" -eq 0 ]; then
    set -- curl feedparser newsboat newsdesk newsdesk-16
fi
mkdir -p "$ROOT/benches/results"
BENCH_RESULTS=$ROOT/benches/results bash "$HARNESS/run.sh" "$N" "$@"
