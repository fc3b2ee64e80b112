#!/bin/sh
# Work on the patch series in qemu/patches/ with git.
#
#   patch-queue.sh checkout DIR   DIR becomes a git tree of pristine QEMU
#                                 (build/dl/qemu-src) with one branch per
#                                 series, each patch a commit
#   patch-queue.sh export DIR     write the branches back as patch files
#                                 (git format-patch, with a cover letter
#                                 from qemu/patches/SERIES/description)
#                                 and rewrite qemu/patches/series
#
# The series are applied in the order of qemu/patches/series; each
# branch starts where the one before it ends.  Edit with the usual git
# tools (commit --fixup, rebase -i) on the branches, then export.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
patches="$top/qemu/patches"
pristine="$top/build/dl/qemu-src"

die() {
    echo "patch-queue: $*" >&2
    exit 1
}

# The series, in order: the folders named in the series file.
series_names() {
    grep -v '^\(#\|$\)' "$patches/series" | cut -d/ -f1 | uniq
}

checkout() {
    dir=$1
    [ -d "$pristine" ] || die "no pristine tree in $pristine (run make first)"
    [ ! -e "$dir" ] || die "$dir exists"
    cp -a "$pristine" "$dir"
    cd "$dir"
    git init -q
    git add -A >/dev/null
    git commit -q -m "pristine $(cat "$top/qemu/VERSION")"
    git tag pristine
    for s in $(series_names); do
        git checkout -q -b "$s"
        grep "^$s/" "$patches/series" | while read -r p; do
            git am -q "$patches/$p" || die "$p does not apply"
        done
        git config "branch.$s.description" "$(cat "$patches/$s/description")"
    done
}

export_series() {
    dir=$1
    cd "$dir"
    base=pristine
    tmp=$(mktemp)
    for s in $(series_names) ; do
        git config "branch.$s.description" "$(cat "$patches/$s/description")"
        rm -f "$patches/$s"/*.patch
        git format-patch -q --cover-letter --cover-from-description=subject \
            --no-signature --zero-commit -o "$patches/$s" "$base..$s"
        # The cover letter carries the date of the series' last commit,
        # so that exporting an unchanged series changes nothing.
        date=$(git log -1 --format=%aD "$s")
        sed -i "s/^Date: .*/Date: $date/" "$patches/$s"/0000-cover-letter.patch
        (cd "$patches" && ls "$s"/*.patch | grep -v /0000-) >>"$tmp"
        base=$s
    done
    mv "$tmp" "$patches/series"
}

case ${1:-} in
checkout) checkout "$2" ;;
export) export_series "$2" ;;
*) die "usage: patch-queue.sh checkout|export DIR" ;;
esac
