#!/bin/sh
# The documentation builds with Sphinx, HTML and man pages from the same
# sources, without a single warning (scripts/build-docs.sh), and the man
# pages read as typed: no word hyphenated at a line end, the QEMU option
# of balloonctl(1) on one line.  TAP.
#
# Usage: check-sphinx.sh SOURCE_ROOT OUT
set -u
src=$1
out=$2
echo "1..3"
if "$src/scripts/build-docs.sh" "$out" 2>"$out.err"; then
    echo "ok 1 sphinx html and man: 0 warnings"
else
    echo "not ok 1 sphinx html and man"
    sed 's/^/# /' "$out.err" "$out"/*.log
fi
if grep -q 'Quick start' "$out/html/index.html" 2>/dev/null; then
    echo "ok 2 index.html starts with the quick start"
else
    echo "not ok 2 index.html has no quick start"
fi
bad=0
for page in "$out"/man/*.1; do
    text=$(MANWIDTH=80 MAN_KEEP_FORMATTING= man -l "$page" 2>&1 | col -b)
    if echo "$text" | grep -n '[[:alpha:]][-‐]$'; then
        echo "# $(basename "$page"): a word hyphenated at a line end"
        bad=1
    fi
done
if ! MANWIDTH=80 man -l "$out/man/balloonctl.1" 2>/dev/null | col -b |
        grep -q -- '-qmp unix:/run/vm1-ctl.sock,server=on,wait=off'; then
    echo "# balloonctl.1: the -qmp option is broken across lines"
    bad=1
fi
if [ "$bad" = 0 ]; then
    echo "ok 3 man pages: nothing hyphenated, options whole"
else
    echo "not ok 3 man pages"
fi
