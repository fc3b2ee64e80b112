#!/bin/sh
# make bench: bench-range, then ubf-bench (ours against the baseline), then
# the plot.  Everything lands in BUILD/bench/.
#
# Usage: bench.sh BUILD [REPS]
set -eu

build=$1
reps=${2:-3}
here=$(dirname "$0")
out="$build/bench"
mkdir -p "$out"

accel=$("$here/choose-accel.sh" "$build/bin/qemu-system-x86_64" \
        "$build/guest" "$build")
export UBF_ACCEL="$accel"
export UBF_GUEST_DIR="$build/guest"

echo "== bench-range"
"$build/bin/bench-range" | tee "$out/bench-range.txt"
range_json=$(tail -n1 "$out/bench-range.txt")

echo "== ubf-bench (accelerator $accel, $reps repetitions)"
"$build/tools/tools/ubf-bench" --qemu "$build/bin/qemu-system-x86_64" \
    --baseline "$build/bin/qemu-system-x86_64-baseline" --out "$out" \
    --reps "$reps" --range-json "$range_json" | tee "$out/ubf-bench.txt"
"$here/plot-bench.py" "$out/series.csv" "$out/resize.png"
echo "== results in $out: results.json, resize.png, series.csv"
cat "$out/results.json"
