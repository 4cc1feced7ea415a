#!/usr/bin/env bash
# Drift's two error rates, with runs as the unit (perf_ml::analyze::drift): a history of
# H runs of `api` against the embedded dummy site, then N more runs of the unchanged site
# (each report that flags any drift is a false alarm) and N with the site's service time
# raised from its default 5 ms to SERVICE ms (each report that flags none is a miss; the
# extra-latency fault sleeps in whole timer ticks, too coarse for a +20% step). Every run
# is `run api --rate 100 --duration 5s`, one point, its endpoints compared; a report is
# `report DIR --history ...` over the H history runs. The script prints each case's flagged count and the mean
# measured change of the aggregate p50 (the size of the slowdown is a measurement, not a
# setting).
#
#   bash benches/scripts/drift-error-rates.sh [N, default 20] [SERVICE ms, default 6.3] [H, default 5] [cases, default "unchanged latency"]
set -euo pipefail
n=${1:-20}; service=${2:-6.3}; h=${3:-5}; cases=${4:-"unchanged latency"}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
bin=target/release/perf-scenarios
out=target/drift-runs
rm -rf "$out"; mkdir -p "$out/history" "$out/unchanged" "$out/latency"
run() { # DIR SEED [site options]
  local dir=$1 seed=$2; shift 2
  "$bin" run api --rate 100 --duration 5s --slo "" --seed "$seed" --out "$dir" "$@" >/dev/null 2>&1
}
for i in $(seq "$h"); do run "$out/history" "$i"; done
history=()
for d in "$out"/history/*/; do history+=(--history "$d"); done
p50() { python3 -c "import csv,sys; print(next(csv.DictReader(open(sys.argv[1])))['p50_us'])" "$1/runs.csv"; }
base=$(for d in "$out"/history/*/; do p50 "$d"; done | awk '{s+=$1} END {print s/NR}')
echo "history: $h runs, mean aggregate p50 $(awk -v b="$base" 'BEGIN {printf "%.0f", b}') µs"
echo "case,flagged,runs,mean_p50_change_pct,comparisons_per_report"
for case in $cases; do
  fault=(); [ "$case" = latency ] && fault=(--site-service-time-ms "$service")
  flagged=0; changes=""
  for i in $(seq "$n"); do
    before=$(ls "$out/$case" | wc -l)
    run "$out/$case" $((100 + i)) "${fault[@]}"
    d=$(ls -d "$out/$case"/*/ | tail -n 1)
    [ "$(ls "$out/$case" | wc -l)" -gt "$before" ] || { echo "run $i wrote nothing" >&2; exit 1; }
    "$bin" report "$d" "${history[@]}" --models "$out/models" >/dev/null
    read -r hit comparisons < <(python3 -c "
import json,sys
d = json.load(open(sys.argv[1]))['drift']['value'] or []
print(int(any(x['drifted'] for x in d)), len(d))" "$d/report.json")
    flagged=$((flagged + hit))
    changes="$changes $(awk -v a="$(p50 "$d")" -v b="$base" 'BEGIN {printf "%.2f", (a / b - 1) * 100}')"
  done
  mean=$(echo "$changes" | awk '{s=0; for (i=1;i<=NF;i++) s+=$i; printf "%+.1f", s/NF}')
  echo "$case,$flagged,$n,$mean,$comparisons"
done
