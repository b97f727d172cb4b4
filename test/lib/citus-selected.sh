# Sourced by test/run.sh and test/run-suites.sh.
#
# citus_selected SUITES TAP: does a run of these suites (MIGRATOR_SUITES,
# default all) and TAP files (MIGRATOR_TAP, default all) include the Citus
# suite (test/t/095_citus.pl)?
citus_selected() {
    local suites=${1:-regress upgrade isolation valgrind tap}
    [[ " $suites " == *" tap "* ]] || return 1
    (cd "$here/test/t" && ls ${2:-*.pl} 2>/dev/null) | grep -q citus
}
