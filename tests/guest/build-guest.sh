#!/bin/sh
# Build the Linux test guest: a Debian kernel (tests/guest/kernels says
# which), busybox-static, and ubf-agent in an initramfs;
# the same with Debian's kexec-tools and the kernel itself, for a guest
# that kexecs; and hvprobe and hvdm, bare-metal guests that misuse the
# Hyper-V interface and hv-balloon's Dynamic Memory protocol.
#
# Usage: build-guest.sh OUTDIR [GUEST]
#   GUEST: a name of tests/guest/kernels (default "main")
#   OUTDIR/vmlinuz, OUTDIR/initrd.img, OUTDIR/kernel-version,
#   OUTDIR/kernel-notice (only when the kernel is not the one pinned),
#   OUTDIR/initrd-kexec.img
#   OUTDIR/hvprobe.elf
#   OUTDIR/hvdm.elf
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=$1
guest=${2:-main}
dl="$out/dl"
CC=${CC:-cc}

die() {
    echo "build-guest: $*" >&2
    exit 1
}

mkdir -p "$dl"
# The kernel: the one tests/guest/kernels pins for this guest, while
# Debian's archive has it; else the suite's newest, said loudly.
line=$(awk -v g="$guest" '$1 == g { print $2, $3, $4 }' "$here/kernels")
[ -n "$line" ] || die "no guest \"$guest\" in $here/kernels"
# shellcheck disable=SC2086
set -- $line
suite=$1 pkg=$2 ver=$3
rm -f "$out/kernel-notice"
if ! apt-cache show "$pkg=$ver" >/dev/null 2>&1; then
    case $suite in
    *-backports) target="-t $suite" ;;
    *) target= ;;
    esac
    # shellcheck disable=SC2086
    newest=$(apt-cache depends $target linux-image-amd64 2>/dev/null |
             sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
    [ -n "$newest" ] || die "cannot resolve linux-image-amd64 in $suite (run make setup)"
    # shellcheck disable=SC2086
    newver=$(apt-cache policy $target "$newest" 2>/dev/null |
             sed -n 's/^ *Candidate: //p')
    notice="guest kernel ($guest): tests/guest/kernels pins $pkg $ver, which Debian's archive no longer has; the suite tests $newest $newver instead (update the pin once it passes)"
    echo "build-guest: NOTICE: $notice" >&2
    mkdir -p "$out"
    echo "$notice" >"$out/kernel-notice"
    pkg=$newest ver=$newver
fi
if [ ! -f "$dl/$pkg-$ver.stamp" ]; then
    rm -rf "$dl/kernel" "$dl"/linux-image-*.deb "$dl"/linux-image-*.stamp
    (cd "$dl" && apt-get download "$pkg=$ver" >download.log 2>&1) ||
        die "cannot download $pkg $ver: $(grep -m1 '^E:' "$dl/download.log")"
    dpkg-deb -x "$dl"/linux-image-*.deb "$dl/kernel"
    touch "$dl/$pkg-$ver.stamp"
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
# the tests are these.  What they need besides, and the virtio PCI
# transport where the kernel has it as a module (Debian's 6.1; 6.12 has
# it built in), is in /lib/modules/base, in the order init loads it.
modfile() {
    find "$moddir" -name "$1.ko" -o -name "$1.ko.xz" | head -n1
}
copy_module() {
    f=$(modfile "$1")
    [ -n "$f" ] || die "module $1 not in $kver"
    case $f in
    *.xz) xz -dc "$f" >"$root/lib/modules/$1.ko" ;;
    *) cp "$f" "$root/lib/modules/$1.ko" ;;
    esac
}
# $1 and what it depends on, depended on first
closure() {
    for d in $(modinfo -F depends "$(modfile "$1")" | tr ',' ' '); do
        closure "$d"
    done
    echo "$1"
}
wanted="virtio_balloon virtio_mem hv_vmbus hv_balloon"
base=
for m in $wanted $( [ -n "$(modfile virtio_pci)" ] && echo virtio_pci); do
    for d in $(closure "$m"); do
        case " $wanted $base " in
        *" $d "*) ;;
        *) base="$base $d" ;;
        esac
    done
done
for m in $wanted $base; do
    copy_module "$m"
done
echo "$base" | tr ' ' '\n' | sed '/^$/d' >"$root/lib/modules/base"

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
