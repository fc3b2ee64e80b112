#!/bin/sh
# Build the documentation as QEMU builds its own: Sphinx reads docs/
# (docs/conf.py) and writes the HTML pages and the man pages from the
# same sources.  Any warning fails the build.
#
# Usage: build-docs.sh OUT     (OUT/html, OUT/man)
set -eu

here=$(dirname "$(realpath "$0")")
repo=$(dirname "$here")
out=$1

if ! command -v sphinx-build >/dev/null 2>&1; then
    echo "build-docs: sphinx-build not found (package python3-sphinx; make setup)" >&2
    exit 1
fi
mkdir -p "$out"
for builder in html man; do
    rm -rf "${out:?}/$builder"
    if ! sphinx-build -q -W --keep-going -E -a -d "$out/.doctrees-$builder" \
            -b "$builder" "$repo/docs" "$out/$builder" \
            2>"$out/$builder.log"; then
        echo "build-docs: $builder: $(grep -m1 -i 'warning\|error' "$out/$builder.log")" >&2
        exit 1
    fi
done
