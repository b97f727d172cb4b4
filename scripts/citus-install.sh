#!/usr/bin/env bash
# Puts Citus into a private test installation (tmp_install/) for the Citus
# suite: builds it once with build-citus.sh (cached outside the clone) and
# copies the result over the installation.  Used by test/run.sh.
#
#   scripts/citus-install.sh TMP_INSTALL
#
# Prints one line saying what it did.  Exit status: 0 installed; 3 skipped
# (no tarball, or a server Citus does not support: the line says which);
# anything else: the build failed, and the run must fail.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=${1:?usage: citus-install.sh TMP_INSTALL}

root=$(bash "$here/scripts/build-citus.sh" 2>"$tmp.citus-build.err")
status=$?
case $status in
    0)
        cp -a "$root"/. "$tmp"/ || exit 1
        echo "citus: installed from $(dirname "$root") into $tmp"
        ;;
    3|4)
        echo "citus: suite skipped: $(sed 's/^build-citus: //' "$tmp.citus-build.err" | tail -1)"
        status=3
        ;;
    *)
        cat "$tmp.citus-build.err" >&2
        echo "citus: build FAILED (exit $status)"
        ;;
esac
rm -f "$tmp.citus-build.err"
exit "$status"
