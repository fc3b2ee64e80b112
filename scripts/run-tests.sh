#!/bin/sh
# Run the meson test suites (all, or the ones named) with the accelerator
# choose-accel.sh picks, then print "N passed, N failed".
#
# Unit tests of the frontend and the hostile-guest qtests build in QEMU's
# tree (suites ubf-unit, range, ubf-hostile);
# the other suites (build, range, integration, ...) in our own project.
# Each named suite is asked of both; meson skips a project without it.
#
# Usage: run-tests.sh BUILD [SUITE...]
set -u

build=$1
shift
here=$(dirname "$0")
accel=$("$here/choose-accel.sh" "$build/bin/qemu-system-x86_64" \
        "$build/guest" "$build")
export UBF_ACCEL="$accel"
# Stock QEMU 10.0 from the same source, for the migration compatibility
# tests: without Hyper-V under TCG, and with it (stock hv-balloon).
abs_build=$(cd "$build" && pwd)
export UBF_BASELINE_QEMU="${UBF_BASELINE_QEMU:-$abs_build/bin/qemu-system-x86_64-baseline}"
export UBF_BASELINE_HV_QEMU="${UBF_BASELINE_HV_QEMU:-$abs_build/bin/qemu-system-x86_64-baseline-hv}"
# The hostile-guest qtests (QEMU's tree, suite ubf-hostile) run our binary.
export QTEST_QEMU_BINARY="$abs_build/bin/qemu-system-x86_64"

# A sanitizer build (make check SANITIZE=1): every report goes to a file
# of its own, listed at the end.  Leaks are not checked: QEMU leaves its
# memory to the exit.
sandir="$abs_build/sanitizer"
if [ "${UBF_SANITIZE:-}" = 1 ]; then
    rm -rf "$sandir"
    mkdir -p "$sandir"
    export ASAN_OPTIONS="detect_leaks=0:log_path=$sandir/asan"
    export UBSAN_OPTIONS="print_stacktrace=1:log_path=$sandir/ubsan"
fi

suites=""
for s in "$@"; do
    suites="$suites --suite $s"
done

qemu_log="$build/qemu/build/meson-logs/testlog.json"
tools_log="$build/tools/meson-logs/testlog.json"
rm -f "$qemu_log" "$tools_log"
# shellcheck disable=SC2086
if [ $# -eq 0 ]; then
    meson test -C "$build/qemu/build" --no-rebuild --print-errorlogs \
        --suite ubf-unit --suite ubf-hostile
else
    meson test -C "$build/qemu/build" --no-rebuild --print-errorlogs $suites
fi
# shellcheck disable=SC2086
meson test -C "$build/tools" --print-errorlogs $suites

logs=""
for l in "$qemu_log" "$tools_log"; do
    [ -f "$l" ] && logs="$logs $l"
done
reports=""
if [ "${UBF_SANITIZE:-}" = 1 ]; then
    # Files holding only ASan's warning about coroutines' swapcontext
    # report nothing.
    reports=$(grep -l 'ERROR: AddressSanitizer\|runtime error\|SUMMARY:' \
              "$sandir"/* 2>/dev/null || true)
    echo "sanitizers: $(echo "$reports" | grep -c . || true) reports in $sandir"
    for r in $reports; do
        grep -m1 'SUMMARY:\|runtime error' "$r"
    done
fi
# Which guest kernels the suite tested, and whether any is not the one
# tests/guest/kernels pins (Debian's archive moved on).
for g in "$build"/guest "$build"/guest-*; do
    [ -f "$g/kernel-version" ] || continue
    echo "guest kernel $(basename "$g"): $(cat "$g/kernel-version")"
    if [ -f "$g/kernel-notice" ]; then
        echo "NOTICE: $(cat "$g/kernel-notice")"
    fi
done
# shellcheck disable=SC2086
"$here/summarize-tests.py" $logs || exit 1
[ -z "$reports" ]
