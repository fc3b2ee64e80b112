#!/bin/sh
# QEMU's generic-fuzz (libFuzzer, clang, ASan and UBSan) over the devices
# our frontend drives, with the frontend in: each target runs SECONDS and
# its exec count, and any crash, is reported.  Not hv-balloon: the fuzzer
# runs QEMU under the qtest accelerator, which has no Hyper-V SynIC, so
# VMBus devices cannot be created (tests/guest/hvdm.c covers hv-balloon).  Crashes are kept in
# BUILD/fuzz/TARGET/ (libFuzzer's crash-* files; rerun one with
# "qemu-fuzz-x86_64 --fuzz-target=generic-fuzz FILE" and the same
# QEMU_FUZZ_ARGS and QEMU_FUZZ_OBJECTS).
#
# Usage: fuzz-qemu.sh BUILD SECONDS
set -eu

build=$1
seconds=$2
src=$(cd "$build/qemu/src" && pwd)     # our patched tree (make qemu)
fb="$(cd "$build" && pwd)/qemu-fuzz/build"

cfg="--target-list=x86_64-softmmu --python=/usr/bin/python3
 --cc=clang --cxx=clang++ --enable-fuzzing --enable-asan --enable-ubsan
 --without-default-features --without-default-devices
 --with-devices-x86_64=ubf --enable-tcg --enable-kvm --enable-hv-balloon
 --enable-numa
 --disable-download --disable-docs --disable-install-blobs --disable-werror"
if [ ! -f "$fb/build.ninja" ]; then
    mkdir -p "$fb"
    # shellcheck disable=SC2086
    if ! (cd "$fb" && "$src/configure" $cfg) >"$fb.configure.log" 2>&1; then
        echo "fuzz-qemu: configure failed: $(grep -m1 ERROR "$fb.configure.log")" >&2
        exit 1
    fi
fi
if ! ninja -C "$fb" qemu-fuzz-x86_64 >"$fb.build.log" 2>&1; then
    grep -m5 -A5 'error\|FAILED' "$fb.build.log" >&2
    exit 1
fi

# name, QEMU_FUZZ_ARGS, QEMU_FUZZ_OBJECTS (-L: Debian's firmware)
targets='virtio-balloon|-L /usr/share/seabios -L /usr/share/qemu -machine q35 -nodefaults -m 512M -device virtio-balloon-pci|virtio*
virtio-mem|-L /usr/share/seabios -L /usr/share/qemu -machine q35 -nodefaults -m 512M,maxmem=4G -object memory-backend-ram,id=m0,size=1G -device virtio-mem-pci,memdev=m0,requested-size=256M|virtio*'

status=0
while IFS='|' read -r name args objects; do
    dir="$build/fuzz/$name"
    mkdir -p "$dir/corpus"
    log="$dir/fuzz.log"
    (cd "$dir" && QEMU_FUZZ_ARGS="$args" QEMU_FUZZ_OBJECTS="$objects" \
        "$fb/qemu-fuzz-x86_64" --fuzz-target=generic-fuzz \
        -max_total_time="$seconds" -print_final_stats=1 corpus) \
        >"$log" 2>&1 || true
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    crashes=$(find "$dir" -maxdepth 1 -name "crash-*" -o -maxdepth 1 -name "leak-*" -o -maxdepth 1 -name "timeout-*" | wc -l)
    echo "fuzz $name: ${runs:-0} execs in ${seconds} s, $crashes crashes" \
         "(log $log)"
    if [ "$crashes" != 0 ] || [ -z "$runs" ]; then
        status=1
    fi
done <<EOF
$targets
EOF
exit $status
