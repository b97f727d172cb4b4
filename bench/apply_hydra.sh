#!/usr/bin/env bash
# Applies the real Ory Hydra history ($MIGRATOR_CORPORA/hydra, 228 versions)
# on one throwaway cluster with fsync on, side by side, in each round:
#   psql -1:  every up file in one transaction of one psql session (what
#             migrator.apply() does in the server)
#   session:  the same files in one psql session, BEGIN/COMMIT per file
#   per file: psql -1 -f for each up file, a connection each
#   migrator: register every migration in one transaction (as "migrator
#             push" does), then one migrator.apply()
# The order of the four alternates from round to round (BENCH_ROUNDS,
# default 5), so that a slow spell of a shared machine does not always hit
# the same one; each round prints its ratios, and the medians are printed
# at the end.  The goal is migrator/(psql -1) <= 1.0.
# The .autocommit. migrations (CREATE INDEX CONCURRENTLY) cannot run in a
# transaction block; all sides skip them (migrator runs them with deploy).
set -euo pipefail
shopt -s inherit_errexit
export PGOPTIONS='-c client_min_messages=warning'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
if [ -z "${MIGRATOR_CORPORA:-}" ] || [ ! -d "$MIGRATOR_CORPORA/hydra/migrations" ]; then
    echo "skipped: no corpus (set MIGRATOR_CORPORA to the directory that holds hydra/)"
    exit 0
fi
corpus=$MIGRATOR_CORPORA/hydra/migrations
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

# Every file in one transaction of one psql session.
run_plain_one() {
    local db=$1 script
    createdb "$db"
    script=$(mktemp)
    echo 'BEGIN;' >"$script"
    for f in "${ups[@]}"; do
        printf '\\i %q\n' "$corpus/$f" >>"$script"
    done
    echo 'COMMIT;' >>"$script"
    local t0 t1
    t0=$(bench_now_ms)
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$script" >/dev/null
    t1=$(bench_now_ms)
    rm -f "$script"
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

rounds=${BENCH_ROUNDS:-5}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") printf "-"; else printf "%.2f", a / b }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# BENCH_SIDES narrows a run (e.g. "one migrator"); BENCH_DEPLOY=0 skips
# the deploy of the whole history at the end.
read -r -a sides <<<"${BENCH_SIDES:-one session file migrator}"
o=- s=- p=- m=- reg=- app=-
: >"$BENCH_DIR/r_mig_one"; : >"$BENCH_DIR/r_mig_session"; : >"$BENCH_DIR/r_app_one"
for round in $(seq "$rounds"); do
    # rotate the order of the sides
    order=("${sides[@]:$(( (round - 1) % ${#sides[@]} ))}" "${sides[@]:0:$(( (round - 1) % ${#sides[@]} ))}")
    for side in "${order[@]}"; do
        case $side in
            one) o=$(run_plain_one one$round) ;;
            session) s=$(run_plain_session session$round) ;;
            file) p=$(run_plain plain$round) ;;
            migrator) read -r m reg app <<<"$(run_migrator mig$round)" ;;
        esac
    done
    echo "round $round (${order[*]}): psql -1 ${o} ms | session, BEGIN/COMMIT per file ${s} ms | psql -1 per file ${p} ms | migrator ${m} ms (register ${reg} + apply ${app})"
    echo "         ratios: migrator/(psql -1) $(ratio "$m" "$o"), migrator/session $(ratio "$m" "$s"), migrator/(per file) $(ratio "$m" "$p"), apply alone/(psql -1) $(ratio "$app" "$o")"
    ratio "$m" "$o" >>"$BENCH_DIR/r_mig_one"; echo >>"$BENCH_DIR/r_mig_one"
    ratio "$m" "$s" >>"$BENCH_DIR/r_mig_session"; echo >>"$BENCH_DIR/r_mig_session"
    ratio "$app" "$o" >>"$BENCH_DIR/r_app_one"; echo >>"$BENCH_DIR/r_app_one"
done
med() { if grep -q -v -x -e '' -e - "$1"; then grep -v -x -e '' -e - "$1" | median; else echo -; fi; }
echo "median of $rounds rounds: migrator/(psql -1) $(med "$BENCH_DIR/r_mig_one"), migrator/session $(med "$BENCH_DIR/r_mig_session"), apply alone/(psql -1) $(med "$BENCH_DIR/r_app_one")"
echo "migrations recorded as applied: $(cat "$BENCH_DIR/applied")"
for db in one1 session1 plain1; do
    psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 || continue
    if ! diff <(schema_of "$db") <(schema_of mig1) >/dev/null; then
        echo "schemas: DIFFERENT ($db, mig1)"
        diff <(schema_of "$db") <(schema_of mig1) | head -20
        exit 1
    fi
done
echo "schemas: identical (pg_dump -s, migrator's own schema excluded)"

[ "${BENCH_DEPLOY:-1}" = 0 ] && exit 0
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

