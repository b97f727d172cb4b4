# Shared by bench scripts: a throwaway cluster with migrator preloaded.
# Source it as the postgres user; call bench_cluster_start, and
# bench_cluster_stop at the end (a trap does it on exit too).
bench_bindir=$(pg_config --bindir)

bench_cluster_start() {
    BENCH_DIR=$(mktemp -d /tmp/migrator-bench.XXXXXX)
    BENCH_PORT=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
    "$bench_bindir/initdb" -D "$BENCH_DIR/data" -A trust -U postgres >/dev/null
    cat >>"$BENCH_DIR/data/postgresql.conf" <<CONF
port = $BENCH_PORT
listen_addresses = ''
unix_socket_directories = '$BENCH_DIR'
shared_preload_libraries = '${BENCH_PRELOAD-migrator}'
fsync = on
CONF
    "$bench_bindir/pg_ctl" -D "$BENCH_DIR/data" -l "$BENCH_DIR/log" -w start >/dev/null
    export PGHOST=$BENCH_DIR PGPORT=$BENCH_PORT PGUSER=postgres
    trap bench_cluster_stop EXIT
}

bench_cluster_stop() {
    if [ -n "${BENCH_DIR:-}" ] && [ -d "$BENCH_DIR" ]; then
        "$bench_bindir/pg_ctl" -D "$BENCH_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$BENCH_DIR"
    fi
}

# Milliseconds since the epoch.
bench_now_ms() { date +%s%3N; }
