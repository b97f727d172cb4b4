#!/usr/bin/env bash
# Lint the whole Ory Hydra history ($MIGRATOR_CORPORA/hydra, 228 migrations)
# with migrator.lint() and with squawk on the same up scripts, side by side
# in one run; then run migrator.check() over the history on a fresh database
# and list every down script that fails or does not restore the schema.
#
#   bash bench/lint_hydra.sh
#
# Uses the server that psql's environment names (PGHOST, PGPORT, PGUSER;
# PSQL=path/to/psql) when PGHOST is set, else starts a throwaway cluster
# with migrator preloaded (bench/lib.sh).
# SQUAWK=path/to/squawk (npm package squawk-cli) enables the comparison;
# without it only migrator is measured.  Skips cleanly without the corpus.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${MIGRATOR_CORPORA:-}" ] || [ ! -d "$MIGRATOR_CORPORA/hydra/migrations" ]; then
    echo "skip: no hydra corpus (set MIGRATOR_CORPORA to the directory that holds hydra/)"
    exit 0
fi
corpus=$MIGRATOR_CORPORA/hydra/migrations
if [ -z "${PGHOST:-}" ]; then
    . "$here/bench/lib.sh"
    bench_cluster_start
fi
PSQL=${PSQL:-psql}
SQUAWK=${SQUAWK:-$(command -v squawk || true)}
db=migrator_bench_hydra
work=$(mktemp -d)
trap 'rm -rf "$work"; if declare -F bench_cluster_stop >/dev/null; then bench_cluster_stop; fi' EXIT

"$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
q -c "CREATE EXTENSION migrator" \
  -c "CREATE SCHEMA bench" \
  -c "CREATE TABLE bench.files (version text PRIMARY KEY, name text, up text, down text, autocommit boolean)"

# Load every migration (not timed).
ups=()
{
    for up in "$corpus"/*.up.sql; do
        base=$(basename "$up" .up.sql)
        version=${base%%_*}
        down="$corpus/$base.down.sql"
        # one down script lacks the .autocommit of its up script
        [ -f "$down" ] || down=$(ls "$corpus/${version}"_*.down.sql)
        name=${base#*_}
        autocommit=false
        case $base in *.autocommit) autocommit=true; name=${name%.autocommit} ;; esac
        ups+=("$up")
        echo "\\set up \`cat '$up'\`"
        echo "\\set down \`cat '$down'\`"
        echo "INSERT INTO bench.files VALUES ('$version', '$name', :'up', :'down', $autocommit);"
    done
} > "$work/load.sql"
q -f "$work/load.sql"
files=$(q -At -c "SELECT count(*) FROM bench.files")
echo "== $files up scripts from $corpus"

now() { date +%s%N; }
best_of_3() {       # prints the best wall time of 3 runs of "$@", in ms
    local best= t0 t1 ms
    for _ in 1 2 3; do
        t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
        ms=$(( (t1 - t0) / 1000000 ))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    echo "$best"
}

lint_all() { q -At -c "SELECT count(*) FROM bench.files f, migrator.lint(f.up)"; }
echo "== migrator.lint(): findings per rule (each file on its own, on an empty database)"
q -c "SELECT l.rule, l.severity, count(*) AS findings, count(DISTINCT f.version) AS files
        FROM bench.files f, migrator.lint(f.up) l
       GROUP BY 1, 2 ORDER BY 2, 3 DESC, 1"
q -At -c "SELECT 'total: ' || count(*) || ' findings in ' || count(DISTINCT f.version) || ' files'
            FROM bench.files f, migrator.lint(f.up) l"
ms_migrator=$(best_of_3 lint_all)
echo "migrator.lint() over $files files: ${ms_migrator} ms (best of 3, one psql call)"
q -At -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT count(*) FROM bench.files f, migrator.lint(f.up)" |
    sed -n 's/^Execution Time: /migrator.lint() inside the server: /p'

if [ -n "$SQUAWK" ]; then
    echo "== squawk $("$SQUAWK" --version | awk '{print $2}'): findings per rule (same files)"
    "$SQUAWK" --reporter json "${ups[@]}" > "$work/squawk.json" 2>/dev/null || true
    python3 - "$work/squawk.json" <<'PY'
import json, sys, collections
found = json.load(open(sys.argv[1]))
by_rule = collections.Counter(f["rule_name"] for f in found)
files = collections.defaultdict(set)
for f in found:
    files[f["rule_name"]].add(f["file"])
print(f"{'rule':40} {'findings':>8} {'files':>6}")
for rule, n in by_rule.most_common():
    print(f"{rule:40} {n:>8} {len(files[rule]):>6}")
print(f"total: {len(found)} findings in {len({f['file'] for f in found})} files")
PY
    squawk_all() { "$SQUAWK" --reporter json "${ups[@]}"; }
    ms_squawk=$(best_of_3 squawk_all)
    echo "squawk over $files files: ${ms_squawk} ms (best of 3, one process)"
    awk -v m="$ms_migrator" -v s="$ms_squawk" \
        'BEGIN { printf "ratio migrator.lint() / squawk: %.2f\n", (s > 0 ? m / s : 0) }'
else
    echo "== squawk not found (set SQUAWK=...): comparison skipped"
fi

echo "== migrator.check() over the whole history on a fresh database"
# register() refuses a destructive migration without a down script: a few
# hydra migrations delete rows and have an empty down script, which is
# right for the schema (check() will say whether it is), so they get a
# comment as down script.
q -c "SELECT count(*) AS registered FROM bench.files f,
        migrator.register(f.version, f.up,
                          CASE WHEN btrim(f.down, E' \\n\\t') = '' THEN '-- empty in the corpus' ELSE f.down END,
                          name => f.name, plan => 'hydra history',
                          transactional => NOT f.autocommit)"
q -At -c "SELECT 'registered with an empty down script: ' || count(*) FROM bench.files
           WHERE btrim(down, E' \\n\\t') = ''"
q -At -c "SELECT 'fingerprint rows before: ' || count(*) FROM migrator.schema_fingerprint()"
t0=$(now)
q -c "CREATE TABLE bench.checked AS SELECT * FROM migrator.check()" 2>/dev/null
t1=$(now)
echo "check() over $files migrations: $(( (t1 - t0) / 1000000 )) ms"
q -c "SELECT outcome, count(*) FROM bench.checked GROUP BY 1 ORDER BY 2 DESC"
# A down script with no statement at all (hydra: "Down migrations from
# Hydra 2.x to 1.x are not available") is irreversible by design.
q -c "SELECT c.outcome,
             CASE WHEN btrim(regexp_replace(f.down, '--[^\n]*', '', 'g'), E' \\n\\t') = ''
                  THEN 'down has no statement' ELSE 'down has statements' END AS down_script,
             count(*)
        FROM bench.checked c JOIN bench.files f USING (version)
       WHERE c.outcome <> 'ok' GROUP BY 1, 2 ORDER BY 1, 2"
q -c "SELECT c.version, f.name, c.outcome, split_part(c.detail, E'\n', 1) AS first_difference
        FROM bench.checked c JOIN bench.files f USING (version)
       WHERE c.outcome NOT IN ('ok', 'skipped')
         AND btrim(regexp_replace(f.down, '--[^\n]*', '', 'g'), E' \\n\\t') <> ''
       ORDER BY 1"
q -At -c "SELECT 'fingerprint rows after: ' || count(*) FROM migrator.schema_fingerprint()
           WHERE object NOT LIKE 'bench.checked%'"

[ -n "${KEEP_DB:-}" ] || "$PSQL" -X -q -d postgres -c "DROP DATABASE $db"
