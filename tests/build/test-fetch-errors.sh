#!/bin/sh
# The build's source step stops with one line naming what failed when the
# package source cannot be reached or a file does not match its checksum.
#
# Usage: test-fetch-errors.sh REPO DOWNLOADS   (TAP output)
set -u

repo=$1
dl=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

check() {   # check NAME STATUS STDERR-FILE PATTERN
    n=$((n + 1))
    lines=$(wc -l <"$3")
    if [ "$2" -ne 0 ] && [ "$lines" -eq 1 ] && grep -q -- "$4" "$3"; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1 (status $2, $lines lines: $(head -c 300 "$3"))"
        fails=$((fails + 1))
    fi
}

echo "1..2"

# A checksum mismatch: one byte of the Debian tarball changed.
mkdir "$tmp/sum"
dsc=$(ls "$dl"/qemu_*.dsc | head -n1)
cp "$dsc" "$dl"/qemu_*.debian.tar.xz "$tmp/sum/"
ln -s "$dl"/qemu_*.orig.tar.xz "$tmp/sum/"
tarball=$(ls "$tmp/sum"/qemu_*.debian.tar.xz)
printf 'X' | dd of="$tarball" bs=1 seek=4096 conv=notrunc 2>/dev/null
"$repo/scripts/fetch-qemu.sh" "$tmp/sum" 2>"$tmp/sum.err" >/dev/null
check "checksum mismatch names the file and the checksums" $? "$tmp/sum.err" \
    "debian.tar.xz has checksum .* instead of expected"

# An unreachable package source: apt pointed at a closed local port.
mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/parts" \
         "$tmp/apt/cache/archives/partial"
echo "deb-src [trusted=yes] http://127.0.0.1:9/debian trixie main" \
    >"$tmp/apt/sources.list"
APT_OPTS="-o Dir::Etc::SourceList=$tmp/apt/sources.list
 -o Dir::Etc::SourceParts=$tmp/apt/parts -o Dir::State::Lists=$tmp/apt/lists
 -o Dir::Cache=$tmp/apt/cache -o Acquire::Retries=0" \
    "$repo/scripts/fetch-qemu.sh" "$tmp/unreachable" 2>"$tmp/net.err" >/dev/null
check "unreachable source names the source and the reason" $? "$tmp/net.err" \
    "package source unreachable: Err:.*127.0.0.1:9.*Connection refused"

[ $fails -eq 0 ]
