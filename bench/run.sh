#!/usr/bin/env bash
# Runs every benchmark in bench/ (`make bench`); each prints its own ratios.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
status=0
for b in "$here"/*.sh; do
    [ "$(basename "$b")" = run.sh ] && continue
    echo "== $(basename "$b")"
    bash "$b" || status=$?
done
exit "$status"
