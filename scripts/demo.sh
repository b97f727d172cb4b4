#!/usr/bin/env bash
# make demo: installs what is missing, builds and installs migrator, starts a
# throwaway cluster with the library preloaded, and runs a short psql session:
# register -> apply -> status -> verify -> rollback, and the seed rule that
# refuses an unplanned destructive migration.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
    bash "$here/scripts/install-deps.sh"
    make -C "$here" -s >/dev/null
    make -C "$here" -s install >/dev/null
    tmp=$(mktemp -d /tmp/migrator-demo.XXXXXX)
    cp "$here/scripts/demo.sh" "$here/scripts/demo.sql" "$here/bench/lib.sh" "$tmp/"
    chown -R postgres: "$tmp"
    status=0
    runuser -u postgres -- bash "$tmp/demo.sh" || status=$?
    rm -rf "$tmp"
    exit "$status"
fi

# The throwaway cluster of the benchmarks (bench/lib.sh; copied next to
# this script when run as root).
lib="$(dirname "$0")/lib.sh"
[ -f "$lib" ] || lib="$here/bench/lib.sh"
. "$lib"
bench_cluster_start
echo "== throwaway cluster on socket $BENCH_DIR, port $BENCH_PORT, migrator preloaded"
psql -X -d postgres -v ON_ERROR_STOP=0 -e -f "$(dirname "$0")/demo.sql"
