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

# The planner's own time at 64 nodes and 64 virtio-mem devices (mocks)
echo "== bench-plan"
"$build/bin/bench-plan" | tee "$out/bench-plan.txt"
plan_json=$(tail -n1 "$out/bench-plan.txt" | sed 's/^{//')
range_json=$(echo "$range_json" | sed "s/}\$/, $plan_json/")

echo "== ubf-bench (accelerator $accel, $reps repetitions)"
# Its exit status, which tee would hide: a part that fails stops the
# bench, and results.json is not left over from an earlier run.
rm -f "$out/results.json" "$out/ubf-bench.rc"
{ "$build/tools/tests/bench/ubf-bench" --qemu "$build/bin/qemu-system-x86_64" \
    --baseline "$build/bin/qemu-system-x86_64-baseline" \
    --baseline-hv "$build/bin/qemu-system-x86_64-baseline-hv" --out "$out" \
    --reps "$reps" --range-json "$range_json" 2>&1
  echo $? >"$out/ubf-bench.rc"; } | tee "$out/ubf-bench.txt"
if [ "$(cat "$out/ubf-bench.rc")" != 0 ]; then
    echo "bench: ubf-bench failed (see $out/ubf-bench.txt)" >&2
    exit 1
fi
# Each plot names its run: when, on what, with which build.
run="make bench, $(date -u +%Y-%m-%d), $accel, $("$build/bin/qemu-system-x86_64" --version | sed -n '1s/.*(\(.*\))/\1/p')"
"$here/plot-bench.py" "$out/series.csv" "$out/resize.png" "$run"
if [ -s "$out/auto-series.csv" ]; then
    "$here/plot-auto.py" "$out/auto-series.csv" "$out/auto.png" "$run"
fi
echo "== results in $out: results.json, resize.png, auto.png, series.csv"
cat "$out/results.json"
