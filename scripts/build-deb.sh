#!/bin/sh
# Build the Debian packages (ubf-qemu-system-x86, ubf-tools, ubf-doc)
# from what make built, with Debian's own tooling (debhelper through
# dpkg-buildpackage), then check them with lintian.
#
# Usage: build-deb.sh BUILD OUT
#   BUILD  the build folder (bin/qemu-system-x86_64, tools/tools/...)
#   OUT    where the .deb, .changes and lintian.txt go
#
# The version is the pinned Debian QEMU version (qemu/VERSION) with
# +ubfN (N: UBF_REVISION): ubf-qemu-system-x86 10.0.13+ds-0+deb13u1+ubf1
# is that QEMU with our series.  Exits 1 with one line if the build or lintian fails
# (lintian errors; its warnings are kept in lintian.txt).
set -eu

build=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
repo=$(dirname "$here")
rev=$(cat "$repo/UBF_REVISION")

qver=$(cat "$repo/qemu/VERSION")
version="$qver+ubf$rev"
noepoch=${version#*:}
upstream=${noepoch%-*}
stage="$out/ubf-$upstream"
rm -rf "$stage" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mkdir -p "$stage/files/doc"
cp -r "$repo/packaging/debian" "$stage/debian"
cp "$repo/tools/systemd/ubf-autod.service" \
   "$stage/debian/ubf-tools.ubf-autod.service"

# The changelog dates from the commit packaged: the same tree, the same
# packages.
epoch=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)
maint=$(sed -n 's/^Maintainer: //p' "$repo/packaging/debian/control")
cat >"$stage/debian/changelog" <<CL
ubf ($version) unstable; urgency=medium

  * The unified balloon frontend on Debian's QEMU $qver.

 -- $maint  $(LC_ALL=C date -u -R -d "@$epoch")
CL

install -m 755 "$build/bin/qemu-system-x86_64" \
    "$stage/files/ubf-qemu-system-x86_64"
install -m 755 "$build/tools/tools/balloonctl" "$stage/files/balloonctl"
install -m 755 "$build/tools/tools/ubf-autod" "$stage/files/ubf-autod"
install -m 644 "$repo/tools/systemd/autod.conf" "$stage/files/autod.conf"
mkdir -p "$stage/files/completions"
install -m 644 "$repo/tools/balloonctl.bash-completion" \
    "$stage/files/completions/balloonctl"
# The documentation as Sphinx builds it (scripts/build-docs.sh): the
# HTML for ubf-doc (with the sources, the plots and the raw bench run),
# the man pages for the packages of the programs they describe.
SOURCE_DATE_EPOCH=$epoch "$here/build-docs.sh" "$out/docs"
cp -r "$out/docs/html" "$stage/files/doc/html"
install -m 644 "$repo"/docs/*.rst "$repo"/docs/*.png \
    "$repo/docs/performance-run.txt" "$stage/files/doc/"

for page in balloonctl ubf-autod ubf-qemu-system-x86_64; do
    install -m 644 "$out/docs/man/$page.1" "$stage/files/$page.1"
done

log="$out/dpkg-buildpackage.log"
if ! (cd "$stage" && SOURCE_DATE_EPOCH=$epoch \
        dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
    echo "build-deb: dpkg-buildpackage failed: $(grep -m1 -i 'error\|dh_.*:' "$log")" >&2
    exit 1
fi
lintian --tag-display-limit 0 "$out/ubf_${noepoch}_amd64.changes" \
    >"$out/lintian.txt" 2>&1 || true
if grep -q '^E: ' "$out/lintian.txt"; then
    echo "build-deb: lintian: $(grep -m1 '^E: ' "$out/lintian.txt")" >&2
    exit 1
fi
ls "$out"/*.deb
