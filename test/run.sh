#!/usr/bin/env bash
# The README's test command (`make test`), also what .ci/run calls: every
# suite (test/run-suites.sh) on every PostgreSQL major version at hand.
#
# Versions (docs/versions.md): the Debian-packaged server (PG_CONFIG, default
# pg_config) and every other major of MIGRATOR_PG_VERSIONS (default
# "15 16 17 18 19") whose server is cached in MIGRATOR_PG_CACHE or can be
# built from the release tarballs in MIGRATOR_PG_SRC (scripts/build-pg.sh
# builds it once).  A version with neither is skipped, and the run says so; a
# version whose server or extension fails to build fails the run.
#
# As root (CI, a fresh machine): installs the Debian packages the tests need,
# builds the missing servers, copies the tree to a fresh directory owned by
# "postgres" and runs itself there as "postgres" (the server refuses to run
# as root).  As any other user: builds the extension against each server,
# the first in this tree and every other in a copy of its own (tmp_pgNN/),
# then runs the suites version after version.  Prints one summary line per
# version, then the combined "N passed, N failed".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
versions=${MIGRATOR_PG_VERSIONS:-15 16 17 18 19}
export MIGRATOR_PG_SRC=${MIGRATOR_PG_SRC:-$here/../shared/pg-src}
[ -d "$MIGRATOR_PG_SRC" ] && MIGRATOR_PG_SRC=$(cd "$MIGRATOR_PG_SRC" && pwd)
export MIGRATOR_PG_CACHE=${MIGRATOR_PG_CACHE:-/var/cache/migrator}

# Fills "matrix" with one "MAJOR=PG_CONFIG" word per version to test, or
# "MAJOR=skip:REASON" / "MAJOR=failed": the packaged server for its own
# major, scripts/build-pg.sh for the others (which builds when it can).
resolve_versions() {
    local system_major major config status
    system_major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
    matrix=()
    for major in $versions; do
        if [ "$major" = "$system_major" ]; then
            matrix+=("$major=$(command -v "$PG_CONFIG" || echo "$PG_CONFIG")")
            continue
        fi
        status=0
        config=$(bash "$here/scripts/build-pg.sh" "$major") || status=$?
        case $status in
            0) matrix+=("$major=$config");;
            3) matrix+=("$major=skip:no sources in MIGRATOR_PG_SRC ($MIGRATOR_PG_SRC) and no build cached in MIGRATOR_PG_CACHE ($MIGRATOR_PG_CACHE)");;
            *) matrix+=("$major=failed");;
        esac
    done
}

