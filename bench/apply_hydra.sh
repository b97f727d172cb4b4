#!/usr/bin/env bash
# Applies the real Ory Hydra history (../shared/corpora/hydra, 228 versions)
# two ways on one throwaway cluster with fsync on, side by side:
#   plain:    psql -1 -f for each up file, in version order
#   migrator: register every migration, then one migrator.apply()
# The .autocommit. migrations (CREATE INDEX CONCURRENTLY) cannot run in a
# transaction block; both sides skip them (migrator runs them with deploy).
set -euo pipefail
shopt -s inherit_errexit
export PGOPTIONS='-c client_min_messages=warning'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
corpus=${MIGRATOR_CORPORA:-$here/../../shared/corpora}/hydra/migrations
if [ ! -d "$corpus" ]; then
    echo "skipped: no corpus at $corpus"
    exit 0
fi
bench_cluster_start
mapfile -t ups < <(cd "$corpus" && ls *.up.sql | grep -v '\.autocommit\.' | sort)
echo "transactional up scripts: ${#ups[@]}, skipped autocommit: $(cd "$corpus" && ls *.autocommit.up.sql | wc -l)"

run_plain() {
    local db=$1
    createdb "$db"
    local t0 t1
    t0=$(bench_now_ms)
    for f in "${ups[@]}"; do
        psql -X -q -v ON_ERROR_STOP=1 -1 -d "$db" -f "$corpus/$f" >/dev/null
    done
    t1=$(bench_now_ms)
    echo $((t1 - t0))
}

# The same files in one psql session, each in its own transaction: no
# connection per file.
run_plain_session() {
    local db=$1 script
    createdb "$db"
    script=$(mktemp)
    for f in "${ups[@]}"; do
        printf 'BEGIN;\n\\i %q\nCOMMIT;\n' "$corpus/$f" >>"$script"
    done
    local t0 t1
    t0=$(bench_now_ms)
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$script" >/dev/null
    t1=$(bench_now_ms)
    rm -f "$script"
    echo $((t1 - t0))
}

run_migrator() {
    local db=$1 script
    createdb "$db"
    psql -X -q -d "$db" -c 'CREATE EXTENSION migrator'
    script=$(mktemp)
    echo 'BEGIN;' >>"$script"
    for f in "${ups[@]}"; do
        local v=${f%%_*} down=${f%.up.sql}.down.sql
        # The server reads the files (pg_read_file), so no shell runs per file.
        local downsql="'-- no down script in the project'"
        # A missing or empty down script is registered as an explicit no-op,
        # as the project's own history has it.
        if [ -s "$corpus/$down" ] && grep -q '[^[:space:]]' "$corpus/$down"; then
            downsql="pg_read_file('$corpus/$down')"
        fi
        printf "SELECT 1 FROM migrator.register('%s', pg_read_file('%s'), %s, plan => 'imported from the project''s history');\n" \
            "$v" "$corpus/$f" "$downsql" >>"$script"
    done
    echo 'COMMIT;' >>"$script"
    local t0 t1 t2
    t0=$(bench_now_ms)
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$script" >/dev/null
    t1=$(bench_now_ms)
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'SELECT count(*) FROM migrator.apply()' >/dev/null
    t2=$(bench_now_ms)
    rm -f "$script"
    psql -X -At -d "$db" -c "SELECT count(*) FROM migrator.status() WHERE state = 'applied'" >"$BENCH_DIR/applied"
    echo "$((t2 - t0)) $((t1 - t0)) $((t2 - t1))"
}

schema_of() {
    pg_dump -s -d "$1" --exclude-schema=migrator |
        grep -v -E '^(--|SET |SELECT pg_catalog.set_config|\\(un)?restrict |$)|EXTENSION (IF NOT EXISTS )?migrator' | sort
}

for round in 1 2 3; do
    p=$(run_plain plain$round)
    s=$(run_plain_session session$round)
    read -r m reg app <<<"$(run_migrator mig$round)"
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
    echo "round $round: psql -1 per file ${p} ms | one psql session, BEGIN/COMMIT per file ${s} ms | migrator ${m} ms (register ${reg} + apply ${app})"
    echo "         ratios: migrator/(psql -1 per file) $(ratio "$m" "$p"), migrator/session $(ratio "$m" "$s"), apply alone/session $(ratio "$app" "$s")"
done
echo "migrations recorded as applied: $(cat "$BENCH_DIR/applied")"
if diff <(schema_of plain1) <(schema_of mig1) >/dev/null; then
    echo "schemas: identical (pg_dump -s, migrator's own schema excluded)"
else
    echo "schemas: DIFFERENT"
    diff <(schema_of plain1) <(schema_of mig1) | head -20
    exit 1
fi

# The whole history, the .autocommit. migrations included (registered with
# transactional => false), with CALL migrator.deploy(): a commit per
# migration, CREATE INDEX CONCURRENTLY in a background worker.
createdb deployall
psql -X -q -d deployall -c 'CREATE EXTENSION migrator'
script=$(mktemp)
echo 'BEGIN;' >"$script"
for f in $(cd "$corpus" && ls *.up.sql | sort); do
    v=${f%%_*}
    base=${f%.up.sql}
    down="$corpus/$base.down.sql"
    [ -f "$down" ] || down="$corpus/${base%.autocommit}.down.sql"
    tx=true
    case $f in *.autocommit.*) tx=false ;; esac
    downsql="'-- no down script in the project'"
    if [ -s "$down" ] && grep -q '[^[:space:]]' "$down"; then
        downsql="pg_read_file('$down')"
    fi
    printf "SELECT 1 FROM migrator.register('%s', pg_read_file('%s'), %s, plan => 'imported from the project''s history', transactional => %s);\n" \
        "$v" "$corpus/$f" "$downsql" "$tx" >>"$script"
done
echo 'COMMIT;' >>"$script"
psql -X -q -v ON_ERROR_STOP=1 -d deployall -f "$script" >/dev/null
rm -f "$script"
t0=$(bench_now_ms)
psql -X -q -v ON_ERROR_STOP=1 -d deployall -c 'CALL migrator.deploy()' >/dev/null
t1=$(bench_now_ms)
echo "CALL migrator.deploy() of all $(cd "$corpus" && ls *.up.sql | wc -l) migrations: $((t1 - t0)) ms;" \
    "applied: $(psql -X -At -d deployall -c "SELECT count(*) FROM migrator.status() WHERE state = 'applied'")," \
    "non-transactional among them: $(psql -X -At -d deployall -c "SELECT count(*) FROM migrator.status() WHERE state = 'applied' AND NOT transactional")," \
    "invalid indexes: $(psql -X -At -d deployall -c 'SELECT count(*) FROM pg_index WHERE NOT indisvalid')"

