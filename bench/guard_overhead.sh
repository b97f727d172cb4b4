#!/usr/bin/env bash
# What the guard costs: pgbench select-only, and a DDL-heavy loop (create,
# alter, drop of temporary tables and of tables new in the transaction),
# against three setups measured side by side in one run:
#   baseline   server without migrator
#   inert      migrator preloaded, database without the extension
#   guarded    migrator preloaded, CREATE EXTENSION migrator (guard enforcing)
#   off        the guarded database with migrator.guard = off: what remains
#              is the cost of having a sql_drop event trigger at all
# Rounds alternate between the setups so that machine noise hits all of
# them alike.  For each setup the median server CPU time per transaction
# (the overhead measure: it is what the hook adds, and other load on the
# machine barely moves it) and the median throughput are printed; the ratio
# next to each is the median of the per-round ratios to baseline.
#
#   bash bench/guard_overhead.sh
#   (BENCH_SELECT_TX=60000 BENCH_DDL_TX=1000 BENCH_ROUNDS=11 by default)
#
# As root it copies the tree to a temporary directory owned by postgres and
# runs itself there as postgres (the server refuses root).  It builds and
# installs migrator into a private copy of the server (tmp_install/), starts
# two throwaway clusters in a temporary directory and removes them at exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
select_tx=${BENCH_SELECT_TX:-60000}
ddl_tx=${BENCH_DDL_TX:-1000}
rounds=${BENCH_ROUNDS:-11}

# As root, bench/run.sh prepares the tree and runs this script as postgres.
if [ "$(id -u)" = 0 ]; then
    exec bash "$here/bench/run.sh" guard_overhead
fi

cd "$here"
PG_CONFIG=${PG_CONFIG:-pg_config}
tmp="$here/tmp_install"
if [ -f "$tmp$($PG_CONFIG --pkglibdir)/migrator.so" ]; then
    export PATH="$tmp$($PG_CONFIG --bindir):$PATH"
else
    echo "== build and private installation in tmp_install/"
    export PATH="$(bash scripts/tmp-install.sh):$PATH"
fi

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
autovacuum = off
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
    [off]="$port_preload guarded"
)
createdb -h "$data" -p "$port_plain" bench
createdb -h "$data" -p "$port_preload" bench
createdb -h "$data" -p "$port_preload" guarded
psql -h "$data" -p "$port_preload" -d guarded -qc 'CREATE EXTENSION migrator' >/dev/null
# Scale 1, so that every setup's data stays in shared buffers (the guarded
# and inert databases share one cluster).  pgbench -i truncates its tables, which the guard refuses: set them up
# with the guard off (a superuser may).
for s in baseline inert guarded; do
    set -- ${target[$s]}
    PGOPTIONS='-c migrator.guard=off' pgbench -h "$data" -p "$1" -i -s 1 -q "$2" >/dev/null 2>&1 ||
        PGOPTIONS= pgbench -h "$data" -p "$1" -i -s 1 -q "$2" >/dev/null
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

# Server CPU time of the backends a cluster has reaped so far, in clock
# ticks: the postmaster's cutime + cstime.  A pgbench connection's backend
# is reaped when it exits, so the difference around a run is that run's
# server-side CPU, which other load on the machine disturbs far less than
# wall-clock throughput.
reaped_ticks() {
    local pid
    pid=$(head -1 "$data/$1/postmaster.pid")
    awk '{print $16 + $17}' "/proc/$pid/stat"
}

