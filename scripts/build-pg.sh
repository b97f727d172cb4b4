#!/usr/bin/env bash
# Builds a PostgreSQL server from release sources, once, into a cache outside
# the clone, and prints the path of its pg_config.  Used by `make test` for
# every major version other than the Debian-packaged one (docs/versions.md).
#
#   scripts/build-pg.sh 16      newest 16.x in the sources, or a cached 16.x
#   scripts/build-pg.sh 16.2    exactly that release
#
# MIGRATOR_PG_SRC    directory of release tarballs (postgresql-X.Y.tar.{bz2,xz,gz});
#                    default ../shared/pg-src next to the repository
# MIGRATOR_PG_CACHE  where builds are kept; default /var/cache/migrator.  A build
#                    lives in pg-X.Y-HASH, HASH naming the configure options and
#                    contrib modules below, so a change of recipe builds afresh
#                    and a cache filled by one run (or CI, as root) serves the next.
# MIGRATOR_BUILD_JOBS  make -j (default 2); the build runs at nice 10, beside
#                    other work on a shared machine
#
# Exit status: 0 and the pg_config path on stdout; 3 when neither sources nor
# a cached build of that version exist (the caller skips the version and says
# so); anything else is a failed build (the caller fails the run).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
want=${1:?usage: build-pg.sh MAJOR[.MINOR]}
src_dir=${MIGRATOR_PG_SRC:-$here/../shared/pg-src}
cache=${MIGRATOR_PG_CACHE:-/var/cache/migrator}
jobs=${MIGRATOR_BUILD_JOBS:-2}

# The recipe.  Changing any of it changes HASH.  ICU, readline and zlib are
# left out: no test needs them and they would add build dependencies.
# uuid (e2fsprogs' libuuid) and libxml are in, as in Debian's packages: the
# Hydra history creates uuid-ossp (030_check_hydra, 050_lint_guard,
# 084_cli_import), and sql/25_guard_types.sql stores xml values.
configure_opts=(--enable-cassert --enable-debug --enable-tap-tests
                --without-icu --without-readline --without-zlib
                --with-uuid=e2fs --with-libxml)
contrib=(pg_stat_statements uuid-ossp)
recipe="configure ${configure_opts[*]}; contrib ${contrib[*]}"
hash=$(printf '%s\n' "$recipe" | sha256sum | cut -c1-12)
# Contrib modules the regression tests create (28_review_*), built with PGXS
# against a complete build and added to it when missing: not part of HASH,
# so adding one here extends the cached servers instead of rebuilding them.
contrib_pgxs=(hstore isn)

log() { echo "build-pg: $*" >&2; }

# The newest release of $want among the tarballs, if any.
tarball=""
if [ -d "$src_dir" ]; then
    tarball=$(ls "$src_dir"/postgresql-"$want"[.]*tar.* "$src_dir"/postgresql-"$want".tar.* 2>/dev/null |
              grep -E "/postgresql-$want(\.[0-9]+)?\.tar\.(bz2|xz|gz)$" | sort -V | tail -1 || true)
fi
# Adds the modules of contrib_pgxs that the build in $1 lacks, from the
# release tarball (when there is one); prints nothing on stdout.
add_contrib() {
    local prefix=$1 version m missing=() dir
    for m in "${contrib_pgxs[@]}"; do
        [ -f "$prefix/share/postgresql/extension/$m.control" ] || missing+=("$m")
    done
    [ ${#missing[@]} = 0 ] && return 0
    if [ -z "$tarball" ]; then
        log "the cached build $prefix lacks contrib ${missing[*]} and there are no sources to build them"
        return 0
    fi
    version=$(basename "$tarball" | sed -E 's/^postgresql-(.*)\.tar\.(bz2|xz|gz)$/\1/')
    # one adder at a time; a second one finds them installed
    exec 8>"$prefix.contrib.lock"
    flock 8
    missing=()
    for m in "${contrib_pgxs[@]}"; do
        [ -f "$prefix/share/postgresql/extension/$m.control" ] || missing+=("$m")
    done
    [ ${#missing[@]} = 0 ] && return 0
    dir=$(mktemp -d "${TMPDIR:-/tmp}/migrator-pg-contrib.XXXXXX")
    log "PostgreSQL $version: adding contrib ${missing[*]} to $prefix"
    if ! (
        set -e
        tar -xf "$tarball" -C "$dir" "${missing[@]/#/postgresql-$version/contrib/}"
        for m in "${missing[@]}"; do
            nice -n 10 make -s -C "$dir/postgresql-$version/contrib/$m" USE_PGXS=1 \
                PG_CONFIG="$prefix/bin/pg_config" install
        done
    ) >>"$prefix.log" 2>&1; then
        rm -rf "$dir"
        log "PostgreSQL $version: contrib ${missing[*]} FAILED; see $prefix.log"
        return 1
    fi
    rm -rf "$dir"
}

if [ -n "$tarball" ]; then
    version=$(basename "$tarball" | sed -E 's/^postgresql-(.*)\.tar\.(bz2|xz|gz)$/\1/')
else
    # No sources: a complete cached build of that version still serves.
    prefix=$(ls -d "$cache"/pg-"$want"*-"$hash" 2>/dev/null | grep -E "/pg-$want(\.[0-9]+)?-$hash$" |
             while read -r d; do [ -f "$d/.complete" ] && echo "$d"; done | sort -V | tail -1 || true)
    if [ -z "$prefix" ]; then
        log "PostgreSQL $want: no sources in $src_dir and no cached build in $cache"
        exit 3
    fi
    add_contrib "$prefix"
    echo "$prefix/bin/pg_config"
    exit 0
fi

prefix="$cache/pg-$version-$hash"
if [ -f "$prefix/.complete" ]; then
    add_contrib "$prefix"
    echo "$prefix/bin/pg_config"
    exit 0
fi

# Only one build of a given version at a time; a second caller waits and
# then finds it complete.
mkdir -p "$cache"
exec 9>"$prefix.lock"
flock 9
if [ -f "$prefix/.complete" ]; then
    add_contrib "$prefix"
    echo "$prefix/bin/pg_config"
    exit 0
fi

# A build needs bison and flex (18's tarballs carry no generated parser).
[ "$(id -u)" = 0 ] && bash "$here/scripts/install-deps.sh" >&2

start=$(date +%s)
build=$(mktemp -d "${TMPDIR:-/tmp}/migrator-pg-build.XXXXXX")
trap 'rm -rf "$build"' EXIT
buildlog="$prefix.log"
log "PostgreSQL $version: building from $tarball into $prefix (log: $buildlog)"
rm -rf "$prefix"
if ! (
    set -e
    tar -xf "$tarball" -C "$build"
    cd "$build/postgresql-$version"
    ./configure --prefix="$prefix" "${configure_opts[@]}"
    nice -n 10 make -s -j"$jobs"
    make -s install
    for m in "${contrib[@]}"; do
        make -s -C "contrib/$m" install
    done
) >"$buildlog" 2>&1; then
    log "PostgreSQL $version: build FAILED; last lines of $buildlog:"
    tail -40 "$buildlog" >&2
    exit 1
fi
{
    echo "version $version"
    echo "source $(basename "$tarball") sha256 $(sha256sum "$tarball" | cut -d' ' -f1)"
    echo "recipe $recipe"
    echo "built $(date -u +%FT%TZ) in $(( $(date +%s) - start )) s"
} >"$prefix/.complete"
log "PostgreSQL $version: built in $(( $(date +%s) - start )) s"
add_contrib "$prefix"
echo "$prefix/bin/pg_config"
