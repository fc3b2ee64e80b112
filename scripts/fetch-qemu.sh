#!/bin/sh
# Fetch Debian's QEMU source package pinned in qemu/VERSION and unpack it
# with dpkg-source, which checks every file against the .dsc checksums.
#
# Usage: fetch-qemu.sh SRCDIR
#   SRCDIR/           downloaded .dsc, .orig.tar.xz and .debian.tar.xz
#   SRCDIR/qemu-src/  the unpacked, Debian-patched tree (pristine QEMU)
#
# Environment: APT_OPTS adds options to every apt-get call (the tests use
# it to point apt at a private, unreachable source list).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
srcdir=$1
version=$(cat "$top/qemu/VERSION")
dsc="qemu_${version#*:}.dsc"
APT_OPTS=${APT_OPTS:-}

die() {
    echo "fetch-qemu: $*" >&2
    exit 1
}

# What went wrong, in one line: apt's first "Err:" with the reason on the
# line after it, else its first "E:" line.
apt_reason() {
    awk '/^Err:/ { getline why; sub(/^ +/, "", why); print $0 ": " why; exit }
         /^(E:|W: Failed)/ { print; exit }' "$1" | tr -s ' \t' ' '
}

mkdir -p "$srcdir"
cd "$srcdir"

if [ -f qemu-src/.ubf-version ] &&
   [ "$(cat qemu-src/.ubf-version)" = "$version" ]; then
    exit 0
fi

if [ ! -f "$dsc" ]; then
    # shellcheck disable=SC2086
    if ! apt-get $APT_OPTS source --download-only "qemu=$version" \
            >apt-source.log 2>&1; then
        # Stale or missing package lists: refresh once, then retry.
        # shellcheck disable=SC2086
        if ! apt-get $APT_OPTS update >apt-update.log 2>&1 ||
           grep -q -E '^(Err:|W: Failed)' apt-update.log; then
            die "package source unreachable: $(apt_reason apt-update.log)"
        fi
        # shellcheck disable=SC2086
        apt-get $APT_OPTS source --download-only "qemu=$version" \
            >apt-source.log 2>&1 ||
            die "cannot download source package qemu=$version: $(apt_reason apt-source.log)"
    fi
fi

rm -rf qemu-src qemu-src.tmp
# dpkg-source checks every file against the sizes and checksums in the
# .dsc (apt already checked the .dsc against the signed Sources index).
# Without Debian's keyring it can only warn about the signature itself.
if ! dpkg-source -x "$dsc" qemu-src.tmp >dpkg-source.log 2>&1; then
    rm -rf qemu-src.tmp
    die "$dsc: $(grep -m1 'error' dpkg-source.log | sed 's/^dpkg-source: error: //')"
fi
echo "$version" >qemu-src.tmp/.ubf-version
mv qemu-src.tmp qemu-src
