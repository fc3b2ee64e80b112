#!/bin/sh
# Install everything the project needs on a Debian 12 (bookworm) machine.
#
# Idempotent: a second run only checks.  Needs root (or sudo) the first
# time.  Adds bookworm-backports (meson >= 1.5, python3-pycotap, the guest
# kernel, libvirt 11) and a deb-src entry for trixie (QEMU 10.0 source).
set -eu

stamp_dir=${BUILD_DIR:-build}/stamp
stamp="$stamp_dir/setup"
here=$(dirname "$0")
pkgs=$(grep -v '^#' "$here/packages.txt" | tr '\n' ' ')
bpo_pkgs=$(grep -v '^#' "$here/packages-bpo.txt" | tr '\n' ' ')

# Fast path: everything was installed and the lists did not change since.
if [ -f "$stamp" ] && [ "$stamp" -nt "$here/packages.txt" ] &&
   [ "$stamp" -nt "$here/packages-bpo.txt" ]; then
    # shellcheck disable=SC2086
    missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $pkgs $bpo_pkgs \
              2>&1 | grep -v '^ii ' || true)
    if [ -z "$missing" ]; then
        exit 0
    fi
fi

SUDO=
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
fi

src=/etc/apt/sources.list.d/ubf.sources
if [ ! -f "$src" ]; then
    echo "setup: adding bookworm-backports and trixie deb-src to $src"
    $SUDO tee "$src" >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    rm -f "$stamp_dir/apt-update"
fi

mkdir -p "$stamp_dir"
if [ ! -f "$stamp_dir/apt-update" ]; then
    if ! $SUDO apt-get update -q >"$stamp_dir/apt-update.log" 2>&1 ||
       grep -q '^\(Err\|W: Failed\)' "$stamp_dir/apt-update.log"; then
        echo "setup: apt-get update failed: $(grep -m1 '^\(Err\|W: Failed\|E:\)' "$stamp_dir/apt-update.log")" >&2
        exit 1
    fi
    touch "$stamp_dir/apt-update"
fi

install() {
    if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "$@" >"$stamp_dir/apt-install.log" 2>&1; then
        echo "setup: apt-get install failed: $(grep -m1 '^E:' "$stamp_dir/apt-install.log")" >&2
        exit 1
    fi
}
# shellcheck disable=SC2086
install $pkgs
# shellcheck disable=SC2086
install -t bookworm-backports $bpo_pkgs
touch "$stamp"
