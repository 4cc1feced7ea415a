#!/usr/bin/env bash
# The load gate's two error rates against the committed baseline
# (scenarios/baselines/api.json, the embedded dummy site with its defaults): N gates of
# the unchanged site (false alarms), N with --site-extra-latency-ms EXTRA (detections of
# a slowdown; the script prints the aggregate p95's measured change so the size of the
# injected regression is a measurement, not a setting), and N with --site-error-rate 2%.
# Each gate is `perf-scenarios gate api` (its 5 runs of the 2-point profile, compared run
# against run); different scenario seeds per gate. The fault cases change the site's
# settings, which the gate refuses without --allow-env-change. Rows go to
# target/gate-error-rates.csv; "regressions" counts the primary ones (those that fail).
#
#   bash benches/scripts/gate-error-rates.sh [N, default 20] [EXTRA ms, default 1.2] [cases, default "unchanged latency errors"]
set -euo pipefail
n=${1:-20}; extra=${2:-1.2}; cases=${3:-"unchanged latency errors"}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
csv=target/gate-error-rates.csv
[ -f "$csv" ] || echo "case,run,exit,regressions,all_p95_change_pt0_pct,all_p95_change_pt1_pct,largest_latency_change_pct,wall_s" > "$csv"
for case in $cases; do
  case $case in
    unchanged) fault=() ;;
    latency) fault=(--site-extra-latency-ms "$extra" --allow-env-change) ;;
    errors) fault=(--site-error-rate 0.02 --allow-env-change) ;;
    *) echo "unknown case $case" >&2; exit 2 ;;
  esac
  out=target/gate-runs/$case   # results directories kept for inspection
  rm -rf "$out"; mkdir -p "$out"
  fails=0; changes=""
  for i in $(seq "$n"); do
    t0=$(date +%s.%N)
    set +e
    target/release/perf-scenarios gate api --baseline scenarios/baselines/api.json --out "$out" \
      --seed "$((i + 100))" "${fault[@]}" > "$out/log" 2>&1
    code=$?
    set -e
    wall=$(echo "$(date +%s.%N) - $t0" | bc)
    [ "$code" = 0 ] || [ "$code" = 99 ] || { cat "$out/log" >&2; exit 1; }
    cp "$out/log" "$out/gate-$i.log"
    regs=$(grep -c "REGRESSED$" "$out/log" || true)
    p0=$(awk '$1=="0" && $2=="ALL" && $3=="p95" {sub("%","",$9); print $9}' "$out/log")
    p1=$(awk '$1=="1" && $2=="ALL" && $3=="p95" {sub("%","",$9); print $9}' "$out/log")
    big=$(awk '/ (p50|p95) / {for (i = 1; i < NF; i++) if ($i ~ /%$/ && $(i+1) ~ /^\[/) {v = $i; sub("%", "", v); if (v + 0 > m + 0 || m == "") m = v}} END {print m}' "$out/log")
    echo "$case,$i,$code,$regs,$p0,$p1,$big,$wall" >> "$csv"
    [ "$code" = 99 ] && fails=$((fails + 1))
    changes="$changes $p0 $p1"
  done
  mean=$(echo "$changes" | awk '{s=0; for(i=1;i<=NF;i++) s+=$i; printf "%+.1f", s/NF}')
  echo "$case: $fails of $n gates failed (exit 99); mean change of the aggregate p95: ${mean}%"
done
