#!/bin/sh
# Build the Linux test guest: Debian's kernel (linux-image-amd64 from
# bookworm-backports), busybox-static, and ubf-agent in an initramfs;
# and hvprobe and hvdm, bare-metal guests that misuse the Hyper-V
# interface and hv-balloon's Dynamic Memory protocol.
#
# Usage: build-guest.sh OUTDIR
#   OUTDIR/vmlinuz, OUTDIR/initrd.img, OUTDIR/kernel-version,
#   OUTDIR/hvprobe.elf
#   OUTDIR/hvdm.elf
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=$1
dl="$out/dl"
CC=${CC:-cc}

die() {
    echo "build-guest: $*" >&2
    exit 1
}

mkdir -p "$dl"
# The kernel: whatever linux-image-amd64 in bookworm-backports depends on.
pkg=$(apt-cache depends -t bookworm-backports linux-image-amd64 2>/dev/null |
      sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 in bookworm-backports (run make setup)"
if [ ! -f "$dl/$pkg.stamp" ]; then
    rm -rf "$dl/kernel" "$dl"/*.deb
    (cd "$dl" && apt-get download -t bookworm-backports "$pkg" >download.log 2>&1) ||
        die "cannot download $pkg: $(grep -m1 '^E:' "$dl/download.log")"
    dpkg-deb -x "$dl"/linux-image-*.deb "$dl/kernel"
    touch "$dl/$pkg.stamp"
fi
kver=$(ls "$dl/kernel/lib/modules")
moddir="$dl/kernel/lib/modules/$kver/kernel"

root="$out/root"
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/lib/modules"
cp /bin/busybox "$root/bin/busybox" ||
    die "/bin/busybox missing (package busybox-static; run make setup)"
install -m 755 "$here/init" "$root/init"
# shellcheck disable=SC2086
$CC -static -O2 -Wall -Wextra -o "$root/bin/ubf-agent" "$here/agent.c"

# The modules are loaded by name from /lib/modules/NAME.ko; those used by
# the tests need nothing outside this list.
for m in drivers/virtio/virtio_balloon drivers/virtio/virtio_mem \
         drivers/hv/hv_vmbus drivers/hv/hv_balloon; do
    xz -dc "$moddir/$m.ko.xz" >"$root/lib/modules/$(basename "$m").ko"
done

# Multiboot kernels: 32-bit, freestanding, no libc
for k in hvprobe hvdm; do
    $CC -m32 -O2 -Wall -Wextra -ffreestanding -nostdlib -fno-pic -no-pie \
        -fno-stack-protector -fno-asynchronous-unwind-tables -static \
        -Wl,-T,"$here/hvprobe.ld" -Wl,--build-id=none \
        -o "$out/$k.elf.tmp" "$here/$k.c" "$here/hvbare.c"
    mv "$out/$k.elf.tmp" "$out/$k.elf"
done

cp "$dl/kernel/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) \
    >"$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "$kver" >"$out/kernel-version"
