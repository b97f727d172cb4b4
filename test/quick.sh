#!/usr/bin/env bash
# Developer helper: run the regression suite against the tree as it is and
# copy results/*.out back to /tmp/results for review.  Not used by CI.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
MIGRATOR_KEEP=1 make -C "$here" test >/tmp/quick.log 2>&1 || true
d=$(grep -o '/tmp/migrator-test\.[A-Za-z0-9]*' /tmp/quick.log | tail -1)
rm -rf /tmp/results; mkdir -p /tmp/results
[ -n "$d" ] && cp -r "$d"/results/. /tmp/results/ 2>/dev/null || true
[ -n "$d" ] && cp "$d"/*.log /tmp/results/ 2>/dev/null || true
[ -n "$d" ] && rm -rf "$d"
tail -5 /tmp/quick.log
