#!/usr/bin/env bash
# What the guard costs, counted in instructions rather than time: the DDL
# loop of bench/guard_overhead.sh run by one backend under valgrind's
# callgrind, for the same four setups (baseline: no migrator; inert:
# preloaded, database without the extension; guarded; off: the guarded
# database with migrator.guard = off).  Instruction counts do not move with
# the load of a shared machine, where throughput and CPU time vary by more
# than the effect measured; callgrind_annotate shows where they go.
#
#   bash bench/guard_instructions.sh      (BENCH_DDL_TX=100 by default)
#
# Each setup gets its own throwaway cluster with the postmaster under
# callgrind (every backend is counted in a file of its own); two sessions
# run the loop 10 and 10 + N times, and the difference divided by N is
# the cost of one transaction, connection and warm-up excluded.  A few
# minutes per setup.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${BENCH_DDL_TX:-100}

if [ "$(id -u)" = 0 ]; then
    exec bash "$here/bench/run.sh" guard_instructions
fi
command -v valgrind >/dev/null || { echo "guard_instructions: valgrind is not installed"; exit 0; }

cd "$here"
PG_CONFIG=${PG_CONFIG:-pg_config}
tmp="$here/tmp_install"
if [ ! -f "$tmp$($PG_CONFIG --pkglibdir)/migrator.so" ]; then
    echo "== build and private installation in tmp_install/"
    bash scripts/tmp-install.sh >/dev/null
fi
bin="$tmp$($PG_CONFIG --bindir)"
data=$(mktemp -d /tmp/migrator-bench-cg.XXXXXX)
port=$((55000 + RANDOM % 4000))
trap 'for d in "$data"/*/pg; do "$bin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done; rm -rf "$data"' EXIT

cat >"$data/ddl.sql" <<'SQL'
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
SQL

# Instructions of one transaction of the DDL loop, and of one select-only
# transaction, in setup $1.
count() {
    local setup=$1 d="$data/$1" opts= a b
    mkdir -p "$d/out"
    "$bin/initdb" -D "$d/pg" -A trust -U postgres >/dev/null
    cat >>"$d/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$d'
port = $port
fsync = off
synchronous_commit = off
autovacuum = off
max_worker_processes = 2
CONF
    [ "$setup" != baseline ] && echo "shared_preload_libraries = 'migrator'" >>"$d/pg/postgresql.conf"
    valgrind --tool=callgrind --callgrind-out-file="$d/out/cg.%p" --log-file="$d/vg.%p" \
        "$bin/postgres" -D "$d/pg" >"$d/log" 2>&1 &
    for _ in $(seq 1 300); do "$bin/pg_isready" -q -h "$d" -p "$port" && break; sleep 1; done
    if [ "$setup" = guarded ] || [ "$setup" = off ]; then
        "$bin/psql" -h "$d" -p "$port" -d postgres -qc 'CREATE EXTENSION migrator' >/dev/null
    fi
    [ "$setup" = off ] && opts='-c migrator.guard=off'
    for k in 10 $((10 + n)); do
        PGOPTIONS=$opts "$bin/psql" -h "$d" -p "$port" -d postgres -qAtX \
            -c 'SELECT pg_backend_pid()' -f "$data/ddl.sql" -c "CALL pg_temp.ddl_loop($k)" >"$d/ddl.$k"
    done
    PGOPTIONS='-c migrator.guard=off' "$bin/psql" -h "$d" -p "$port" -d postgres -q -c \
        'CREATE TABLE kv (k int PRIMARY KEY, v int); INSERT INTO kv SELECT i, i FROM generate_series(1, 1000) i'
    # select-only: pgbench -S's query on a small table, one transaction each
    # (autocommit), from one psql session per run
    for k in 100 $((100 + 10 * n)); do
        { echo 'SELECT pg_backend_pid();'; awk -v k="$k" 'BEGIN {for (i = 0; i < k; i++) printf "SELECT v FROM kv WHERE k = %d;\n", i % 1000 + 1}'; } |
            PGOPTIONS=$opts "$bin/psql" -h "$d" -p "$port" -d postgres -qAtX >"$d/sel.$k"
    done
    "$bin/pg_ctl" -D "$d/pg" -m fast stop >/dev/null 2>&1 || true
    sleep 5
    echo "$(delta "$d" "$(head -1 "$d/ddl.10")" "$(head -1 "$d/ddl.$((10 + n))")" "$n")" \
         "$(delta "$d" "$(head -1 "$d/sel.100")" "$(head -1 "$d/sel.$((100 + 10 * n))")" "$((10 * n))")"
}

# Instructions per transaction: the difference between two backends' totals.
delta() {
    local d=$1 a b
    a=$(callgrind_annotate "$d/out/cg.$2" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    b=$(callgrind_annotate "$d/out/cg.$3" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    echo $(( (b - a) / $4 ))
}

echo "== guard cost in instructions, one backend under callgrind:" \
     "DDL loop $n transactions, select-only $((10 * n)) transactions"
declare -A ddl sel
for s in baseline inert guarded off; do
    read -r ddl[$s] sel[$s] < <(count "$s")
done
for s in baseline inert guarded off; do
    awk -v s="$s" -v i="${ddl[$s]}" -v b="${ddl[baseline]}" -v j="${sel[$s]}" -v c="${sel[baseline]}" \
        'BEGIN {printf "  %-8s  DDL loop %10d instructions/tx (x%.3f)   select-only %8d instructions/tx (x%.3f)\n", s, i, i / b, j, j / c}'
done
