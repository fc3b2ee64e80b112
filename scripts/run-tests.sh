#!/bin/sh
# Run every meson test suite of our project (or only the ones named) with
# the accelerator choose-accel.sh picks, then print "N passed, N failed".
#
# Usage: run-tests.sh BUILD [SUITE...]
set -u

build=$1
shift
here=$(dirname "$0")
accel=$("$here/choose-accel.sh" "$build/bin/qemu-system-x86_64" \
        "$build/guest" "$build")
export UBF_ACCEL="$accel"

# Unit tests of the frontend run in QEMU's build (suite ubf-unit), every
# other suite in our own project's build.
logs=""
want() {
    [ $# -eq 0 ] && return 0
    for s in "$@"; do [ "$s" = "$suite" ] && return 0; done
    return 1
}
suite=ubf-unit
if want "$@"; then
    rm -f "$build/qemu/build/meson-logs/testlog.json"
    meson test -C "$build/qemu/build" --no-rebuild --print-errorlogs \
        --suite ubf-unit
    logs="$build/qemu/build/meson-logs/testlog.json"
fi
suites=""
for s in "$@"; do
    [ "$s" = ubf-unit ] || suites="$suites --suite $s"
done
if [ $# -eq 0 ] || [ -n "$suites" ]; then
    rm -f "$build/tools/meson-logs/testlog.json"
    # shellcheck disable=SC2086
    meson test -C "$build/tools" --print-errorlogs $suites
    logs="$logs $build/tools/meson-logs/testlog.json"
fi
# shellcheck disable=SC2086
"$here/summarize-tests.py" $logs
