#!/usr/bin/env bash
# make bench: runs every bench/*.sh (but lib.sh and this one) as the postgres user against a
# system-wide installation of the tree (as root it installs what is missing
# and runs make install first).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
    bash "$here/scripts/install-deps.sh"
    make -C "$here" -s install >/dev/null
    work=$(mktemp -d /tmp/migrator-benchtree.XXXXXX)
    cp -a "$here"/. "$work"/
    chown -R postgres: "$work"
    status=0
    # The scripts' settings (BENCH_*) go along.
    runuser -u postgres -- env MIGRATOR_CORPORA="${MIGRATOR_CORPORA:-$here/../shared/corpora}" \
        $(env | grep -E '^BENCH_[A-Z_]+=' || true) \
        bash "$work/bench/run.sh" "$@" || status=$?
    rm -rf "$work"
    exit "$status"
fi
cd "$here"
# The installed server tools and the migrator client (pg_config --bindir).
export PATH="$(pg_config --bindir):$PATH"
for b in bench/*.sh; do
    case $b in */lib.sh|*/run.sh) continue;; esac
    [ -n "${1:-}" ] && [[ "$b" != *"$1"* ]] && continue
    echo "== $b"
    bash "$b"
done