# One pgbench run of a fixed number of transactions; prints
# "<tps> <server CPU microseconds per transaction>".
run() {
    local setup=$1 kind=$2 cluster=preload n before after tps
    [ "$setup" = baseline ] && cluster=plain
    set -- ${target[$setup]}
    local args=(-h "$data" -p "$1" -c 1 -n -M prepared)
    if [ "$kind" = select ]; then
        n=$select_tx
        args+=(-S)
    else
        n=$ddl_tx
        args+=(-f "$data/ddl.sql")
    fi
    [ -n "${BENCH_WARMUP:-}" ] && n=$((n / 4))
    local pm children
    pm=$(head -1 "$data/$cluster/postmaster.pid")
    children=$(pgrep -c -P "$pm")
    before=$(reaped_ticks "$cluster")
    local options=
    [ "$setup" = off ] && options='-c migrator.guard=off'
    tps=$(PGOPTIONS=$options pgbench "${args[@]}" -t "$n" "$2" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
    # wait until the postmaster has reaped the backend
    for _ in $(seq 1 50); do
        [ "$(pgrep -c -P "$pm")" -le "$children" ] && break
        sleep 0.05
    done
    after=$(reaped_ticks "$cluster")
    awk -v t="$tps" -v d=$((after - before)) -v n="$n" -v hz="$(getconf CLK_TCK)" \
        'BEGIN {printf "%s %.1f\n", t, d / hz * 1e6 / n}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Median of the per-round ratios of two lists of round results: rounds run
# next to each other, so the ratio of a round cancels the machine's drift.
paired() {
    paste <(echo $1 | tr ' ' '\n') <(echo $2 | tr ' ' '\n') |
        awk '{print $1 / $2}' | median | awk '{printf "%.3f", $1}'
}

echo "== guard overhead: $rounds alternating rounds per setup, 1 client;" \
     "select-only $select_tx transactions, DDL loop $ddl_tx transactions per round"
for kind in select ddl; do
    for s in baseline inert guarded off; do
        BENCH_WARMUP=1 run "$s" "$kind" >/dev/null    # warm caches, not counted
    done
    declare -A tps=() cpu=()
    for r in $(seq 1 "$rounds"); do
        for s in baseline inert guarded off; do
            read -r t c < <(run "$s" "$kind")
            tps[$s]+="$t "
            cpu[$s]+="$c "
        done
    done
    echo "$kind:"
    for s in baseline inert guarded off; do
        mt=$(echo ${tps[$s]} | tr ' ' '\n' | median)
        mc=$(echo ${cpu[$s]} | tr ' ' '\n' | median)
        printf '  %-8s  server CPU %8.1f us/tx (x%s)   throughput %10.1f tps (x%s)\n' \
            "$s" "$mc" "$(paired "${cpu[$s]}" "${cpu[baseline]}")" \
            "$mt" "$(paired "${tps[$s]}" "${tps[baseline]}")"
    done
    echo "  rounds, server CPU us/tx: baseline [${cpu[baseline]% }] inert [${cpu[inert]% }] guarded [${cpu[guarded]% }] off [${cpu[off]% }]"
    unset tps cpu
done

# The hook's judging alone, measured inside one backend so that nothing
# else differs: the same DDL loop as a procedure (a COMMIT per iteration),
# with migrator.guard switched between off and enforce each round; the
# sql_drop event trigger fires in both.  CPU from the backend's own
# /proc/<pid>/stat (utime + stime), read before and after each call.
cat >"$data/hook.sql" <<'SQL'
CREATE PROCEDURE pg_temp.ddl_loop(n int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. n LOOP
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
    END LOOP;
END $$;
CREATE FUNCTION pg_temp.ticks() RETURNS bigint LANGUAGE sql AS $$
    SELECT split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint
      FROM pg_read_file('/proc/' || pg_backend_pid() || '/stat') AS s
$$;
SQL
{
    cat "$data/hook.sql"
    echo "CALL pg_temp.ddl_loop($((ddl_tx / 4)));"    # warm-up
    for r in $(seq 1 "$rounds"); do
        for mode in off enforce; do
            echo "SET migrator.guard = $mode;"
            echo "SELECT pg_temp.ticks() AS ticks \\gset t_"
            echo "CALL pg_temp.ddl_loop($ddl_tx);"
            echo "SELECT '$mode', pg_temp.ticks() - :t_ticks;"
        done
    done
} >"$data/hook_run.sql"
set -- ${target[guarded]}
psql -h "$data" -p "$1" -d "$2" -qAt -F ' ' -f "$data/hook_run.sql" >"$data/hook.out"
off_cpu=$(awk '$1 == "off" {print $2}' "$data/hook.out" | tr '\n' ' ')
on_cpu=$(awk '$1 == "enforce" {print $2}' "$data/hook.out" | tr '\n' ' ')
hz=$(getconf CLK_TCK)
echo "hook alone (one backend, $ddl_tx DDL-loop transactions per round, guard off vs enforce):"
printf '  off       backend CPU %8.1f us/tx\n' \
    "$(echo $off_cpu | tr ' ' '\n' | median | awk -v hz="$hz" -v n="$ddl_tx" '{print $1 / hz * 1e6 / n}')"
printf '  enforce   backend CPU %8.1f us/tx (x%s)\n' \
    "$(echo $on_cpu | tr ' ' '\n' | median | awk -v hz="$hz" -v n="$ddl_tx" '{print $1 / hz * 1e6 / n}')" \
    "$(paired "$on_cpu" "$off_cpu")"
echo "  rounds, ticks: off [${off_cpu% }] enforce [${on_cpu% }]"
