#!/bin/sh
# Build the libFuzzer targets with clang, against QEMU's headers and
# utility library from the QEMU build (the code under test is built the
# same way inside QEMU).
#
# Usage: build-fuzz.sh QEMU_SRC QEMU_BUILD OUTDIR
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
src=$1
build=$2
out=$3

mkdir -p "$out"
target="$out/fuzz-range-set"
inputs="$top/tests/fuzz/fuzz-range-set.c $top/frontend/range-set.c
        $top/frontend/range-set.h $build/libqemuutil.a"
if [ -f "$target" ]; then
    stale=false
    for f in $inputs; do
        [ "$f" -nt "$target" ] && stale=true
    done
    $stale || exit 0
fi
# shellcheck disable=SC2046
clang -fsanitize=fuzzer,address,undefined -g -O1 -D_GNU_SOURCE \
    -I"$src/include" -I"$build" -I"$build/qapi" -iquote "$build" \
    -iquote "$src" -iquote "$src/include" \
    -iquote "$src/host/include/x86_64" -iquote "$src/host/include/generic" \
    -I"$top/frontend" $(pkg-config --cflags glib-2.0) \
    "$top/tests/fuzz/fuzz-range-set.c" "$top/frontend/range-set.c" \
    "$build/libqemuutil.a" $(pkg-config --libs glib-2.0) -lm \
    -o "$target.tmp"
mv "$target.tmp" "$target"
