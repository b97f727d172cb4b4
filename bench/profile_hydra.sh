#!/usr/bin/env bash
# Where register + apply spend their instructions, against psql -1, counted
# with callgrind (repeatable on a shared machine, where timings are not).
# The whole cluster runs under valgrind --tool=callgrind; two sessions do
# the work, each in one backend:
#   plain:    every transactional Hydra up script in one transaction (psql -1)
#   migrator: register every migration in one transaction (as the client's
#             "migrator push" does), then SELECT migrator.apply()
# Prints both backends' instruction counts, their ratio, and the inclusive
# cost of migrator's own steps in the migrator backend.  Slow (minutes).
# BENCH_PROFILE_KEEP=1 keeps the callgrind files (path printed).
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

# postgres under callgrind: a wrapper named postgres beside a copy of
# pg_ctl, which starts the postgres of its own directory (initdb, linked,
# runs the real one natively).
bin=$(pg_config --bindir)
wrapdir=$(mktemp -d /tmp/migrator-profile.XXXXXX)
mkdir -p "$wrapdir/bin" "$wrapdir/cg"
ln -s "$bin/initdb" "$wrapdir/bin/initdb"
cp "$bin/pg_ctl" "$wrapdir/bin/pg_ctl"
cat >"$wrapdir/bin/postgres" <<WRAP
#!/bin/sh
case "\$1" in --boot|--single|-V|--version|-C|--describe-config) exec "$bin/postgres" "\$@";; esac
exec valgrind --quiet --tool=callgrind --callgrind-out-file=$wrapdir/cg/cg.%p "$bin/postgres" "\$@"
WRAP
chmod +x "$wrapdir/bin/postgres"
bench_bindir=$wrapdir/bin
bench_cluster_start
trap 'bench_cluster_stop; [ -n "${BENCH_PROFILE_KEEP:-}" ] || rm -rf "$wrapdir"' EXIT

mapfile -t ups < <(cd "$corpus" && ls *.up.sql | grep -v '\.autocommit\.' | sort)
createdb plain
createdb mig
psql -X -q -d mig -c 'CREATE EXTENSION migrator'

plain=$(mktemp)
mig=$(mktemp)
echo 'SELECT pg_backend_pid() AS pid \gset' >"$plain"
echo '\o /dev/null' >>"$plain"
echo 'BEGIN;' >>"$plain"
for f in "${ups[@]}"; do printf '\\i %q\n' "$corpus/$f" >>"$plain"; done
echo 'COMMIT;' >>"$plain"
echo '\o' >>"$plain"
echo '\echo :pid' >>"$plain"

echo 'SELECT pg_backend_pid() AS pid \gset' >"$mig"
echo '\o /dev/null' >>"$mig"
echo 'BEGIN;' >>"$mig"
for f in "${ups[@]}"; do
    v=${f%%_*}
    printf "SELECT 1 FROM migrator.register('%s', pg_read_file('%s'), '-- none', plan => 'imported');\n" \
        "$v" "$corpus/$f" >>"$mig"
done
echo 'COMMIT;' >>"$mig"
echo 'SELECT count(*) FROM migrator.apply();' >>"$mig"
echo '\o' >>"$mig"
echo '\echo :pid' >>"$mig"

ppid=$(psql -X -q -v ON_ERROR_STOP=1 -d plain -f "$plain" | tail -1)
mpid=$(psql -X -q -v ON_ERROR_STOP=1 -d mig -f "$mig" | tail -1)
rm -f "$plain" "$mig"
# A backend writes its profile when it exits.
for _ in $(seq 60); do
    [ -s "$wrapdir/cg/cg.$ppid" ] && [ -s "$wrapdir/cg/cg.$mpid" ] && break
    sleep 1
done
sleep 2

total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'; }
pi=$(total "$wrapdir/cg/cg.$ppid")
mi=$(total "$wrapdir/cg/cg.$mpid")
echo "instructions: psql -1 $pi, migrator register + apply $mi, ratio $(awk -v a="$mi" -v b="$pi" 'BEGIN { printf "%.3f", a / b }')"
# Inclusive instructions of a function (its first, outermost entry) in an
# annotation saved by annotate().
annotate() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" >"$1.flat" 2>/dev/null
    callgrind_annotate --inclusive=yes --threshold=100 --tree=caller "$1" >"$1.tree" 2>/dev/null
}
incl() {
    awk -v fn="$2" '{ n = $1; gsub(",", "", n); f = $0; sub(/^ *[0-9,]+ +\([^)]*\) +/, "", f); sub(/ \[.*$/, "", f); sub(/^.*:/, "", f);
                      if (f == fn && n ~ /^[0-9]+$/) { print n; exit } }' "$1.flat"
}
# The calls from "caller" to "callee", inclusive.
calls() {
    awk -v caller="$2" -v callee="$3" '
        / < / { n = $1; gsub(",", "", n); f = $0; sub(/^.*< +/, "", f); sub(/ \(.*$/, "", f); sub(/^.*:/, "", f); if (f == caller) pending = n; next }
        / \* / { f = $0; sub(/^.*\* +/, "", f); sub(/ \[.*$/, "", f); sub(/^.*:/, "", f); if (f == callee && pending != "") { print pending; exit } pending = ""; next }
        { pending = "" }' "$1.tree"
}
m=$wrapdir/cg/cg.$mpid
p=$wrapdir/cg/cg.$ppid
annotate "$m"
annotate "$p"
row() { awk -v n="${2:-0}" -v t="$mi" -v b="$pi" -v what="$1" 'BEGIN { printf "  %-58s %13.0f  %5.1f%%  %5.1f%% of psql -1\n", what, n, 100 * n / t, 100 * n / b }'; }
ddl_m=$(incl "$m" standard_ProcessUtility)
ddl_p=$(incl "$p" standard_ProcessUtility)
reg=$(incl "$m" migrator_register)
reg_sql=$(calls "$m" migrator_register history_exec)
guard=$(incl "$m" guard_ProcessUtility)
echo "migrator backend, inclusive instructions:"
row "DDL of the scripts (standard_ProcessUtility)" "$ddl_m"
row "  the same in the psql -1 backend" "$ddl_p"
row "register() in all" "$reg"
row "  its catalog statements (row and event)" "$reg_sql"
row "  lint (the analyser, by name)" "$(calls "$m" migrator_register lint_script)"
row "  parsing up, down, verify" "$(calls "$m" migrator_register script_parse)"
row "  checksum" "$(calls "$m" migrator_register script_checksum)"
row "apply() in all (its scripts' DDL included)" "$(incl "$m" migrator_apply)"
row "  the guard around each statement (hook minus the DDL)" "$(awk -v a="${guard:-0}" -v b="${ddl_m:-0}" 'BEGIN { print a - b }')"
row "  splitting scripts again (no stored boundaries)" "$(calls "$m" script_execute script_parse)"
row "  checksums" "$(calls "$m" migration_check_checksum script_checksum)"
row "  loading the pending migrations" "$(incl "$m" load_migrations)"
row "  recording rows (UPDATE) and events" "$(awk -v a="$(incl "$m" migrations_record_applied)" -v b="$(incl "$m" migration_record_applied)" 'BEGIN { print a + b }')"
row "schema fingerprint for drift(), at commit" "$(incl "$m" fingerprint_record)"
if [ -n "${BENCH_PROFILE_KEEP:-}" ]; then
    echo "callgrind files: $wrapdir/cg/cg.$ppid (plain), $wrapdir/cg/cg.$mpid (migrator)"
fi
