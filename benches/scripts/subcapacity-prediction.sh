#!/usr/bin/env bash
# Prediction, not restatement (issue 14.4): sweeps of `api` against the embedded dummy
# site (4 workers × 10 ms: capacity 400 req/s by the formula) at rates BELOW the
# capacity only, 100 .. 340 req/s, then `fit` on each. The queueing curve must predict
# the capacity from the curvature of latency alone, or say it cannot:
#   exp      exponential service, unbounded queue (latency rises before the capacity)
#   mixed    the same with write_ratio 0.1 (writes cost more: capacity 364 by formula)
#   fixed    fixed service time: latency flat up to 340 — "not identified; above 340"
# Each case prints its fit's "predicted capacity" line.
#
#   bash benches/scripts/subcapacity-prediction.sh [seconds per point, default 8]
set -euo pipefail
secs=${1:-8}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
bin=target/release/perf-scenarios
out=target/subcapacity
rm -rf "$out"; mkdir -p "$out"
rates=100,140,180,220,260,300,340
site=(--site-workers 4 --site-service-time-ms 10 --site-queue 100000 --site-queue-timeout-ms 600000)
for case in exp mixed fixed; do
  dist=exp; ratio=0
  [ "$case" = fixed ] && dist=fixed
  [ "$case" = mixed ] && ratio=0.1
  "$bin" sweep api --rate "$rates" --duration "${secs}s" --slo "" --param "write_ratio=$ratio" \
    --out "$out/$case" "${site[@]}" --site-service-dist "$dist" >/dev/null 2>&1
  d=$(ls -d "$out/$case"/*/ | tail -n 1)
  line=$("$bin" fit "$d" --models "$out/models-$case" | grep '^predicted capacity')
  echo "$case (write_ratio $ratio, $dist service): $line"
done
