#!/usr/bin/env bash
# What the client's per-migration progress costs: the same generated history
# of N migrations (default 1000), pushed with "migrator push", applied once
# with "migrator apply" (one apply(target) call per migration, in one
# transaction, a progress line each) and once with a single
# "SELECT migrator.apply()" through psql, side by side on one throwaway
# cluster.  Prints both times and their ratio, and the time of push.
#
#   bash bench/cli_apply.sh [N]
#
# Needs initdb, pg_ctl, psql and migrator on PATH, and the extension
# installed (make install); run it as a user that may run a server.
set -euo pipefail
n=${1:-1000}
work=$(mktemp -d /tmp/migrator-bench-cli.XXXXXX)
trap 'pg_ctl -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

initdb -D "$work/data" -A trust >/dev/null
cat >> "$work/data/postgresql.conf" <<CONF
shared_preload_libraries = 'migrator'
listen_addresses = ''
unix_socket_directories = '$work'
fsync = off
CONF
pg_ctl -D "$work/data" -l "$work/log" -w start >/dev/null
export PGHOST=$work PGPORT=5432 PGDATABASE=postgres

mkdir "$work/m"
for i in $(seq 1 "$n"); do
    echo "CREATE TABLE app.t$i (id int PRIMARY KEY, v text);" > "$work/m/${i}_t$i.up.sql"
    echo "DROP TABLE app.t$i;" > "$work/m/${i}_t$i.down.sql"
done

ms() { echo $(( $(date +%s%N) / 1000000 )); }
for db in stepwise single; do
    psql -qc "CREATE DATABASE $db"
    psql -qd "$db" -c "CREATE EXTENSION migrator; CREATE SCHEMA app"
done

t0=$(ms); migrator -q -d stepwise push "$work/m" >/dev/null; t1=$(ms)
migrator -q -d single push "$work/m" >/dev/null
push=$((t1 - t0))

t0=$(ms); migrator -q -d stepwise apply >/dev/null; t1=$(ms)
stepwise=$((t1 - t0))
t0=$(ms); psql -qAtd single -c "SELECT count(*) FROM migrator.apply()" >/dev/null; t1=$(ms)
single=$((t1 - t0))

echo "migrations:                    $n"
echo "migrator push:                 $push ms"
echo "migrator apply (per step):     $stepwise ms"
echo "psql SELECT migrator.apply():  $single ms"
awk -v a="$stepwise" -v b="$single" 'BEGIN { printf "ratio per-step / single:       %.2f\n", a / (b ? b : 1) }'
