#!/usr/bin/env bash
# Installs, as root, the Debian packages that building, testing, the demo and
# the benchmarks need, when they are missing.  Used by make test, make demo
# and make bench; safe to run again.  bison, flex, bzip2 and xz-utils build
# the servers of other major versions from their sources (build-pg.sh), with
# uuid-dev and libxml2-dev for their uuid-ossp and xml.
set -euo pipefail
PGVER=${PGVER:-15}
PACKAGES=(make gcc rsync "postgresql-$PGVER" "postgresql-server-dev-$PGVER"
          postgresql-contrib libipc-run-perl libtest-simple-perl valgrind
          bison flex bzip2 xz-utils uuid-dev libxml2-dev)
PACKAGES+=("$@")
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: not root, assuming these are installed: ${PACKAGES[*]}" >&2
    exit 0
fi
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${missing[@]}" >/dev/null
fi
