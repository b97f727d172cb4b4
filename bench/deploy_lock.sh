#!/usr/bin/env bash
# Deploy under load, side by side in one run (docs/deploy.md shows the
# numbers):
#  1. ALTER TABLE ... ADD COLUMN on a busy table while a long transaction
#     holds an AccessShareLock on it: `psql -c` vs CALL migrator.deploy().
#  2. A 1M-row backfill while the application updates random rows of the
#     table: one plain UPDATE vs CALL migrator.backfill().
# The application is pgbench with a custom script, rate-limited so that the
# benchmark does not need the whole machine; latency is what pgbench logs
# per transaction (schedule lag included: what a user of the application
# would feel).  Prints max and p99 latency of the application during each
# run and the ratios.
#
# Starts its own cluster (as "postgres", in a temporary directory, with the
# extension built and installed privately as test/run.sh does) and stops
# it at the end.  Settings: BENCH_LOCK_TIMEOUT (ms, default 200),
# BENCH_HOLD (seconds the long transaction lives, default 5),
# BENCH_ROWS (backfill rows, default 1000000), BENCH_RATE (application
# transactions per second, default 200).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# As root, bench/run.sh prepares the tree and runs this script as postgres.
if [ "$(id -u)" = 0 ]; then
    exec bash "$here/bench/run.sh" deploy_lock
fi

LOCK_TIMEOUT=${BENCH_LOCK_TIMEOUT:-200}
HOLD=${BENCH_HOLD:-5}
ROWS=${BENCH_ROWS:-1000000}
RATE=${BENCH_RATE:-200}

cd "$here"
export PATH="$(bash scripts/tmp-install.sh):$PATH"

run=$(mktemp -d /tmp/migrator-bench-run.XXXXXX)
data="$run/data"
export PGHOST="$run" PGPORT=$((20000 + $$ % 10000)) PGDATABASE=postgres
initdb -D "$data" -A trust >/dev/null
cat >>"$data/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = ''
unix_socket_directories = '$run'
shared_preload_libraries = 'migrator'
fsync = off
synchronous_commit = off
lc_messages = 'C'
CONF
pg_ctl -D "$data" -l "$run/server.log" -w start >/dev/null
cleanup() {
    pg_ctl -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$run"
}
trap cleanup EXIT

psql -qX -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION migrator;
CREATE TABLE app (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
INSERT INTO app (id) SELECT g FROM generate_series(1, 10000) g;
CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, w int);
INSERT INTO big (id, v) SELECT g, g FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE;
SQL

cat >"$run/read.sql" <<'PGB'
\set id random(1, 10000)
SELECT v FROM app WHERE id = :id;
PGB
cat >"$run/update.sql" <<PGB
\set id random(1, $ROWS)
UPDATE big SET v = v + 1 WHERE id = :id;
PGB

# Arithmetic on decimals, with awk (one decimal, or 0/1 for a comparison).
calc() { awk "BEGIN { v = $1; if (v == int(v)) print v; else printf \"%.1f\\n\", v }"; }

# Max and p99 latency (ms) of the transactions pgbench logged in $1/ that
# ended between $2 and $3 (epoch seconds) plus one second: the application
# during the deploy, and the queries that were queued behind it.
latency() {
    cat "$1"/pgbench_log.* |
        awk -v from="$2" -v to="$3" '{ t = $5 + $6 / 1e6; if (t >= from && t <= to + 1) print $3 }' |
        sort -n | awk '
        { l[NR] = $1 }
        END { i = int(NR * 0.99); if (i < NR * 0.99) i++; if (i < 1) i = 1;
              printf "%.1f %.1f %d", l[NR] / 1000, l[i] / 1000, NR }'
}

# run_load NAME SCRIPT SECONDS: pgbench in the background, logs in $run/NAME.
run_load() {
    mkdir -p "$run/$1"
    (cd "$run/$1" && pgbench -n -c 4 -j 2 -R "$RATE" -T "$3" -f "$2" -l >/dev/null 2>&1) &
    load_pid=$!
}

