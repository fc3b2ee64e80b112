#!/bin/sh
# Make the patched QEMU tree: a hard-linked copy of the pristine tree with
# qemu/patches/series applied and our folders linked in as <tree>/ubf.
#
# Usage: prepare-qemu.sh [--baseline | --only SERIES] PRISTINE TREE
#
# --baseline makes the same hard-linked copy with no patch and no ubf/:
# stock QEMU, built from the same relative paths as ours (build-qemu.sh).
# --only SERIES applies that one series (a folder of qemu/patches) and no
# ubf/: stock QEMU with, say, only the Hyper-V enlightenments under TCG.
#
# Files untouched by the patches keep their inode and mtime, so ninja only
# rebuilds what a patch changed.  The tree is made again only when the
# pristine tree or the series changes.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
baseline=false
only=""
if [ "$1" = --baseline ]; then
    baseline=true
    shift
elif [ "$1" = --only ]; then
    # One series of qemu/patches/series, and no ubf/: for instance the
    # Hyper-V enlightenments alone, a baseline for stock hv-balloon.
    only=$2
    shift 2
fi
pristine=$1
tree=$2
patches="$top/qemu/patches"

stamp_of() {
    cat "$pristine/.ubf-version"
    cksum <"$0"    # the links below may change
    if $baseline; then
        echo baseline
        return
    fi
    echo "only=$only"
    cat "$patches/series"
    while read -r p; do
        case $p in ''|'#'*) continue ;; esac
        cksum <"$patches/$p"
    done <"$patches/series"
}

want=$(stamp_of | cksum)
if [ -f "$tree/.ubf-patched" ] && [ "$(cat "$tree/.ubf-patched")" = "$want" ]; then
    exit 0
fi

mkdir -p "$(dirname "$tree")"
rm -rf "$tree.tmp"
cp -al "$pristine" "$tree.tmp"
# Both flavours build the same device set (see build-qemu.sh).
ln -s "$top/qemu/devices-x86_64.mak" \
    "$tree.tmp/configs/devices/x86_64-softmmu/ubf.mak"
if $baseline; then
    echo "$want" >"$tree.tmp/.ubf-patched"
    rm -rf "$tree"
    mv "$tree.tmp" "$tree"
    exit 0
fi
while read -r p; do
    case $p in ''|'#'*) continue ;; esac
    if [ -n "$only" ] && [ "${p%%/*}" != "$only" ]; then
        continue
    fi
    # GNU patch writes a new file and renames it over the old one, so the
    # hard links to the pristine tree are broken for patched files only.
    if ! patch -d "$tree.tmp" -p1 -s -N --no-backup-if-mismatch -r - \
            <"$patches/$p" >"$tree.tmp/.patch.log" 2>&1; then
        echo "prepare-qemu: $p does not apply: $(head -n1 "$tree.tmp/.patch.log")" >&2
        rm -rf "$tree.tmp"
        exit 1
    fi
done <"$patches/series"
rm -f "$tree.tmp/.patch.log"
if [ -n "$only" ]; then
    echo "$want" >"$tree.tmp/.ubf-patched"
    rm -rf "$tree"
    mv "$tree.tmp" "$tree"
    exit 0
fi

mkdir "$tree.tmp/ubf"
ln -s "$top/qemu/meson.build" "$tree.tmp/ubf/meson.build"
for d in frontend backends qapi monitor tests; do
    ln -s "$top/$d" "$tree.tmp/ubf/$d"
done
# The schema module is included from qapi/qapi-schema.json (patch 0003).
ln -s ../ubf/qapi/memory-resize.json "$tree.tmp/qapi/memory-resize.json"
echo "$want" >"$tree.tmp/.ubf-patched"

# Keep the old build's idea of unchanged files: swap trees atomically.
rm -rf "$tree"
mv "$tree.tmp" "$tree"