# citus_selected (the Citus suite is part of this run)
source "$here/test/lib/citus-selected.sh"

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
    npm_root=$(npm root -g)
    for pkg in dbmate drizzle-kit@0.31.11 drizzle-orm@0.45.4 pg@8.23.1 supabase@2.117.0 node-liquibase@4.3.3; do
        [ -d "$npm_root/${pkg%@*}" ] || npm_missing+=("$pkg")
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
    # Servers are built as root, into the cache, before the suites run.
    resolve_versions
    work=$(mktemp -d "${TMPDIR:-/tmp}/migrator-test.XXXXXX")
    rsync -a --exclude .git --exclude tmp_install --exclude tmp_check \
        --exclude 'tmp_pg*' --exclude results "$here"/ "$work"/
    chown -R postgres: "$work"
    # The shared corpora are optional input; pass them on when readable.
    corpora=${MIGRATOR_CORPORA:-$here/../shared/corpora}
    # Citus, for the Citus suite: built here, as root, for each server of the
    # run that Citus supports, into the cache outside the clone
    # (scripts/build-citus.sh), so that the run as "postgres" only copies it.
    # Its tarball is optional input like the corpora.
    citus_src=${MIGRATOR_CITUS_SRC:-$here/../shared/citus}
    if citus_selected "${MIGRATOR_SUITES:-}" "${MIGRATOR_TAP:-}"; then
        for entry in "${matrix[@]}"; do
            case ${entry#*=} in skip:*|failed) continue;; esac
            echo "== Citus for the Citus suite on PostgreSQL ${entry%%=*} (scripts/build-citus.sh)"
            PG_CONFIG=${entry#*=} MIGRATOR_CITUS_SRC="$citus_src" \
                bash "$here/scripts/build-citus.sh" >/dev/null || true
        done
    fi
    status=0
    runuser -u postgres -- env MIGRATOR_CORPORA="$corpora" MIGRATOR_REQUIRE_TOOLS=1 \
        MIGRATOR_CITUS_SRC="$citus_src" \
        MIGRATOR_SUITES="${MIGRATOR_SUITES:-}" MIGRATOR_TAP="${MIGRATOR_TAP:-}" MIGRATOR_REGRESS="${MIGRATOR_REGRESS:-}" \
        MIGRATOR_PG_MATRIX="$(printf '%s\n' "${matrix[@]}")" PG_CONFIG="$PG_CONFIG" MIGRATOR_KEEP="${MIGRATOR_KEEP:-}" \
        MIGRATOR_PG_SRC="$MIGRATOR_PG_SRC" MIGRATOR_PG_CACHE="$MIGRATOR_PG_CACHE" \
        bash "$work/test/run.sh" || status=$?
    if [ "$status" = 0 ] && [ -z "${MIGRATOR_KEEP:-}" ]; then
        rm -rf "$work"
    else
        echo "== test tree kept in $work"
    fi
    exit "$status"
fi

cd "$here"
if [ -n "${MIGRATOR_PG_MATRIX:-}" ]; then
    mapfile -t matrix <<<"$MIGRATOR_PG_MATRIX"
else
    resolve_versions
fi

# Every version's tree is built first: a build failure shows at once, and
# the major-version upgrade test of each version needs the installation of
# the one before it.
declare -A tree prefix result from release
order=()
previous=""
for entry in "${matrix[@]}"; do
    major=${entry%%=*}
    config=${entry#*=}
    case $config in
        skip:*) result[$major]="skipped: ${config#skip:}"; order+=("$major"); continue;;
        failed) result[$major]="FAILED: the server did not build (see above)"; order+=("$major"); continue;;
    esac
    if [ -z "$previous" ]; then
        dir="$here/."
    else
        dir="$here/tmp_pg$major"
        rm -rf "$dir"
        mkdir -p "$dir"
        rsync -a --exclude .git --exclude '/tmp_*' --exclude /results --exclude '/*.log' \
            --exclude '*.o' --exclude '*.so' --exclude '*.bc' "$here"/ "$dir"/
    fi
    order+=("$major")
    release[$major]=$("$config" --version | sed -E 's/^PostgreSQL ([^ ]+).*/\1/')
    echo "== PostgreSQL ${release[$major]}: build and private installation in ${dir#$here/}/tmp_install"
    if bindir=$(cd "$dir" && PG_CONFIG="$config" bash scripts/tmp-install.sh COPT="-DUSE_ASSERT_CHECKING"); then
        tree[$major]=$dir
        prefix[$major]=$(dirname "$bindir")
        from[$major]=$previous
        previous=$major
    else
        result[$major]="FAILED: the extension did not build against $("$config" --version)"
    fi
done

passed=0
failed=0
for major in "${order[@]}"; do
    [ -n "${result[$major]:-}" ] && continue
    config=$(printf '%s\n' "${matrix[@]}" | sed -n "s/^$major=//p")
    old=${from[$major]}
    echo
    echo "==== PostgreSQL ${release[$major]}: every suite"
    start=$(date +%s)
    log="${tree[$major]}/suites.log"
    # valgrind on the first version only: it is the slowest suite by far
    # (26 of 39 minutes of a 16 run), and the other versions are built with
    # assertions, whose freed-memory clobbering catches use after free.
    if [ "$major" = "${order[0]}" ]; then vg=1; else vg=0; fi
    (cd "${tree[$major]}" &&
        PG_CONFIG="$config" MIGRATOR_PREBUILT=1 MIGRATOR_PG_MAJOR="$major" MIGRATOR_VALGRIND="$vg" \
        MIGRATOR_UPGRADE_FROM="${old:+${prefix[$old]}}" MIGRATOR_UPGRADE_FROM_MAJOR="$old" \
        bash test/run-suites.sh) 2>&1 | tee "$log" || true
    # run-suites.sh ends with "N passed, N failed"; anything else is a failure.
    counts=$(tail -1 "$log")
    elapsed=$(( $(date +%s) - start ))
    if [[ $counts =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}
    else
        p=0; f=1
    fi
    passed=$((passed + p)); failed=$((failed + f))
    result[$major]="$p passed, $f failed in $((elapsed / 60))m$((elapsed % 60))s"
done

echo
for major in "${order[@]}"; do
    case ${result[$major]} in
        FAILED*) failed=$((failed + 1));;
    esac
    echo "PostgreSQL ${release[$major]:-$major}: ${result[$major]}"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
