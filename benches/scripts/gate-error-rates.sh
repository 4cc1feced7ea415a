#!/usr/bin/env bash
# The load gate's error rates on the embedded dummy site, each as k of N gates with a
# Wilson 95% interval. Cases:
#   unchanged   N gates of the unchanged site against the committed baseline
#               (scenarios/baselines/api.json): false alarms
#   neighbour   the same with a CPU-bound busy loop pinned to core 0 during every gate
#   latency     --site-extra-latency-ms EXTRA against the baseline: detections
#   errors      --site-error-rate 2% against the baseline: detections
#   ab-unchanged, ab-neighbour, ab-latency
#               A/B on this machine (`gate --reference-site ""`: the default site as the
#               reference, interleaved A B, B A, ...) with --threshold AB_THRESHOLD
#               (default 5%): unchanged, unchanged with the busy neighbour, EXTRA ms, and
#               --site-service-time-ms SERVICE_MS (default 5.5, the site's default is 5)
#   bp-unchanged, bp-slower
#               `gate --breaking-point` on the site with --site-service-time-ms 10 against a
#               breaking-point baseline the script records first (a cold search over
#               50..5000 req/s, target/gate-bp-baseline.json): unchanged, and with 11.8 ms
#               (capacity -15%); rows in target/gate-bp.csv
# The script prints the aggregate p95's measured change, so the size of an injected
# regression is a measurement, not a setting. Each gate is `perf-scenarios gate api` (5
# runs a side of the 2-point profile, compared run against run), different scenario
# seeds per gate. The fault cases against the baseline change the site's settings,
# which the gate refuses without --allow-env-change. Rows go to
# target/gate-error-rates.csv; "regressions" counts the primary ones (those that fail).
#
#   bash benches/scripts/gate-error-rates.sh [N, default 20] [EXTRA ms, default 1.2] [cases, default "unchanged latency errors"]
set -euo pipefail
n=${1:-20}; extra=${2:-1.2}; cases=${3:-"unchanged latency errors"}
ab_threshold=${AB_THRESHOLD:-5%}
service=${SERVICE_MS:-5.5}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
csv=target/gate-error-rates.csv
[ -f "$csv" ] || echo "case,run,exit,regressions,all_p95_change_pt0_pct,all_p95_change_pt1_pct,largest_latency_change_pct,wall_s" > "$csv"
busy=""
stop_busy() { [ -z "$busy" ] || kill "$busy" 2>/dev/null || true; busy=""; }
trap stop_busy EXIT
# k of n with Wilson's 95% interval.
wilson() {
  awk -v k="$1" -v n="$2" 'BEGIN { z = 1.959964; p = k / n; d = 1 + z*z/n;
    c = (p + z*z/(2*n)) / d; h = z * sqrt(p*(1-p)/n + z*z/(4*n*n)) / d;
    lo = c - h; hi = c + h; if (lo < 0) lo = 0; if (hi > 1) hi = 1;
    printf "%d/%d [%.2f, %.2f]", k, n, lo, hi }'
}
bp_baseline=target/gate-bp-baseline.json
bp_csv=target/gate-bp.csv
bp_case() {  # case, service time, extra flags
  local case=$1 ms=$2; shift 2
  local out=target/gate-runs/$case fails=0 changes="" walls="" runs=""
  rm -rf "$out"; mkdir -p "$out"
  [ -f "$bp_csv" ] || echo "case,run,exit,change_pct,p,runs,wall_s" > "$bp_csv"
  for i in $(seq "$n"); do
    t0=$(date +%s.%N)
    set +e
    target/release/perf-scenarios gate api --breaking-point --baseline "$bp_baseline" \
      --site-service-time-ms "$ms" --out "$out" --seed "$((i + 100))" "$@" > "$out/log" 2>&1
    code=$?
    set -e
    wall=$(echo "$(date +%s.%N) - $t0" | bc)
    [ "$code" = 0 ] || [ "$code" = 99 ] || { cat "$out/log" >&2; exit 1; }
    cp "$out/log" "$out/gate-$i.log"
    change=$(awk '/^change: / {sub("%", "", $2); print $2}' "$out/log")
    p=$(awk -F'p = ' '/^change: / {split($2, a, ";"); print a[1]}' "$out/log")
    k=$(grep -c '^point ' "$out/log" || true)   # the load runs the gate's search measured
    echo "$case,$i,$code,$change,$p,$k,$wall" >> "$bp_csv"
    [ "$code" = 99 ] && fails=$((fails + 1))
    changes="$changes ${change:-0}"; walls="$walls $wall"; runs="$runs $k"
  done
  range=$(echo "$changes" | awk '{lo=$1; hi=$1; for(i=1;i<=NF;i++){if($i<lo)lo=$i; if($i>hi)hi=$i}; printf "%+.1f%% .. %+.1f%%", lo, hi}')
  wall=$(echo "$walls" | awk '{s=0; for(i=1;i<=NF;i++) s+=$i; printf "%.0f", s/NF}')
  k=$(echo "$runs" | awk '{s=0; for(i=1;i<=NF;i++) s+=$i; printf "%.1f", s/NF}')
  echo "$case: $(wilson "$fails" "$n") gates failed (exit 99); breaking point change $range; $k load runs and ${wall} s per gate"
}
for case in $cases; do
  case $case in
    bp-*)
      if [ ! -f "$bp_baseline" ]; then
        target/release/perf-scenarios gate api --breaking-point --save-baseline --baseline "$bp_baseline" \
          --site-service-time-ms 10 --range 50..5000 --out target/gate-runs/bp-baseline | grep "baseline written"
      fi
      case $case in
        bp-unchanged) bp_case "$case" 10 ;;
        bp-slower) bp_case "$case" 11.8 --allow-env-change ;;
        *) echo "unknown case $case" >&2; exit 2 ;;
      esac
      continue ;;
  esac
  base=(--baseline scenarios/baselines/api.json)
  ab=(--reference-site "" --threshold "$ab_threshold")
  neighbour=no
  case $case in
    unchanged) args=("${base[@]}") ;;
    neighbour) args=("${base[@]}"); neighbour=yes ;;
    latency) args=("${base[@]}" --site-extra-latency-ms "$extra" --allow-env-change) ;;
    errors) args=("${base[@]}" --site-error-rate 0.02 --allow-env-change) ;;
    ab-unchanged) args=("${ab[@]}") ;;
    ab-neighbour) args=("${ab[@]}"); neighbour=yes ;;
    ab-latency) args=("${ab[@]}" --site-extra-latency-ms "$extra") ;;
    ab-service) args=("${ab[@]}" --site-service-time-ms "$service") ;;
    *) echo "unknown case $case" >&2; exit 2 ;;
  esac
  if [ "$neighbour" = yes ]; then
    taskset -c 0 sh -c 'while :; do :; done' &
    busy=$!
  fi
  out=target/gate-runs/$case   # results directories kept for inspection
  rm -rf "$out"; mkdir -p "$out"
  fails=0; changes=""; walls=""
  for i in $(seq "$n"); do
    t0=$(date +%s.%N)
    set +e
    target/release/perf-scenarios gate api "${args[@]}" --out "$out" --seed "$((i + 100))" > "$out/log" 2>&1
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
    changes="$changes $p0 $p1"; walls="$walls $wall"
  done
  stop_busy
  range=$(echo "$changes" | awk '{lo=$1; hi=$1; for(i=1;i<=NF;i++){if($i<lo)lo=$i; if($i>hi)hi=$i}; printf "%+.1f%% .. %+.1f%%", lo, hi}')
  wall=$(echo "$walls" | awk '{s=0; for(i=1;i<=NF;i++) s+=$i; printf "%.0f", s/NF}')
  echo "$case: $(wilson "$fails" "$n") gates failed (exit 99); aggregate p95 change per point $range; ${wall} s per gate"
done
