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
    cp "$here/scripts/demo.sh" "$here/scripts/demo.sql" "$tmp/"
    chown -R postgres: "$tmp"
    status=0
    runuser -u postgres -- bash "$tmp/demo.sh" || status=$?
    rm -rf "$tmp"
    exit "$status"
fi

bindir=$(pg_config --bindir)
dir=$(mktemp -d /tmp/migrator-demo-cluster.XXXXXX)
port=$((20000 + RANDOM % 20000))
trap '"$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
"$bindir/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
shared_preload_libraries = 'migrator'
CONF
"$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null
echo "== throwaway cluster on socket $dir, port $port, migrator preloaded"
psql -X -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=0 -e \
    -f "$(dirname "$0")/demo.sql"
