#!/usr/bin/env bash
# Staged changes under load, side by side in one run (docs/staged.md):
# rename a column (users.name -> full_name) and change a type
# (orders.amount int -> numeric(12,2)) of two tables of BENCH_ROWS rows
# each, while two clients work: one written for the old shape (on the old
# version's schema), one for the new shape (on the new version's schema,
# from the moment the new shape exists).
#  1. plain ALTER TABLE from psql: the rename breaks the old client, the
#     type change rewrites the table under an ACCESS EXCLUSIVE lock;
#  2. migrator.stage() + CALL migrator.deploy() + CALL migrator.complete(),
#     the old client stopping before complete() (it is gone by then in a
#     real rollout).
# Prints for each client its errors and its max and p99 latency during the
# change (pgbench's per-transaction log, schedule lag included: what a user
# of the application feels), the rows checked consistent in both shapes,
# and the ratios.  The clients run in chunks of BENCH_CHUNK seconds until
# told to stop, so that each chunk's log is complete; a client that fails
# is restarted, and its error counted.
#
# Starts its own cluster (as "postgres", in a temporary directory, with the
# extension built and installed privately, as test/run.sh does).
# Settings: BENCH_ROWS (default 1000000), BENCH_RATE (transactions per
# second of each client, default 50), BENCH_LOCK_TIMEOUT (ms, default 300).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
    exec bash "$here/bench/run.sh" staged_changes
fi

ROWS=${BENCH_ROWS:-1000000}
RATE=${BENCH_RATE:-50}
LOCK_TIMEOUT=${BENCH_LOCK_TIMEOUT:-300}
CHUNK=${BENCH_CHUNK:-5}

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
migrator.lock_timeout = '${LOCK_TIMEOUT}ms'
max_wal_size = '4GB'
# every lock wait of 50 ms or more is logged, with the waiter's application
# name: the application's lock waits, apart from the machine's CPU noise
log_lock_waits = on
deadlock_timeout = '50ms'
log_line_prefix = '%a|'
CONF
pg_ctl -D "$data" -l "$run/server.log" -w start >/dev/null
cleanup() {
    touch "$run"/stop_old "$run"/stop_new 2>/dev/null || true
    wait 2>/dev/null || true
    pg_ctl -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$run"
}
trap cleanup EXIT

calc() { awk "BEGIN { v = $1; if (v == int(v)) print v; else printf \"%.1f\\n\", v }"; }
now() { date +%s.%N; }

# A fresh database with the two tables and migration 1 applied.
setup() {
    local db=$1
    psql -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db"
    psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
CREATE EXTENSION migrator;
CREATE SCHEMA app;
CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE app.orders (id int PRIMARY KEY, user_id int NOT NULL, amount int NOT NULL DEFAULT 0);
INSERT INTO app.users SELECT g, 'user ' || g, g || '@example.com' FROM generate_series(1, $ROWS) g;
INSERT INTO app.orders SELECT g, g, g % 1000 FROM generate_series(1, $ROWS) g;
CREATE INDEX orders_user_id ON app.orders (user_id);
SELECT count(*) FROM migrator.register('1', 'SELECT 1', 'SELECT 1');
SELECT count(*) FROM migrator.apply();
VACUUM ANALYZE;
SQL
}

# The clients: the same work in each shape.
cat >"$run/old.sql" <<PGB
\set id random(1, $ROWS)
UPDATE users SET name = 'user ' || :id WHERE id = :id;
UPDATE orders SET amount = amount + 1 WHERE id = :id;
SELECT u.name, o.amount FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id = :id;
PGB
cat >"$run/new.sql" <<PGB
\set id random(1, $ROWS)
UPDATE users SET full_name = 'user ' || :id WHERE id = :id;
UPDATE orders SET amount = amount + 0.25 WHERE id = :id;
SELECT u.full_name, o.amount FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id = :id;
PGB

# client NAME DB SEARCH_PATH SCRIPT: pgbench in chunks until $run/stop_NAME
# exists; logs in $run/NAME/, failed chunks counted in $run/NAME/errors.
client() {
    local name=$1 db=$2 path=$3 script=$4
    mkdir -p "$run/$name"
    : >"$run/$name/errors"
    (
        cd "$run/$name"
        while [ ! -e "$run/stop_$name" ]; do
            if ! PGOPTIONS="-c search_path=$path" pgbench -n -c 1 -R "$RATE" -T "$CHUNK" \
                    -f "$script" -l "$db" >>"$run/$name/out" 2>>"$run/$name/err"; then
                echo x >>"$run/$name/errors"
                sleep 0.2
            fi
        done
    ) &
}

# Errors of client NAME: failed chunks plus failed transactions pgbench reported.
errors() {
    local failed aborted
    failed=$(grep -h 'number of failed transactions' "$run/$1/out" 2>/dev/null |
        awk '{ s += $5 } END { print s + 0 }')
    aborted=$(wc -l <"$run/$1/errors")
    echo $((failed + aborted))
}

