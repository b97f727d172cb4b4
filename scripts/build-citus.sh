#!/usr/bin/env bash
# Builds Citus, a test dependency of the Citus suite (test/t/095_citus.pl,
# docs/citus.md), once per server, into a cache outside the clone, and prints
# the directory that holds the installed files (a DESTDIR tree: copy it over
# the private installation, `cp -a DIR/. tmp_install/`).
#
# Citus is AGPL-3.0: it is built from its release tarball for the tests only,
# never linked into migrator, shipped or committed.
#
# MIGRATOR_CITUS_SRC    directory holding citus-13.2.2.tar.xz (and SHA256SUMS);
#                       default ../shared/citus next to the repository
# MIGRATOR_CITUS_CACHE  where builds are kept; default /var/cache/migrator.  A
#                       build lives in citus-13.2.2-pgMAJOR-KEY, KEY naming the
#                       server it was built against (its version and configure
#                       options), so that builds for two servers of one major
#                       (a rebuilt server beside the old one) are kept side by
#                       side; its .complete file names the server.  A build in
#                       citus-13.2.2-pgMAJOR (made before the key) still serves
#                       the server it names.
# MIGRATOR_BUILD_JOBS   make -j (default 2)
# PG_CONFIG             the server to build against (default: pg_config); not
#                       the copy in a private installation, whose paths point
#                       into it
#
# Exit status: 0 and the directory on stdout; 3 when the tarball is absent
# and nothing is cached (the caller skips the suite and says so); 4 when
# Citus 13.2 does not support this server's major version (same); anything
# else is a failed build (the caller fails the run).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
citus_version=13.2.2
src_dir=${MIGRATOR_CITUS_SRC:-$here/../shared/citus}
cache=${MIGRATOR_CITUS_CACHE:-/var/cache/migrator}
jobs=${MIGRATOR_BUILD_JOBS:-2}
PG_CONFIG=${PG_CONFIG:-pg_config}
tarball="$src_dir/citus-$citus_version.tar.xz"

log() { echo "build-citus: $*" >&2; }

pg_version=$("$PG_CONFIG" --version)             # "PostgreSQL 15.20 (Debian ...)"
major=$(echo "$pg_version" | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
case $major in
    15|16|17) ;;
    *) log "Citus $citus_version supports PostgreSQL 15, 16 and 17, not $major"; exit 4;;
esac

# What the build depends on besides the tarball: the server's version and
# how it was configured (a copy of the server in a private installation has
# the same).  A cached build made against anything else is rebuilt.
server="$pg_version; configure $("$PG_CONFIG" --configure | sha256sum | cut -c1-16)"
key=$(printf '%s\n' "$server" | sha256sum | cut -c1-12)
prefix="$cache/citus-$citus_version-pg$major-$key"
cached() { [ -f "$prefix/.complete" ] && grep -qxF "server $server" "$prefix/.complete"; }

unkeyed="$cache/citus-$citus_version-pg$major"
if [ -f "$unkeyed/.complete" ] && grep -qxF "server $server" "$unkeyed/.complete"; then
    echo "$unkeyed/root"
    exit 0
fi
if cached; then
    echo "$prefix/root"
    exit 0
fi
if [ ! -f "$tarball" ]; then
    log "no $tarball and no build cached in $prefix"
    exit 3
fi

# One build at a time per major; a second caller waits and finds it done.
mkdir -p "$cache"
exec 9>"$prefix.lock"
flock 9
if cached; then
    echo "$prefix/root"
    exit 0
fi

if [ -f "$src_dir/SHA256SUMS" ]; then
    want=$(grep -F "citus-$citus_version.tar.xz" "$src_dir/SHA256SUMS" | cut -d' ' -f1)
    have=$(sha256sum "$tarball" | cut -d' ' -f1)
    if [ -n "$want" ] && [ "$want" != "$have" ]; then
        log "$tarball: checksum $have, SHA256SUMS says $want"
        exit 1
    fi
fi

start=$(date +%s)
build=$(mktemp -d "${TMPDIR:-/tmp}/migrator-citus-build.XXXXXX")
trap 'rm -rf "$build"' EXIT
buildlog="$prefix.log"
log "Citus $citus_version for $pg_version: building into $prefix (log: $buildlog)"
rm -rf "$prefix"
# Each step ends in "|| exit 1": errexit does not work inside a subshell
# whose status is tested.
if ! (
    tar -xJf "$tarball" -C "$build" || exit 1
    cd "$build/citus-$citus_version" || exit 1
    # Debian's 15.x headers declare have_createdb_privilege(), which Citus's
    # compatibility header redefines as a static function for 15.  Rename
    # Citus's copy and its one caller (on 16 and later the renamed name is a
    # macro for the server's function); refuse to build when the source no
    # longer looks as expected, rather than patch something else.
    compat=src/include/pg_version_compat.h
    caller=src/backend/distributed/commands/serialize_distributed_ddls.c
    n=$(cat "$compat" "$caller" | grep -o '\bhave_createdb_privilege\b' | wc -l)
    [ "$n" = 4 ] || { echo "expected 4 uses of have_createdb_privilege, found $n"; exit 1; }
    sed -i 's/\bhave_createdb_privilege\b/citus_have_createdb_privilege/g' "$compat" "$caller" || exit 1
    sed -i 's/^#define citus_have_createdb_privilege() citus_have_createdb_privilege()$/#define citus_have_createdb_privilege() have_createdb_privilege()/' "$compat" || exit 1
    grep -q '^#define citus_have_createdb_privilege() have_createdb_privilege()$' "$compat" || exit 1
    ./configure PG_CONFIG="$PG_CONFIG" || exit 1
    # No LLVM bitcode: the tests do not use JIT for Citus's code.
    nice make -s -j"$jobs" with_llvm=no || exit 1
    make -s install-extension with_llvm=no DESTDIR="$prefix/root" || exit 1
) >"$buildlog" 2>&1; then
    log "Citus $citus_version: build FAILED; last lines of $buildlog:"
    tail -40 "$buildlog" >&2
    exit 1
fi
{
    echo "server $server"
    echo "source $(basename "$tarball") sha256 $(sha256sum "$tarball" | cut -d' ' -f1)"
    echo "built $(date -u +%FT%TZ) in $(( $(date +%s) - start )) s"
} >"$prefix/.complete"
log "Citus $citus_version: built in $(( $(date +%s) - start )) s"
echo "$prefix/root"