# Scenario 1: ADD COLUMN behind a long transaction.
lock_run() {
    local name=$1 deploy=$2 col=$3
    run_load "$name" "$run/read.sql" $((HOLD + 6))
    sleep 1
    psql -qX -c "BEGIN; SELECT count(*) FROM app; SELECT pg_sleep($HOLD); COMMIT;" >/dev/null &
    local holder=$!
    sleep 1
    local start=$(date +%s.%N)
    if [ "$deploy" = psql ]; then
        psql -qX -c "ALTER TABLE app ADD COLUMN $col int" >/dev/null
    else
        psql -qX -c "SELECT migrator.register('$col', 'ALTER TABLE app ADD COLUMN $col int')" >/dev/null
        psql -qX -c "CALL migrator.deploy(lock_timeout => '${LOCK_TIMEOUT}ms', lock_retries => 1000)" \
            2>"$run/$name.notices"
    fi
    local end=$(date +%s.%N)
    wait "$holder" "$load_pid"
    printf '%s %.1f\n' "$(latency "$run/$name" "$start" "$end")" "$(calc "$end - $start")"
}

# Scenario 2: a backfill of every row of big, under a load of $3 seconds.
backfill_run() {
    local name=$1 how=$2
    run_load "$name" "$run/update.sql" "$3"
    sleep 2
    local start=$(date +%s.%N)
    if [ "$how" = plain ]; then
        psql -qX -c "UPDATE big SET w = v" >/dev/null
    else
        psql -qX -c "CALL migrator.backfill('big', set => 'w = v + 1', batch_size => 1000)" 2>/dev/null
    fi
    local end=$(date +%s.%N)
    wait "$load_pid"
    printf '%s %.1f\n' "$(latency "$run/$name" "$start" "$end")" "$(calc "$end - $start")"
}

ratio() { calc "$1 / $2"; }

echo "deploy behind a ${HOLD}s AccessShareLock holder, pgbench -c 4 -R $RATE reads on the table,"
echo "migrator.lock_timeout = ${LOCK_TIMEOUT}ms"
read -r p_max p_p99 p_n p_took <<<"$(lock_run lock_psql psql c_psql)"
read -r m_max m_p99 m_n m_took <<<"$(lock_run lock_migrator migrator c_migrator)"
retries=$(grep -o 'with [0-9]* retries' "$run/lock_migrator.notices" | grep -o '[0-9]*' || echo '?')
printf '  %-26s max %8.1f ms  p99 %8.1f ms  (%s transactions, DDL took %ss)\n' \
    "psql -c 'ALTER TABLE'" "$p_max" "$p_p99" "$p_n" "$p_took"
printf '  %-26s max %8.1f ms  p99 %8.1f ms  (%s transactions, deploy took %ss, %s retries)\n' \
    "CALL migrator.deploy()" "$m_max" "$m_p99" "$m_n" "$m_took" "$retries"
echo "  ratio psql/migrator: max $(ratio "$p_max" "$m_max")x, p99 $(ratio "$p_p99" "$m_p99")x"
if [ "$(calc "$m_max < 2 * $LOCK_TIMEOUT")" = 1 ]; then
    echo "  migrator max < 2 x lock_timeout: yes"
else
    echo "  migrator max < 2 x lock_timeout: NO"
fi

echo
echo "backfill of $ROWS rows, pgbench -c 4 -R $RATE single-row updates on the same table"
read -r p_max p_p99 p_n p_took <<<"$(backfill_run backfill_plain plain 40)"
# The batched backfill takes longer; the load has to outlast it.
read -r m_max m_p99 m_n m_took <<<"$(backfill_run backfill_migrator migrator \
    "$(calc "int($p_took * 4 + 10)")")"
printf '  %-26s max %8.1f ms  p99 %8.1f ms  (%s transactions, backfill took %ss)\n' \
    "UPDATE big SET w = v" "$p_max" "$p_p99" "$p_n" "$p_took"
printf '  %-26s max %8.1f ms  p99 %8.1f ms  (%s transactions, backfill took %ss)\n' \
    "CALL migrator.backfill()" "$m_max" "$m_p99" "$m_n" "$m_took"
echo "  ratio plain/migrator: max $(ratio "$p_max" "$m_max")x, p99 $(ratio "$p_p99" "$m_p99")x"
