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

# hv-balloon's tracking after a guest returned every other page of 64 GiB
# (QEMU's hv-balloon.c with our patches, fed by the hostile-guest test).
echo "== hv-balloon tracking, checkerboard guest"
"$build/qemu/build/ubf/tests/unit/test-hv-balloon-hostile" --tap \
    -p /hv-balloon-hostile/checkerboard-bounded | tee "$out/hv-tracking.txt"
hv_bytes=$(sed -n 's/.*single pages: \([0-9]*\) bytes.*/\1/p' \
           "$out/hv-tracking.txt")
range_json=$(echo "$range_json" |
             sed "s/}\$/, \"hv_checkerboard_bytes\": ${hv_bytes:-0}}/")

echo "== ubf-bench (accelerator $accel, $reps repetitions)"
"$build/tools/tools/ubf-bench" --qemu "$build/bin/qemu-system-x86_64" \
    --baseline "$build/bin/qemu-system-x86_64-baseline" \
    --baseline-hv "$build/bin/qemu-system-x86_64-baseline-hv" --out "$out" \
    --reps "$reps" --range-json "$range_json" | tee "$out/ubf-bench.txt"
"$here/plot-bench.py" "$out/series.csv" "$out/resize.png"
echo "== results in $out: results.json, resize.png, series.csv"
cat "$out/results.json"