# Max and p99 latency (ms) and count of the transactions of client NAME
# that ended between FROM and TO (epoch seconds) plus one second.
latency() {
    cat "$run/$1"/pgbench_log.* 2>/dev/null |
        awk -v from="$2" -v to="$3" '{ t = $5 + $6 / 1e6; if (t >= from && t <= to + 1) print $3 }' |
        sort -n | awk '
        { l[NR] = $1 }
        END { if (NR == 0) { print "0 0 0"; exit }
              i = int(NR * 0.99); if (i < NR * 0.99) i++; if (i < 1) i = 1;
              printf "%.1f %.1f %d", l[NR] / 1000, l[i] / 1000, NR }'
}

# Lock waits of the application clients (pgbench) logged since byte offset
# FROM of the server log: "COUNT LONGEST_MS" (a wait that never ended is
# counted with the time it was last reported at).
lock_waits() {
    tail -c +"$(($1 + 1))" "$run/server.log" |
        awk -F'|' '$1 == "pgbench" && /(still waiting for|acquired) .* after [0-9.]+ ms/ {
                match($0, /process [0-9]+/); p = substr($0, RSTART, RLENGTH)
                match($0, /after [0-9.]+ ms/); ms = substr($0, RSTART + 6, RLENGTH - 9) + 0
                if (/still waiting/ && !(p in open)) { open[p] = 1; count++ }
                if (/acquired/) delete open[p]
                if (ms > max) max = ms
            }
            END { printf "%d %.1f", count, max }'
}
log_size() { stat -c %s "$run/server.log"; }

# Wait until the chunked client NAME has finished its last chunk.
wait_client() {
    local name=$1
    touch "$run/stop_$name"
    while pgrep -f "pgbench.*-f $run/$2" >/dev/null 2>&1; do sleep 0.2; done
    sleep 0.5
}

# ---- 1. plain ALTER TABLE from psql, as without migrator ----
setup plain
client old_plain plain "app_1,app" "$run/old.sql"
sleep 3
p_log=$(log_size)
p_start=$(now)
# (migrator's guard refuses an unplanned destructive ALTER: off for this one)
psql -qX -d plain -v ON_ERROR_STOP=1 -c "SET migrator.guard = off" \
    -c "ALTER TABLE app.users RENAME COLUMN name TO full_name" \
    -c "ALTER TABLE app.orders ALTER COLUMN amount TYPE numeric(12,2) USING amount::numeric(12,2)"
p_end=$(now)
client new_plain plain "app_3,app" "$run/new.sql"
sleep 3
wait_client old_plain old.sql
wait_client new_plain new.sql
read -r po_max po_p99 po_n <<<"$(latency old_plain "$p_start" "$p_end")"
read -r pn_max pn_p99 pn_n <<<"$(latency new_plain "$p_start" "$p_end")"
read -r p_waits p_wait_max <<<"$(lock_waits "$p_log")"
po_err=$(errors old_plain)
pn_err=$(errors new_plain)
old_error=$(grep -h -m1 'ERROR' "$run/old_plain/err" 2>/dev/null | sed 's/.*ERROR: *//' | head -1 || true)

# ---- 2. stage() + deploy() + complete() ----
setup staged
psql -qX -d staged -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT migrator.stage('2', $$ALTER TABLE app.users RENAME COLUMN name TO full_name$$);
SELECT migrator.stage('3', $$ALTER TABLE app.orders ALTER COLUMN amount TYPE numeric(12,2)$$,
                      up => 'amount::numeric(12,2)', down => 'round(amount)::int');
