#!/bin/sh
# Print the accelerator the tests and the demo use: "kvm" when /dev/kvm can
# run a standard guest (our test guest boots to its init), else "tcg" with
# a one-line notice on stderr.  $UBF_ACCEL overrides; the probe's answer
# is cached per host kernel in BUILD/accel.
#
# Usage: choose-accel.sh QEMU GUEST_DIR BUILD
set -u

qemu=$1
guest=$2
build=$3
cache="$build/accel"
key="$(uname -r) $(ls -l /dev/kvm 2>/dev/null)"

if [ -n "${UBF_ACCEL:-}" ]; then
    echo "$UBF_ACCEL"
    exit 0
fi
if [ -f "$cache" ] && [ "$(sed -n 2p "$cache")" = "$key" ]; then
    accel=$(sed -n 1p "$cache")
    [ "$accel" = tcg ] && echo "accel: $(sed -n 3p "$cache")" >&2
    echo "$accel"
    exit 0
fi

why=""
if [ ! -w /dev/kvm ]; then
    why="no usable /dev/kvm; using TCG"
else
    dir=$(mktemp -d)
    "$qemu" -accel kvm -machine q35 -cpu host -m 256 -nodefaults \
        -display none -no-reboot -kernel "$guest/vmlinuz" \
        -initrd "$guest/initrd.img" -append "console=ttyS0 panic=-1" \
        -serial "file:$dir/console" >"$dir/qemu.log" 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 150 ]; do
        if grep -q "ubf-init: ready" "$dir/console" 2>/dev/null; then
            break
        fi
        if ! kill -0 $pid 2>/dev/null ||
           grep -q "KVM internal error\|emulation failure" "$dir/qemu.log"; then
            why="KVM cannot run a standard guest here ($(grep -m1 -i 'error\|fail' "$dir/qemu.log")); using TCG"
            break
        fi
        sleep 0.2
        i=$((i + 1))
    done
    if [ -z "$why" ] && ! grep -q "ubf-init: ready" "$dir/console" 2>/dev/null; then
        why="KVM did not boot the test guest within 30 s; using TCG"
    fi
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    rm -rf "$dir"
fi

if [ -n "$why" ]; then
    accel=tcg
    echo "accel: $why" >&2
else
    accel=kvm
fi
mkdir -p "$build"
printf '%s\n%s\n%s\n' "$accel" "$key" "$why" >"$cache"
echo "$accel"
