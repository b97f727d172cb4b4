#!/usr/bin/env bash
# Builds the tree (extra make arguments are passed on, e.g.
# COPT=-DUSE_ASSERT_CHECKING; MIGRATOR_BUILD_JOBS sets make -j, default 2)
# and installs it, together with a copy of the
# server, into tmp_install/: a private installation, the way PostgreSQL's
# own "make check" works, so tests and benchmarks need no system-wide
# install and cannot pick up another build.  The server finds its share and
# lib directories relative to its own binary.  Prints the bin directory to
# put first on PATH.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$($PG_CONFIG --bindir)
sharedir=$($PG_CONFIG --sharedir)
tmp="$here/tmp_install"
make -C "$here" -s clean >/dev/null
make -C "$here" -s -j"${MIGRATOR_BUILD_JOBS:-2}" "$@" >/dev/null
rm -rf "$tmp"
mkdir -p "$tmp$(dirname "$bindir")" "$tmp$(dirname "$sharedir")"
cp -a "$(dirname "$bindir")" "$tmp$(dirname "$(dirname "$bindir")")/"
cp -a "$sharedir" "$tmp$(dirname "$sharedir")/"
make -C "$here" -s install DESTDIR="$tmp" >/dev/null
# Extensions that only the tests use (sql/27_guard_extensions.sql).
cp "$here"/test/extensions/*.control "$here"/test/extensions/*.sql \
    "$tmp$sharedir/extension/"
echo "$tmp$bindir"
