#!/usr/bin/env bash
# The README's test command (`make test`), also what .ci/run calls.
#
# As root (CI, a fresh machine): installs the Debian packages the tests need,
# copies the tree to a fresh directory owned by "postgres" and runs itself
# there as "postgres" (the server refuses to run as root).
# As any other user: builds with assertions and -Werror, installs into a
# private copy of the server (tmp_install/, the way PostgreSQL's own
# "make check" does), then runs pg_regress, the isolation specs and the TAP
# tests against throwaway clusters.  Prints "N passed, N failed" at the end.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Does a run of these suites (MIGRATOR_SUITES) and TAP files (MIGRATOR_TAP)
# include the Citus suite?
citus_selected() {
    local suites=${1:-regress upgrade isolation valgrind tap}
    [[ " $suites " == *" tap "* ]] || return 1
    (cd "$here/test/t" && ls ${2:-*.pl} 2>/dev/null) | grep -q citus
}

if [ "$(id -u)" = 0 ]; then
    # The real tools of the adopt test (082_cli_adopt.pl): sqitch (Debian),
    # and from npm dbmate, drizzle-kit (with drizzle-orm and the pg driver
    # it loads), the Supabase CLI (2.117.0: its binary ships in the
    # package) and Liquibase 4.3.3 with its PostgreSQL JDBC driver (node-liquibase,
    # which needs a Java runtime).  Prisma, Atlas and goose do not install
    # here (Prisma's and Atlas's packages download binaries at install or
    # first run; goose is in neither registry): their tests build the
    # history tables as the tools' documentation describes them.
    bash "$here/scripts/install-deps.sh" sqitch libdbd-pg-perl default-jre-headless
    # What Citus needs to build, for the Citus suite (scripts/build-citus.sh).
    bash "$here/scripts/install-deps.sh" libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev
    # Debian's npm only when no npm is there (a NodeSource nodejs has one).
    command -v npm >/dev/null || bash "$here/scripts/install-deps.sh" npm
    npm_missing=()
    for pkg in dbmate drizzle-kit@0.31.11 drizzle-orm@0.45.4 pg@8.23.1 supabase@2.117.0 node-liquibase@4.3.3; do
        [ -d "$(npm root -g)/${pkg%@*}" ] || npm_missing+=("$pkg")
    done
    if [ ${#npm_missing[@]} -gt 0 ]; then
        echo "== installing: ${npm_missing[*]} (npm)"
        npm install -g --silent --no-audit --no-fund "${npm_missing[@]}" >/dev/null
    fi
    # squawk, the file-only linter lint is compared with (bench/lint_hydra.sh,
    # docs/lint-comparison.md), at the version the comparison names.
    if ! command -v squawk >/dev/null || [ "$(squawk --version 2>/dev/null)" != "squawk 2.66.0" ]; then
        command -v npm >/dev/null || bash "$here/scripts/install-deps.sh" npm
        echo "== installing: squawk-cli 2.66.0 (npm)"
        npm install -g --silent squawk-cli@2.66.0 >/dev/null
    fi
    work=$(mktemp -d /tmp/migrator-test.XXXXXX)
    rsync -a --exclude .git --exclude tmp_install --exclude tmp_check \
        --exclude results "$here"/ "$work"/
    chown -R postgres: "$work"
    # The shared corpora are optional input; pass them on when readable.
    corpora=${MIGRATOR_CORPORA:-$here/../shared/corpora}
    # Citus, for the Citus suite: built here, as root, into the cache outside
    # the clone (scripts/build-citus.sh), so that the run as "postgres" only
    # copies it.  Its tarball is optional input like the corpora.
    citus_src=${MIGRATOR_CITUS_SRC:-$here/../shared/citus}
    if citus_selected "${MIGRATOR_SUITES:-}" "${MIGRATOR_TAP:-}"; then
        echo "== Citus for the Citus suite (scripts/build-citus.sh)"
        MIGRATOR_CITUS_SRC="$citus_src" bash "$here/scripts/build-citus.sh" >/dev/null || true
    fi
    status=0
    runuser -u postgres -- env MIGRATOR_CORPORA="$corpora" MIGRATOR_REQUIRE_TOOLS=1 \
        MIGRATOR_CITUS_SRC="$citus_src" \
        MIGRATOR_SUITES="${MIGRATOR_SUITES:-}" MIGRATOR_TAP="${MIGRATOR_TAP:-}" \
        bash "$work/test/run.sh" || status=$?
    if [ "$status" = 0 ] && [ -z "${MIGRATOR_KEEP:-}" ]; then
        rm -rf "$work"
    else
        echo "== test tree kept in $work"
    fi
    exit "$status"
fi

cd "$here"
PG_CONFIG=${PG_CONFIG:-pg_config}
# The server's own pg_config, before tmp_install/ comes first on PATH.
real_pg_config=$(command -v "$PG_CONFIG")
bindir=$($PG_CONFIG --bindir)
pgxs_dir=$(dirname "$($PG_CONFIG --pgxs)")/..
tmp="$here/tmp_install"

echo "== build (assertions on, -Werror) and private installation in tmp_install/"
tmpbin=$(bash scripts/tmp-install.sh COPT="-DUSE_ASSERT_CHECKING")
export PATH="$tmpbin:$PATH"
export PG_REGRESS="$pgxs_dir/test/regress/pg_regress"
export MIGRATOR_TMP_INSTALL="$tmp"

passed=0
failed=0
summary=()

# Runs one suite, shows its output, and adds its counts to the totals:
# pg_regress prints a line per test ("test x ... ok"), prove a summary
# ("Files=2, Tests=40" and "Failed 3/40 subtests").
run_suite() {
    local name=$1; shift
    echo "== $name"
    local log="$here/$name.log" ok bad
    if "$@" >"$log" 2>&1; then
        cat "$log"
    else
        cat "$log"
        for d in . output_iso upgrade_from_*; do
            [ -f "$d/regression.diffs" ] && head -200 "$d/regression.diffs"
        done
        failed_suites+=("$name")
    fi
    if [ "$name" = tap ]; then
        ok=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -1)
        bad=$(sed -n 's/^Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
        ok=$(( ${ok:-0} - bad ))
    else
        ok=$(grep -cE '^(test |     |ok )? *[A-Za-z0-9_-]+ +\.\.\. ok' "$log" || true)
        bad=$(grep -cE '\.\.\. FAILED' "$log" || true)
    fi
    passed=$((passed + ok)); failed=$((failed + bad))
}
failed_suites=()

# MIGRATOR_SUITES (default "regress upgrade isolation valgrind tap") and
# MIGRATOR_TAP (a glob under test/t) narrow a developer's run; CI runs
# everything.
suites=${MIGRATOR_SUITES:-}
suites=${suites:-regress upgrade isolation valgrind tap}
regress_tests=$(cd sql && ls *.sql | sed 's/\.sql$//' | sort)
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
        run_suite "upgrade-$v" "$PG_REGRESS" --temp-instance=./tmp_check_up \
            --temp-config=test/regress.conf --bindir="$tmp$bindir" \
            --inputdir="$dir" --outputdir="$dir" $regress_tests
    done
fi

if [[ " $suites " == *" isolation "* ]] && ls test/isolation/specs/*.spec >/dev/null 2>&1; then
    iso_tests=$(cd test/isolation/specs && ls *.spec | sed 's/\.spec$//' | sort)
    run_suite isolation "$pgxs_dir/test/isolation/pg_isolation_regress" \
        --temp-instance=./tmp_check_iso --temp-config=test/regress.conf \
        --bindir="$tmp$bindir" --inputdir=test/isolation \
        --outputdir=output_iso $iso_tests
fi

# The regression suite once more with every server process under valgrind
# memcheck; an error whose stack passes through migrator's code fails it.
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
    run_suite valgrind "$PG_REGRESS" --temp-instance=./tmp_check_vg \
        --temp-config=test/regress.conf --bindir="$vgbin" \
        --inputdir=. --outputdir=valgrind $regress_tests
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
        failed_suites+=(valgrind); failed=$((failed + vg_errors))
    fi
fi

# The Citus suite needs Citus in tmp_install/: a failed build fails the run,
# a missing tarball (or a server Citus does not support) skips the suite with
# the reason (MIGRATOR_CITUS_SKIP, read by test/lib/MigratorCitus.pm).
if citus_selected "$suites" "${MIGRATOR_TAP:-}"; then
    if citus_line=$(PG_CONFIG=$real_pg_config bash scripts/citus-install.sh "$tmp"); then
        echo "$citus_line"
    elif [ $? = 3 ]; then
        echo "$citus_line"
        export MIGRATOR_CITUS_SKIP=${citus_line#citus: suite skipped: }
    else
        echo "$citus_line"
        failed_suites+=(citus-build); failed=$((failed + 1))
    fi
fi

[[ " $suites " == *" tap "* ]] && run_suite tap prove --timer -I "$pgxs_dir/test/perl" -I test/lib test/t/${MIGRATOR_TAP:-*.pl}

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
    echo "failed suites: ${failed_suites[*]}"
    failed=$((failed > 0 ? failed : 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
