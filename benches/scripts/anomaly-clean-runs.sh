#!/usr/bin/env bash
# How often do the anomaly detectors (perf_ml::analyze::anomaly) raise something on runs
# where nothing happens? N runs of `run api --rate 100 --duration SECS` against the
# embedded dummy site, unchanged and without faults, each followed by `report`; every
# anomaly it prints is a false alarm. Prints each run's anomaly line and the totals.
# (The detectors' hits on injected faults are printed by
# `cargo test --release -p perf-scenarios --test analysis -- --nocapture`.)
#
#   bash benches/scripts/anomaly-clean-runs.sh [N, default 40] [SECS, default 12]
set -euo pipefail
n=${1:-40}; secs=${2:-12}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
bin=target/release/perf-scenarios
out=target/anomaly-clean-runs
rm -rf "$out"; mkdir -p "$out"
crit=0; warn=0; adv=0; flagged=0
for i in $(seq "$n"); do
  "$bin" run api --rate 100 --duration "${secs}s" --slo "" --seed "$i" --out "$out/runs" >/dev/null 2>&1
  d=$(ls -d "$out"/runs/*/ | tail -n 1)
  line=$("$bin" report "$d" --models "$out/models" | grep '^report: anomalies:')
  echo "run $i: ${line#report: }"
  read -r c w a < <(echo "$line" | sed -E 's/.*: ([0-9]+) critical, ([0-9]+) warning, ([0-9]+) advisory/\1 \2 \3/')
  crit=$((crit + c)); warn=$((warn + w)); adv=$((adv + a))
  [ $((c + w + a)) -gt 0 ] && flagged=$((flagged + 1))
done
echo "$n clean runs of ${secs} s: $flagged with any anomaly; $crit critical, $warn warning, $adv advisory in all"
