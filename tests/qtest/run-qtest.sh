#!/bin/sh
# Run one of QEMU's own qtests (built in QEMU's build folder) against our
# QEMU ($QTEST_QEMU_BINARY), in TAP.
#
# Usage: run-qtest.sh QTEST_BINARY
set -eu

if [ ! -x "$1" ]; then
    echo "Bail out! $1 is not built (scripts/build-qemu.sh builds it)"
    exit 1
fi
exec "$1" --tap -k
