#!/bin/sh
# Configure (when needed) and build qemu-system-x86_64.
#
# Usage: build-qemu.sh SRC BUILD
#
# SRC is reached from BUILD as ../src (prepare-qemu.sh and the Makefile
# lay the trees out that way) so that the patched and the baseline builds
# give ccache the very same command lines: the second build is cheap.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
src=$1
build=$2

cfg="--target-list=x86_64-softmmu --python=/usr/bin/python3
 --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
 --without-default-features --without-default-devices
 --with-devices-x86_64=ubf
 --enable-tcg --enable-kvm --enable-hv-balloon --enable-numa
 --enable-trace-backends=log
 --disable-download --disable-docs --disable-install-blobs"
# make check SANITIZE=1: ours with ASan and UBSan (the baselines never)
if [ "${UBF_SANITIZE:-}" = 1 ] && [ -d "$src/ubf" ]; then
    cfg="$cfg --enable-asan --enable-ubsan"
fi
# Ours says so: -version and the QMP greeting's "package", as Debian's
# builds say theirs ("ubf 1:10.0.13+ds-0+deb13u1+ubf1").
pkgversion=
if [ -d "$src/ubf" ]; then
    pkgversion="ubf $(cat "$top/qemu/VERSION")+ubf$(cat "$top/UBF_REVISION")"
fi
cc=cc
if command -v ccache >/dev/null 2>&1; then
    cc="ccache cc"
    # The build folders differ; the relative command lines do not.
    export CCACHE_NOHASHDIR=1
    # QEMU also passes absolute -iquote paths: make them relative so that
    # a clone in another folder (CI) reuses the cache too.
    export CCACHE_BASEDIR="$top"
fi

mkdir -p "$build"
want=$(printf '%s\n%s\n%s\n' "$cc" "$cfg" "$pkgversion" |
       cat - "$top/qemu/devices-x86_64.mak" | cksum)
if [ ! -f "$build/build.ninja" ] || [ ! -f "$build/.ubf-config" ] ||
   [ "$(cat "$build/.ubf-config")" != "$want" ]; then
    rm -rf "$build"
    mkdir -p "$build"
    # shellcheck disable=SC2086
    if ! (cd "$build" && ../src/configure --cc="$cc" $cfg \
            ${pkgversion:+"--with-pkgversion=$pkgversion"}) \
            >"$build.configure.log" 2>&1; then
        echo "build-qemu: configure failed in $build: $(grep -m1 'ERROR' "$build.configure.log")" >&2
        exit 1
    fi
    echo "$want" >"$build/.ubf-config"
fi
# QEMU's own qtests that touch what our patches change, run by
# tests/qtest/ against our binary.
qtests=$(cat "$top/tests/qtest/qtests.txt")
if [ -d "$src/ubf" ]; then
    # shellcheck disable=SC2046
    exec ninja -C "$build" qemu-system-x86_64 ubf-unit-tests ubf-hostile-tests \
        $(for t in $qtests; do echo "tests/qtest/$t"; done)
fi
exec ninja -C "$build" qemu-system-x86_64
