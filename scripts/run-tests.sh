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

suites=""
for s in "$@"; do
    suites="$suites --suite $s"
done
# shellcheck disable=SC2086
meson test -C "$build/tools" --print-errorlogs $suites
"$here/summarize-tests.py" "$build/tools/meson-logs/testlog.json"
