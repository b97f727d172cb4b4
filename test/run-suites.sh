#!/usr/bin/env bash
# Every suite against one PostgreSQL server: called by test/run.sh (the
# README's test command) once per major version, in a tree of its own, as a
# user other than root, with PG_CONFIG naming that server.
#
# Builds with assertions and -Werror, installs into a private copy of the
# server (tmp_install/, the way PostgreSQL's own "make check" does), then
# runs pg_regress, the upgrade suite, the isolation specs, pg_regress under
# valgrind and the TAP tests against throwaway clusters.  Prints
# "N passed, N failed" at the end.
#
# From test/run.sh: MIGRATOR_SUITES, MIGRATOR_TAP (narrow the run),
# MIGRATOR_PG_MAJOR (this server's major version, for tests that depend on
# it), MIGRATOR_UPGRADE_FROM (the private installation of the next older
# major version, for test/t/017_pg_upgrade_major.pl).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
    echo "run-suites.sh: run test/run.sh (make test) as root, not this script" >&2
    exit 1
fi

cd "$here"
PG_CONFIG=${PG_CONFIG:-pg_config}
# The server the tree is built for, for tests that read its headers.
# PG_CONFIG itself is not passed on (test/run.sh sets it in the environment):
# make in the docs examples must find the private installation's pg_config
# on PATH.
export MIGRATOR_PG_CONFIG="$PG_CONFIG"
export -n PG_CONFIG
bindir=$($PG_CONFIG --bindir)
pgxs_dir=$(dirname "$($PG_CONFIG --pgxs)")/..
tmp="$here/tmp_install"

# test/run.sh builds every version's tree before the first suite runs (the
# major-version upgrade test needs the older installation), and says so.
if [ -n "${MIGRATOR_PREBUILT:-}" ]; then
    tmpbin="$tmp$bindir"
else
    echo "== build (assertions on, -Werror) and private installation in tmp_install/"
    tmpbin=$(bash scripts/tmp-install.sh COPT="-DUSE_ASSERT_CHECKING")
fi
export PATH="$tmpbin:$PATH"
export PG_REGRESS="$pgxs_dir/test/regress/pg_regress"
export MIGRATOR_TMP_INSTALL="$tmp"

passed=0
failed=0
failed_suites=()

# Suites run side by side where they share nothing: every pg_regress suite
# has a temporary instance and an output directory of its own, and every
# TAP file its own clusters (PostgreSQL::Test::Cluster picks free ports
# under one port-lock directory, and data directories named after the
# file).  start_suite runs a suite in the background, its output in
# NAME.log; finish_suite waits for it, shows its output, and adds its
# counts to the totals: pg_regress prints a line per test ("test x ...
# ok"), prove a summary ("Files=2, Tests=40" and "Failed 3/40 subtests"),
# and the valgrind suite a line with the errors in migrator's code.  Each
# suite ends with a line "== NAME: N passed, N failed in S s".
declare -A suite_pid suite_start
# a suite in the background does not outlive the run, even a failed one
trap wait EXIT
start_suite() {
    local name=$1; shift
    suite_start[$name]=$(date +%s)
    "$@" >"$here/$name.log" 2>&1 &
    suite_pid[$name]=$!
}
finish_suite() {
    local name=$1 log="$here/$1.log" status=0 ok bad dir dirs
    wait "${suite_pid[$name]}" || status=$?
    echo "== $name"
    cat "$log"
    if [ "$status" != 0 ]; then
        case $name in
            regress) dirs=.;;
            upgrade-*) dirs=upgrade_from_${name#upgrade-};;
            isolation) dirs=output_iso;;
            valgrind) dirs=$(ls -d valgrind/*/);;
            *) dirs="";;
        esac
        for dir in $dirs; do
            [ -f "$dir/regression.diffs" ] && head -200 "$dir/regression.diffs"
        done
        failed_suites+=("$name")
    fi
    if [ "$name" = tap ]; then
        ok=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -1)
        bad=$(sed -n 's/^Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
        ok=$(( ${ok:-0} - bad ))
    else
        # 15: "test x ... ok" / "... FAILED"; 16 and later: "ok 1 - x",
        # "not ok 2 - x" (+ instead of - inside a parallel group).
        ok=$(grep -cE '^(test |     |ok )? *[A-Za-z0-9_-]+ +\.\.\. ok|^ok +[0-9]+ +[-+] ' "$log" || true)
        bad=$(grep -cE '\.\.\. FAILED|^not ok +[0-9]+ ' "$log" || true)
    fi
    if [ "$name" = valgrind ]; then
        vg_errors=$(sed -n 's/^valgrind: \([0-9]*\) error(s) in migrator.*/\1/p' "$log" | tail -1)
        bad=$(( bad + ${vg_errors:-1} ))
    fi
    # a suite that failed without a failed test (a TAP file that died
    # before its plan, a pg_regress that could not start) is one failure
    if [ "$status" != 0 ] && [ "$bad" = 0 ]; then
        bad=1
    fi
    passed=$((passed + ok)); failed=$((failed + bad))
    # the log was last written when the suite ended
    echo "== $name: $ok passed, $bad failed in $(( $(stat -c %Y "$log") - ${suite_start[$name]} )) s"
}
run_suite() {
    start_suite "$@"
    finish_suite "$1"
}

