#!/usr/bin/env bash
# The breaking-point search against the embedded dummy site at three capacities, for
# each strategy (gp, bisect, ramp) and several seeds, in one run: load runs used, the
# error of the found breaking point against the capacity formula (workers × 1000 /
# service time), whether the interval covers it, and the wall time of the whole search.
#
# Each site has 10 ms service time and a queue of 4 × workers, so once arrivals pass the
# capacity the queue fills, p95 jumps to ~50 ms and requests are shed: with the SLO
# "p95<30ms,error-rate<1%" the breaking point is the capacity. Range: capacity/DOWN ..
# capacity×UP, tolerance ±5%, at most 12 runs. With DOWN = UP the first point of gp and
# bisect lands on the capacity itself; the default (20, 5: 100× wide, its middle at half
# the capacity) does not favour either.
#
#   bash benches/scripts/search-strategies.sh [seconds per point, default 3] [seeds, default 3] [workers list, default "2 10 30"] [DOWN, default 20] [UP, default 5] [strategies, default "gp bisect ramp"]
set -euo pipefail
secs=${1:-3}; seeds=${2:-3}; workers_list=${3:-"2 10 30"}; down=${4:-20}; up=${5:-5}; strategies=${6:-"gp bisect ramp"}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
csv=target/search-strategies.csv
echo "workers,capacity,strategy,seed,runs,estimate,error_pct,lo,hi,covered,stop,wall_s,saturated" > "$csv"
for w in $workers_list; do
  cap=$((w * 100))
  for strategy in $strategies; do
    for seed in $(seq "$seeds"); do
      t0=$(date +%s.%N)
      target/release/perf-scenarios search api --param write_ratio=0 --slo "p95<30ms,error-rate<1%" \
        --range "$((cap / down))..$((cap * up))" --point-duration "${secs}s" --strategy "$strategy" \
        --seed "$seed" --site-workers "$w" --site-service-time-ms 10 --site-queue $((4 * w)) \
        --out "$out" >/dev/null 2>&1 || true
      t1=$(date +%s.%N)
      d=$(ls -td "$out"/*/ | head -1)
      python3 - "$d/search.json" "$cap" "$w" "$strategy" "$seed" "$(echo "$t1 - $t0" | bc -l)" >> "$csv" <<'PY'
import json, sys
path, cap, w, strategy, seed, wall = sys.argv[1], float(sys.argv[2]), *sys.argv[3:6], float(sys.argv[6])
r = json.load(open(path))
est = r.get("estimate")
lo, hi = (r.get("interval") or [None, None])
hi = None if hi is None or hi == float("inf") else hi
cov = lo is not None and hi is not None and lo <= cap <= hi
err = "" if est is None else f"{100 * (est / cap - 1):.1f}"
sat = sum(1 for p in r["points"] if p["generator_saturated"])
print(f"{w},{cap:.0f},{strategy},{seed},{len(r['points'])},{'' if est is None else f'{est:.1f}'},{err},"
      f"{'' if lo is None else f'{lo:.1f}'},{'' if hi is None else f'{hi:.1f}'},{int(cov)},{r['stop']['reason']},{wall:.1f},{sat}")
PY
      tail -1 "$csv" >&2
    done
  done
done
python3 - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| capacity (workers × 10 ms) | strategy | runs: median (each) | error vs formula: median (largest) | within ±5% | interval covers | intervals (each) | wall per search (median) | saturated points |")
print("|---|---|---|---|---|---|---|---|---|")
for cap in dict.fromkeys(r["capacity"] for r in rows):
    for s in ("gp", "bisect", "ramp"):
        g = [r for r in rows if r["capacity"] == cap and r["strategy"] == s]
        if not g: continue
        runs = [int(r["runs"]) for r in g]
        errs = [float(r["error_pct"]) for r in g if r["error_pct"]]
        within = sum(1 for e in errs if abs(e) <= 5.0)
        cov = sum(int(r["covered"]) for r in g)
        wall = statistics.median(float(r["wall_s"]) for r in g)
        sat = sum(int(r["saturated"]) for r in g)
        e = f"{statistics.median(errs):+.1f}% ({max(errs, key=abs):+.1f}%)" if errs else "none found"
        ivs = "; ".join(f"{r['lo'] or '?'} .. {r['hi'] or '∞'}" for r in g)
        print(f"| {cap} req/s ({int(cap)//100}) | {s} | {statistics.median(runs):g} ({', '.join(map(str, runs))}) | {e} | {within}/{len(g)} | {cov}/{len(g)} | {ivs} | {wall:.0f} s | {sat} |")
PY