SQL
b_start=$(now)
s_log=$(log_size)
client old_staged staged "app_1,app" "$run/old.sql"
sleep 3
s_start=$(now)
psql -qX -d staged -c "CALL migrator.deploy()" 2>"$run/deploy.notices"
s_expanded=$(now)
client new_staged staged "app_3,app" "$run/new.sql"
sleep $((CHUNK * 2))
# every row, in both shapes, while both clients write
consistent=$(psql -qXAt -d staged -c "
    SELECT count(*) FILTER (WHERE o.amount = round(n.amount)::int AND ou.name = nu.full_name)
      FROM app_1.orders o JOIN app_3.orders n USING (id)
      JOIN app_1.users ou ON ou.id = o.user_id JOIN app_3.users nu ON nu.id = o.user_id")
total=$(psql -qXAt -d staged -c "SELECT count(*) FROM app.orders")
wait_client old_staged old.sql
s_complete=$(now)
psql -qX -d staged -c "CALL migrator.complete('2')" -c "CALL migrator.complete('3')" 2>"$run/complete.notices"
s_end=$(now)
sleep 3
wait_client new_staged new.sql
read -r so_max so_p99 so_n <<<"$(latency old_staged "$s_start" "$s_end")"
read -r sn_max sn_p99 sn_n <<<"$(latency new_staged "$s_start" "$s_end")"
# the machine's own noise: the old client before anything runs
read -r bo_max bo_p99 bo_n <<<"$(latency old_staged "$b_start" "$(calc "$s_start - 1")")"
# the new client's worst wait in each phase
read -r sd_max _ _ <<<"$(latency new_staged "$s_expanded" "$(calc "$s_expanded + $CHUNK")")"
read -r sc_max _ _ <<<"$(latency new_staged "$s_complete" "$s_end")"
read -r od_max _ _ <<<"$(latency old_staged "$s_start" "$s_expanded")"
read -r s_waits s_wait_max <<<"$(lock_waits "$s_log")"
so_err=$(errors old_staged)
sn_err=$(errors new_staged)
final=$(psql -qXAt -d staged -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
    WHERE attrelid = 'app.orders'::regclass AND attname = 'amount'")
retries=$(grep -o 'with [0-9]* retries' "$run/deploy.notices" | grep -o '[0-9]*' | paste -sd+ | bc 2>/dev/null || echo '?')

echo "rename users.name and change orders.amount int -> numeric(12,2) on two tables of $ROWS rows,"
echo "one pgbench client per version at $RATE tps each, migrator.lock_timeout = ${LOCK_TIMEOUT}ms"
echo
echo "1. plain ALTER TABLE from psql ($(calc "$p_end - $p_start")s)"
printf '  %-34s errors %5s  max %9.1f ms  p99 %9.1f ms  (%s transactions)\n' \
    "old client (app_1,app)" "$po_err" "$po_max" "$po_p99" "$po_n"
printf '  %-34s errors %5s  max %9.1f ms  p99 %9.1f ms  (%s transactions)\n' \
    "new client (after the ALTER)" "$pn_err" "$pn_max" "$pn_p99" "$pn_n"
echo "  old client's error: ${old_error:-none}"
echo "  rows consistent in both shapes: none (the old shape is gone when the ALTER commits)"
echo "  application lock waits of 50 ms or more: $p_waits, the longest $p_wait_max ms"
echo
echo "2. stage() + deploy() ($(calc "$s_expanded - $s_start")s) + complete() ($(calc "$s_end - $s_expanded")s later), $retries lock retries"
printf '  %-34s errors %5s  max %9.1f ms  p99 %9.1f ms  (%s transactions)\n' \
    "old client (app_1,app)" "$so_err" "$so_max" "$so_p99" "$so_n"
printf '  %-34s errors %5s  max %9.1f ms  p99 %9.1f ms  (%s transactions)\n' \
    "new client (app_3,app)" "$sn_err" "$sn_max" "$sn_p99" "$sn_n"
echo "  rows consistent in both shapes: $consistent of $total; amount after complete: $final"
echo "  worst wait by phase: old client during deploy() $od_max ms; new client in its first ${CHUNK}s $sd_max ms, during complete() $sc_max ms"
echo "  application lock waits of 50 ms or more: $s_waits, the longest $s_wait_max ms"
echo "  (before any change, the old client alone: max $bo_max ms, p99 $bo_p99 ms, $bo_n transactions: the machine's noise)"
echo
# The worst wait an application transaction saw during the change: the
# longest latency of a transaction that finished, or the longest lock wait
# logged (a transaction that waited and then failed has no latency).
max3() { calc "($1 > $2) ? (($1 > $3) ? $1 : $3) : (($2 > $3) ? $2 : $3)"; }
p_worst=$(max3 "$po_max" "$pn_max" "$p_wait_max")
worst=$(max3 "$so_max" "$sn_max" "$s_wait_max")
if [ "$po_err" != 0 ]; then
    echo "plain ALTER broke the old client ($po_err errors; worst wait of what still ran ${p_worst} ms);" \
        "staged: $((so_err + sn_err)) errors, worst wait ${worst} ms"
elif [ "$(calc "$worst > 0")" = 1 ]; then
    echo "worst application wait: plain ${p_worst} ms, staged ${worst} ms: ratio plain/staged $(calc "$p_worst / $worst")x;" \
        "errors $((po_err + pn_err)) vs $((so_err + sn_err))"
else
    echo "worst application wait: plain ${p_worst} ms, staged ${worst} ms; errors $((po_err + pn_err)) vs $((so_err + sn_err))"
fi
if [ "$so_err" = 0 ] && [ "$sn_err" = 0 ] && [ "$consistent" = "$total" ] &&
   [ "$(calc "$worst < 2 * $LOCK_TIMEOUT")" = 1 ]; then
    echo "goal (0 errors, worst wait < 2 x lock_timeout = $((2 * LOCK_TIMEOUT)) ms, every row consistent): met"
else
    echo "goal (0 errors, worst wait < 2 x lock_timeout = $((2 * LOCK_TIMEOUT)) ms, every row consistent): NOT met"
fi
