#!/usr/bin/env bash
# `make bench`: runs every benchmark script bench/<area>_<name>.sh in turn.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for script in "$here"/*_*.sh; do
    echo "== $(basename "$script")"
    bash "$script"
done