# MIGRATOR_SUITES (default "regress upgrade isolation valgrind tap"),
# MIGRATOR_TAP (a glob under test/t) and MIGRATOR_REGRESS (a glob of the
# regression tests' names, for regress, upgrade and valgrind) narrow a
# developer's run; CI runs everything.
suites=${MIGRATOR_SUITES:-}
if [ -z "$suites" ] && [ "${MIGRATOR_VALGRIND:-1}" = 0 ]; then
    # test/run.sh: valgrind runs on the first version of the matrix only
    suites="regress upgrade isolation tap"
    echo "== valgrind: on the first version of this run only (this server is built with assertions)"
fi
suites=${suites:-regress upgrade isolation valgrind tap}
regress_tests=$(cd sql && ls ${MIGRATOR_REGRESS:-*}.sql | sed 's/\.sql$//' | sort)

# The regression suite once more with every server process under valgrind
# memcheck; an error whose stack passes through migrator's code fails it.
# It is the longest suite (each test many times slower under valgrind): it
# starts first and runs in the background, on an installation of its own,
# beside every other suite, in MIGRATOR_VALGRIND_SHARDS (default 2)
# temporary instances side by side.  The tests are dealt to the instances
# by their time under valgrind in test/valgrind-seconds (a past run's,
# "name seconds" per line; a test not listed there counts as the mean),
# longest first, each to the instance with the least so far, so that the
# instances end together; each instance runs its tests in the suite's
# order.  06_bad_input's script of many statements has 20k of them here,
# not 100k (MIGRATOR_MANY_STATEMENTS): the same code, 40 s less.  Every
# test makes a database of its own and none depends on
# another having run.
valgrind_shards() {
    local shards=$1
    echo "$regress_tests" | awk -v shards="$shards" '
        FNR == NR { secs[$1] = $2; sum += $2; n++; next }
        { name[++t] = $1; w[t] = ($1 in secs) ? secs[$1] : (n ? sum / n : 1) }
        END {
            # longest first (a stable selection sort: the suite is small)
            for (i = 1; i <= t; i++) order[i] = i
            for (i = 1; i <= t; i++)
                for (j = i + 1; j <= t; j++)
                    if (w[order[j]] > w[order[i]]) { k = order[i]; order[i] = order[j]; order[j] = k }
            for (s = 1; s <= shards; s++) load[s] = 0
            for (i = 1; i <= t; i++) {
                best = 1
                for (s = 2; s <= shards; s++) if (load[s] < load[best]) best = s
                shard[order[i]] = best; load[best] += w[order[i]]
            }
            for (i = 1; i <= t; i++) print shard[i], name[i]
        }' test/valgrind-seconds -
}
valgrind_suite() {
    local status=0 shards=${MIGRATOR_VALGRIND_SHARDS:-2} i tests modules vg_errors plan
    local pids=()
    plan=$(valgrind_shards "$shards")
    for ((i = 1; i <= shards; i++)); do
        tests=$(echo "$plan" | awk -v i="$i" '$1 == i { print $2 }')
        [ -n "$tests" ] || continue
        mkdir -p "valgrind/$i"
        MIGRATOR_MANY_STATEMENTS=20000 "$PG_REGRESS" --temp-instance="./tmp_check_vg_$i" \
            --temp-config=test/regress.conf --temp-config=test/valgrind.conf --bindir="$vgbin" \
            --inputdir=. --outputdir="valgrind/$i" $tests >"valgrind/$i/pg_regress.out" 2>&1 &
        pids+=($!)
    done
    for ((i = 1; i <= ${#pids[@]}; i++)); do
        wait "${pids[i - 1]}" || status=$?
        echo "-- valgrind, instance $i of $shards"
        cat "valgrind/$i/pg_regress.out"
    done
    # Error blocks are separated by blank "==PID== " lines.  A block counts
    # when one of its six innermost frames is migrator's code (deeper
    # frames are the server calling through migrator, which is not ours).
    # migrator's source files, as valgrind names them: "(apply.c:123)".
    modules=$(cd src && ls *.c | sed 's/\.c$//' | paste -sd'|')
    vg_errors=$(cat "$here"/valgrind/pg.*.log 2>/dev/null | awk -v mods="$modules" '
        BEGIN { ours_re = "migrator\\.so|\\((" mods ")\\.c:" }
        function flush() { if (ours) n++; ours = 0; frames = 0 }
        /^==[0-9]+== $/ { flush(); next }
        / (at|by) 0x/ { frames++; if (frames <= 6 && $0 ~ ours_re) ours = 1 }
        END { flush(); print n + 0 }')
    echo "valgrind: $vg_errors error(s) in migrator's code in $(ls "$here"/valgrind/pg.*.log 2>/dev/null | wc -l) process logs"
    if [ "$vg_errors" != 0 ]; then
        grep -l -E 'migrator' "$here"/valgrind/pg.*.log | head -3 | xargs cat
        status=1
    fi
    return "$status"
}
if [[ " $suites " == *" valgrind "* ]]; then
    vg="$here/tmp_install_vg"
    rm -rf "$vg" "$here/valgrind"
    cp -a "$tmp" "$vg"
    mkdir -p "$here/valgrind"
    vgbin="$vg$bindir"
    mv "$vgbin/postgres" "$vgbin/postgres.bin"
    cat >"$vgbin/postgres" <<WRAP
#!/bin/sh
# initdb's bootstrap and single-user runs, and version checks, run natively.
case "\$1" in --boot|--single|-V|--version|-C|--describe-config) exec "$vgbin/postgres.bin" "\$@";; esac
exec valgrind --quiet --error-limit=no --num-callers=40 --leak-check=no \
    --suppressions="$here/test/valgrind.supp" \
    --log-file="$here/valgrind/pg.%p.log" "$vgbin/postgres.bin" "\$@"
WRAP
    chmod +x "$vgbin/postgres"
    start_suite valgrind valgrind_suite
fi

# The regression suite.  Its temporary instance is tmp_check, the TAP
# suite's data directory: the TAP suite starts after it.
[[ " $suites " == *" regress "* ]] && run_suite regress "$PG_REGRESS" --temp-instance=./tmp_check \
    --temp-config=test/regress.conf --bindir="$tmp$bindir" \
    --inputdir=. --outputdir=. $regress_tests

# Upgrades.  Scripts of released versions are frozen (a database created
# or updated with one must stay upgradable): test/frozen-scripts.sha256
# holds their checksums, the current version's generated script included.  Then the regression suite runs once more for every
# older version, with each "CREATE EXTENSION migrator;" of the tests (and of
# their expected output) replaced by an install of that version followed by
# ALTER EXTENSION migrator UPDATE: an upgraded database must behave exactly
# like a fresh one.  test/t/016_upgrade.pl compares the objects themselves.
if [[ " $suites " == *" upgrade "* ]]; then
    echo "== released scripts unchanged (test/frozen-scripts.sha256)"
    if sha256sum --check test/frozen-scripts.sha256; then
        passed=$((passed + 1))
    else
        failed_suites+=(frozen); failed=$((failed + 1))
    fi
    current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" migrator.control)
    # pg_regress of 18 reads expected files from --expecteddir (default ".",
    # 16.2 read them from --inputdir); 15's has no such option.
    expecteddir_opt=()
    "$PG_REGRESS" --help | grep -q -- --expecteddir && expecteddir_opt=(--expecteddir)
    for script in migrator--*.sql; do
        v=${script#migrator--}; v=${v%.sql}
        case $v in *--*|"$current") continue;; esac
        dir="upgrade_from_$v"
        rm -rf "$dir"; mkdir -p "$dir/sql" "$dir/expected"
        for f in sql/*.sql expected/*.out; do
            sed "s/^CREATE EXTENSION migrator;\$/CREATE EXTENSION migrator VERSION '$v';\nALTER EXTENSION migrator UPDATE;/" \
                "$f" >"$dir/$f"
        done
        # Every test installs the extension; a pattern that stopped
        # matching would test fresh installs only.
        n=$(grep -l "^ALTER EXTENSION migrator UPDATE;" "$dir"/sql/*.sql | wc -l)
        if [ "$n" != "$(ls sql/*.sql | wc -l)" ]; then
            echo "upgrade from $v: only $n of the tests install the extension the expected way"
            failed_suites+=("upgrade-$v"); failed=$((failed + 1))
            continue
        fi
        run_suite "upgrade-$v" "$PG_REGRESS" --temp-instance="./tmp_check_up_$v" \
            --temp-config=test/regress.conf --bindir="$tmp$bindir" \
            --inputdir="$dir" --outputdir="$dir" ${expecteddir_opt[@]/%/="$dir"} $regress_tests
    done
fi

if [[ " $suites " == *" isolation "* ]] && ls test/isolation/specs/*.spec >/dev/null 2>&1; then
    iso_tests=$(cd test/isolation/specs && ls *.spec | sed 's/\.spec$//' | sort)
    run_suite isolation "$pgxs_dir/test/isolation/pg_isolation_regress" \
        --temp-instance=./tmp_check_iso --temp-config=test/regress.conf \
        --bindir="$tmp$bindir" --inputdir=test/isolation \
        --outputdir=output_iso $iso_tests
fi

# The test modules of 16 and later write logs to TESTLOGDIR (default log/),
# those of 15 to tmp_check/log: the same place on every version.
# The Citus suite needs Citus in tmp_install/: a failed build fails the run,
# a missing tarball (or a server Citus does not support) skips the suite with
# the reason (MIGRATOR_CITUS_SKIP, read by test/lib/MigratorCitus.pm).
source test/lib/citus-selected.sh
if citus_selected "$suites" "${MIGRATOR_TAP:-}"; then
    if citus_line=$(PG_CONFIG=$MIGRATOR_PG_CONFIG bash scripts/citus-install.sh "$tmp"); then
        echo "$citus_line"
    elif [ $? = 3 ]; then
        echo "$citus_line"
        export MIGRATOR_CITUS_SKIP=${citus_line#citus: suite skipped: }
    else
        echo "$citus_line"
        failed_suites+=(citus-build); failed=$((failed + 1))
    fi
fi

# The TAP files, MIGRATOR_TAP_JOBS (default 2) at a time.  The files that
# take longest start first, so that the suite does not end with one of them
# running alone; the others follow in the order of their names.
if [[ " $suites " == *" tap "* ]]; then
    tap_files=(test/t/${MIGRATOR_TAP:-*.pl})
    tap_order=()
    for f in 095_citus 050_staged_changes 050_lint_guard 090_docs 051_staged_abort_crash 084_cli_import; do
        for g in "${tap_files[@]}"; do [ "$g" = "test/t/$f.pl" ] && tap_order+=("$g"); done
    done
    for g in "${tap_files[@]}"; do
        [[ " ${tap_order[*]} " == *" $g "* ]] || tap_order+=("$g")
    done
    # A plain fresh cluster, as PostgreSQL::Test::Cluster asks initdb for
    # one ("-D DIR -A trust -N" on 15 and 16, "--no-sync --pgdata DIR
    # --auth trust" on 18), is a copy of one that initdb made the first
    # time, in the first test's environment; every other call (options of
    # a test's own, another installation's initdb) runs initdb.
    tpl="$here/tmp_check/initdb-template"
    rm -rf "$tpl"
    mkdir -p "$tpl/bin"
    cat >"$tpl/bin/initdb" <<WRAP
#!/bin/sh
dir=
if [ \$# = 5 ] && [ "\$1 \$3 \$4 \$5" = "-D -A trust -N" ]; then dir=\$2
elif [ \$# = 5 ] && [ "\$1 \$2 \$4 \$5" = "--no-sync --pgdata --auth trust" ]; then dir=\$3
fi
if [ -n "\$dir" ] && [ ! -e "\$dir" ] && (
    flock 9
    [ -f "$tpl/data/PG_VERSION" ] && exit 0
    rm -rf "$tpl/data.new"
    "$tmpbin/initdb" -D "$tpl/data.new" -A trust -N >"$tpl/initdb.log" 2>&1 &&
        mv "$tpl/data.new" "$tpl/data"
) 9>"$tpl/lock"; then
    echo "\$dir" >>"$tpl/copies"
    exec cp -RPp "$tpl/data" "\$dir"
fi
exec "$tmpbin/initdb" "\$@"
WRAP
    chmod +x "$tpl/bin/initdb"
    run_suite tap env PATH="$tpl/bin:$PATH" TESTDATADIR=tmp_check TESTLOGDIR=tmp_check/log \
        prove -j"${MIGRATOR_TAP_JOBS:-2}" --timer -I "$pgxs_dir/test/perl" -I test/lib "${tap_order[@]}"
fi

[ -n "${suite_pid[valgrind]:-}" ] && finish_suite valgrind

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
    echo "failed suites: ${failed_suites[*]}"
    failed=$((failed > 0 ? failed : 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
