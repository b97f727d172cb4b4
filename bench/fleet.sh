#!/usr/bin/env bash
# migrator fleet deploy: one history deployed to N databases (default 50)
# of one local server, once one database at a time and once with --jobs J
# (default 4), each run on its own N fresh databases.  Prints both times,
# their ratio, and the per-database results of both runs side by side.
#
#   bash bench/fleet.sh [N] [J] [MIGRATIONS]
#
# Needs initdb, pg_ctl, psql and migrator on PATH, and the extension
# installed (make install); run it as a user that may run a server.  The
# server runs with fsync on: each migration deploy() commits is a commit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
n=${1:-50}
jobs=${2:-4}
migrations=${3:-20}
bench_cluster_start
echo "max_connections = $((n + 20))" >>"$BENCH_DIR/data/postgresql.conf"
"$bench_bindir/pg_ctl" -D "$BENCH_DIR/data" -l "$BENCH_DIR/log" -w restart >/dev/null

# the history: tables, a foreign key, a column, an index
dir=$BENCH_DIR/migrations
mkdir "$dir"
echo "CREATE TABLE app.accounts (id bigint PRIMARY KEY, name text NOT NULL);" >"$dir/1_accounts.up.sql"
for i in $(seq 2 "$migrations"); do
    case $((i % 3)) in
        0) echo "CREATE TABLE app.t$i (id bigint PRIMARY KEY, account_id bigint REFERENCES app.accounts);" ;;
        1) echo "ALTER TABLE app.accounts ADD COLUMN c$i text;" ;;
        2) echo "CREATE INDEX accounts_name_$i ON app.accounts (name);" ;;
    esac >"$dir/${i}_m$i.up.sql"
done

for run in seq par; do
    for i in $(seq -w 1 "$n"); do
        psql -qX -d postgres -c "CREATE DATABASE ${run}_$i"
        psql -qX -d "${run}_$i" -c "CREATE EXTENSION migrator; CREATE SCHEMA app"
    done
done

t0=$(bench_now_ms)
migrator -q -d postgres fleet deploy --match 'seq_*' "$dir" >"$BENCH_DIR/seq.out"
t1=$(bench_now_ms)
migrator -q -d postgres fleet deploy --match 'par_*' --jobs "$jobs" "$dir" >"$BENCH_DIR/par.out"
t2=$(bench_now_ms)
seq_ms=$((t1 - t0))
par_ms=$((t2 - t1))

echo "databases:                     $n"
echo "migrations per database:       $migrations"
echo "fleet deploy, one at a time:   $seq_ms ms"
echo "fleet deploy, --jobs $jobs:        $par_ms ms"
awk -v a="$seq_ms" -v b="$par_ms" 'BEGIN { printf "ratio sequential / parallel:   %.2f\n", a / (b ? b : 1) }'
echo
echo "per database (result, migrations applied, ms): one at a time | --jobs $jobs"
# the two tables, rows "name | result | applied | skipped | failed | pending | ms | error"
awk -F' *\\| *' 'FNR > 2 && NF >= 7 {
        key = substr($1, 5); v = $2 " " $3 " " $7 " ms"
        if (FILENAME ~ /seq/) s[key] = v; else p[key] = v
    }
    END { for (k in s) printf "  %s  %-22s | %s\n", k, s[k], p[k] }' \
    "$BENCH_DIR/seq.out" "$BENCH_DIR/par.out" | sort
fails=$(awk -F' *\\| *' 'FNR > 2 && $2 != "deployed" && NF >= 7 {n++} END {print n + 0}' "$BENCH_DIR/seq.out" "$BENCH_DIR/par.out")
echo "databases failed:              $fails"
