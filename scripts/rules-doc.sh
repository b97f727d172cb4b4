#!/usr/bin/env bash
# make rules-doc: writes the rule table of docs/reference.md (between the
# "rules:begin" and "rules:end" markers) from migrator.rules() of this tree.
# Builds the tree into a private installation (tmp_install/, as make test
# does), starts a throwaway cluster, renders the table with
# scripts/rules-doc.sql.  test/t/091_rules_doc.pl fails until the page
# matches.  As root, the build and the cluster run as "postgres" in a copy
# of the tree; the page of this checkout is rewritten.
#   bash scripts/rules-doc.sh           rewrite docs/reference.md
#   bash scripts/rules-doc.sh --print   print the table only
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
page="$here/docs/reference.md"

# Replaces the lines between the markers of docs/reference.md by stdin.
splice() {
    local table
    table=$(cat)
    TABLE="$table" perl -0pi -e \
        's/(<!-- rules:begin[^\n]*-->\n).*?(<!-- rules:end -->)/$1$ENV{TABLE}\n$2/s or die "docs\/reference.md has no rules:begin and rules:end markers\n"' \
        "$page"
    echo "rules-doc: wrote the rule table of docs/reference.md"
}

if [ "$(id -u)" = 0 ]; then
    work=$(mktemp -d /tmp/migrator-rules-doc.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    rsync -a --exclude .git --exclude tmp_install --exclude tmp_check \
        --exclude results "$here"/ "$work"/
    chown -R postgres: "$work"
    table=$(runuser -u postgres -- bash "$work/scripts/rules-doc.sh" --print)
    if [ "${1:-}" = --print ]; then printf '%s\n' "$table"; else printf '%s\n' "$table" | splice; fi
    exit 0
fi

tmpbin=$(bash "$here/scripts/tmp-install.sh")
export PATH="$tmpbin:$PATH"
. "$here/bench/lib.sh"
bench_cluster_start >/dev/null
psql -X -q -d postgres -c 'CREATE EXTENSION migrator'
table=$(psql -X -A -t -d postgres -f "$here/scripts/rules-doc.sql")
if [ "${1:-}" = --print ]; then printf '%s\n' "$table"; else printf '%s\n' "$table" | splice; fi
