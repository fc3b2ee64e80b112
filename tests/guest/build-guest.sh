#!/bin/sh
# Build the Linux test guest: Debian's kernel (linux-image-amd64 from
# bookworm-backports), busybox-static, and ubf-agent in an initramfs;
# the same with Debian's kexec-tools and the kernel itself, for a guest
# that kexecs; and hvprobe and hvdm, bare-metal guests that misuse the
# Hyper-V interface and hv-balloon's Dynamic Memory protocol.
#
# Usage: build-guest.sh OUTDIR
#   OUTDIR/vmlinuz, OUTDIR/initrd.img, OUTDIR/kernel-version,
#   OUTDIR/initrd-kexec.img
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
initramfs() {
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) \
        >"$2.tmp"
    mv "$2.tmp" "$2"
}
initramfs "$root" "$out/initrd.img"

# The kexec guest: Debian's kexec-tools with the libraries it links
# (the Xen ones, for its Xen support, from Debian too; glibc is the
# host's, Debian 12's own), and the kernel to kexec into.  The agent
# (command kexec) hands the next kernel this initramfs as it is.
kexec_pkgs="kexec-tools libxenmisc4.17 libxencall1 libxendevicemodel1
libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxentoolcore1
libxentoollog1"
if [ ! -f "$dl/kexec.stamp" ]; then
    rm -rf "$dl/kexec"
    mkdir -p "$dl/kexec"
    # shellcheck disable=SC2086
    (cd "$dl/kexec" && apt-get download $kexec_pkgs >download.log 2>&1) ||
        die "cannot download kexec-tools: $(grep -m1 '^E:' "$dl/kexec/download.log")"
    for d in "$dl/kexec"/*.deb; do
        dpkg-deb -x "$d" "$dl/kexec/root"
    done
    touch "$dl/kexec.stamp"
fi
kroot="$out/root-kexec"
rm -rf "$kroot"
cp -a "$root" "$kroot"
mkdir -p "$kroot/sbin" "$kroot/kexec" "$kroot/lib64" \
    "$kroot/lib/x86_64-linux-gnu"
cp "$dl/kexec/root/sbin/kexec" "$kroot/sbin/kexec"
cp "$out/vmlinuz" "$kroot/kexec/vmlinuz"
cp -L /lib64/ld-linux-x86-64.so.2 "$kroot/lib64/"
klibs=$(cd "$dl/kexec/root/usr/lib/x86_64-linux-gnu" && pwd)
for lib in $(LD_LIBRARY_PATH="$klibs" \
             ldd "$kroot/sbin/kexec" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'); do
    cp -L "$lib" "$kroot/lib/x86_64-linux-gnu/"
done
LD_LIBRARY_PATH="$kroot/lib/x86_64-linux-gnu" ldd "$kroot/sbin/kexec" |
    grep -q 'not found' && die "kexec: a library is missing"
initramfs "$kroot" "$out/initrd-kexec.img"
echo "$kver" >"$out/kernel-version"
