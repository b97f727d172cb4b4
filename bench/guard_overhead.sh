#!/usr/bin/env bash
# What the guard costs: pgbench select-only, and a DDL-heavy loop (create,
# alter, drop of temporary tables and of tables new in the transaction),
# against three setups measured side by side in one run:
#   baseline   server without migrator
#   inert      migrator preloaded, database without the extension
#   guarded    migrator preloaded, CREATE EXTENSION migrator (guard enforcing)
# Rounds alternate between the setups so that machine noise hits all of
# them alike; the median tps of each is printed with its ratio to baseline.
#
#   bash bench/guard_overhead.sh            (BENCH_SECONDS=10 BENCH_ROUNDS=3)
#
# As root it copies the tree to a temporary directory owned by postgres and
# runs itself there as postgres (the server refuses root).  It builds and
# installs migrator into a private copy of the server (tmp_install/), starts
# two throwaway clusters in a temporary directory and removes them at exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}

if [ "$(id -u)" = 0 ]; then
    work=$(mktemp -d /tmp/migrator-bench.XXXXXX)
    rsync -a --exclude .git --exclude tmp_install --exclude tmp_check \
        --exclude results "$here"/ "$work"/
    chown -R postgres: "$work"
    status=0
    runuser -u postgres -- env BENCH_SECONDS="$seconds" BENCH_ROUNDS="$rounds" \
        bash "$work/bench/guard_overhead.sh" || status=$?
    rm -rf "$work"
    exit "$status"
fi

cd "$here"
PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$($PG_CONFIG --bindir)
sharedir=$($PG_CONFIG --sharedir)
tmp="$here/tmp_install"
if [ ! -f "$tmp$($PG_CONFIG --pkglibdir)/migrator.so" ]; then
    echo "== build and private installation in tmp_install/"
    make -s clean >/dev/null
    make -s >/dev/null
    rm -rf "$tmp"
    mkdir -p "$tmp$(dirname "$bindir")" "$tmp$(dirname "$sharedir")"
    cp -a "$(dirname "$bindir")" "$tmp$(dirname "$(dirname "$bindir")")/"
    cp -a "$sharedir" "$tmp$(dirname "$sharedir")/"
    make -s install DESTDIR="$tmp" >/dev/null
fi
export PATH="$tmp$bindir:$PATH"

data=$(mktemp -d /tmp/migrator-bench-data.XXXXXX)
port_plain=$((50000 + RANDOM % 5000))
port_preload=$((port_plain + 1))
cleanup() {
    pg_ctl -D "$data/plain" -m immediate stop >/dev/null 2>&1 || true
    pg_ctl -D "$data/preload" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap cleanup EXIT

for c in plain preload; do
    initdb -D "$data/$c" -A trust -U postgres >/dev/null
    cat >>"$data/$c/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$data'
fsync = off
synchronous_commit = off
shared_buffers = 128MB
max_connections = 20
CONF
done
echo "port = $port_plain" >>"$data/plain/postgresql.conf"
echo "port = $port_preload" >>"$data/preload/postgresql.conf"
echo "shared_preload_libraries = 'migrator'" >>"$data/preload/postgresql.conf"
pg_ctl -D "$data/plain" -l "$data/plain.log" -w start >/dev/null
pg_ctl -D "$data/preload" -l "$data/preload.log" -w start >/dev/null

# setup name -> "port database"
declare -A target=(
    [baseline]="$port_plain bench"
    [inert]="$port_preload bench"
    [guarded]="$port_preload guarded"
)
createdb -h "$data" -p "$port_plain" bench
createdb -h "$data" -p "$port_preload" bench
createdb -h "$data" -p "$port_preload" guarded
psql -h "$data" -p "$port_preload" -d guarded -qc 'CREATE EXTENSION migrator' >/dev/null
# pgbench -i truncates its tables, which the guard refuses: set them up
# with the guard off (a superuser may).
for s in baseline inert guarded; do
    set -- ${target[$s]}
    PGOPTIONS='-c migrator.guard=off' pgbench -h "$data" -p "$1" -i -s 10 -q "$2" >/dev/null 2>&1 ||
        PGOPTIONS= pgbench -h "$data" -p "$1" -i -s 10 -q "$2" >/dev/null
done

cat >"$data/ddl.sql" <<'SQL'
BEGIN;
CREATE TEMP TABLE scratch (id int, v text, w int);
ALTER TABLE scratch ADD COLUMN x int;
ALTER TABLE scratch DROP COLUMN v;
TRUNCATE scratch;
DROP TABLE scratch;
CREATE TABLE fresh (id int PRIMARY KEY, v text);
CREATE INDEX fresh_v ON fresh (v);
ALTER TABLE fresh ADD COLUMN w int, DROP COLUMN v;
ALTER TABLE fresh RENAME TO fresh2;
DROP TABLE fresh2;
COMMIT;
SQL

# tps of one pgbench run
run() {
    local setup=$1 kind=$2
    set -- ${target[$setup]}
    local t=$seconds
    [ -n "${BENCH_WARMUP:-}" ] && t=2
    local args=(-h "$data" -p "$1" -T "$t" -c 1 -n -M prepared)
    if [ "$kind" = select ]; then
        args+=(-S)
    else
        args+=(-f "$data/ddl.sql")
    fi
    pgbench "${args[@]}" "$2" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== guard overhead: $rounds alternating rounds of ${seconds}s per setup, 1 client"
for kind in select ddl; do
    for s in baseline inert guarded; do
        BENCH_WARMUP=1 run "$s" "$kind" >/dev/null    # warm caches, not counted
    done
    declare -A results=()
    for r in $(seq 1 "$rounds"); do
        for s in baseline inert guarded; do
            results[$s]+="$(run "$s" "$kind") "
        done
    done
    b=$(echo ${results[baseline]} | tr ' ' '\n' | median)
    line="$kind:"
    for s in baseline inert guarded; do
        m=$(echo ${results[$s]} | tr ' ' '\n' | median)
        ratio=$(awk -v m="$m" -v b="$b" 'BEGIN {printf "%.3f", m / b}')
        line+="  $s ${m} tps (x$ratio)"
    done
    echo "$line"
    echo "   rounds: baseline [${results[baseline]% }] inert [${results[inert]% }] guarded [${results[guarded]% }]"
    unset results
done
