#!/usr/bin/env bash
# Auto-tuning on the embedded site (issue 21): `api` at 1,000 req/s with
# `p95<50ms,error-rate<1%`, knobs site-workers=1..64:int and site-queue=1..1000:log:int,
# cost = site-workers, the site's service time 10 ms.
#
# 1. The truth from a fine grid: every worker count 8..16 × queue 1, 4, 16, 64, 256, 1000,
#    one `run` each; written to benches/data/tune-truth.csv (committed). The cheapest
#    configuration is the fewest workers with any passing queue.
# 2. ego, random and grid over the same budget, one `tune` per seed: runs until a
#    configuration within 10% of the true cost met the SLOs (">N" when none did), and
#    wall time. Prints a Markdown table (median over the seeds; the rows are kept in
#    target/tune-strategies-rows.txt), and random search's expected runs from the truth.
#
#   bash benches/scripts/tune-strategies.sh [seeds, default 5] [max runs, default 15] [point, default 3s] [skip-truth]
set -euo pipefail
seeds=${1:-5}; runs=${2:-15}; dur=${3:-3s}; skip=${4:-}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
bin=$PWD/target/release/perf-scenarios
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
slo="p95<50ms,error-rate<1%"
truth=benches/data/tune-truth.csv
if [ -z "$skip" ]; then
  echo "workers,queue,achieved_rps,p95_ms,error_pct,slo_pass" > "$truth"
  for w in 8 9 10 11 12 13 14 15 16; do
    for q in 1 4 16 64 256 1000; do
      "$bin" run api --rate 1000 --duration "$dur" --slo "$slo" --site-service-time-ms 10 \
        --site-workers "$w" --site-queue "$q" --out "$out/truth" >/dev/null 2>&1 || true
      d=$(ls -d "$out/truth"/*/ | tail -n 1)
      python3 - "$d/runs.csv" "$w" "$q" >> "$truth" <<'PY'
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))[-1]
print(f"{sys.argv[2]},{sys.argv[3]},{float(r['achieved_rps']):.1f},"
      f"{int(r['p95_us']) / 1000:.1f},{float(r['error_rate']) * 100:.2f},{r['slo_pass']}")
PY
      rm -rf "$out/truth"
    done
  done
fi
best=$(python3 -c "
import csv
ok = [int(r['workers']) for r in csv.DictReader(open('$truth')) if r['slo_pass'] == 'true']
print(min(ok))")
echo "truth (fine grid, $truth): the fewest workers meeting the SLOs at 1000 req/s: $best"
for s in ego random grid; do
  for seed in $(seq 1 "$seeds"); do
    t0=$(date +%s.%N)
    "$bin" tune api --rate 1000 --slo "$slo" --site-service-time-ms 10 \
      --knob site-workers=1..64:int --knob site-queue=1..1000:log:int --cost site-workers \
      --strategy "$s" --max-runs "$runs" --duration "$dur" --seed "$seed" \
      --out "$out/$s$seed" >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    f=$(ls "$out/$s$seed"/*/tune.json | tail -n 1)
    python3 - "$f" "$best" "$s" "$seed" "$t0" "$t1" >> "$out/rows" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tune"]
best = float(sys.argv[2])
pts = t["points"]
hit = next((i + 1 for i, p in enumerate(pts)
            if p["pass"] and not p["generator_saturated"] and p["cost"] <= 1.1 * best), None)
b = pts[t["best"]]["cost"] if t["best"] is not None else None
print(sys.argv[3], sys.argv[4], hit if hit else f">{len(pts)}", len(pts),
      b, t["stop"]["reason"], f"{float(sys.argv[6]) - float(sys.argv[5]):.0f}")
PY
  done
done
cp "$out/rows" target/tune-strategies-rows.txt
python3 - target/tune-strategies-rows.txt "$best" "$truth" <<'PY'
import csv, math, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
best = int(sys.argv[2])
print(f"\n| strategy | runs to within 10% of the optimum ({best} workers): median (each seed) | runs used (each) | best cost found (each) | stop | wall per tuning (median) |")
print("|---|---|---|---|---|---|")
def key(v):  # a miss counts as one more than the runs it used
    return int(v[1:]) + 1 if v.startswith(">") else int(v)
for s in ("ego", "random", "grid"):
    r = [x for x in rows if x[0] == s]
    hits = sorted((key(x[2]), x[2]) for x in r)
    shown = hits[(len(hits) - 1) // 2][1]
    stops = sorted(set(x[5] for x in r))
    print(f"| {s} | {shown} ({', '.join(x[2] for x in r)}) | {', '.join(x[3] for x in r)} | "
          f"{', '.join(x[4] for x in r)} | {', '.join(stops)} | "
          f"{statistics.median(int(x[6]) for x in r):.0f} s |")
# Random search's runs until a hit follow from the truth grid alone: a draw is a hit with
# probability p = sum over worker counts within 10% of the optimum of 1/64 times the share
# of the log-queue range that passes (its edge at the geometric middle of the grid's last
# failing and first passing queue); the runs until a hit are geometric.
truth = list(csv.DictReader(open(sys.argv[3])))
p = 0.0
for w in range(1, 65):
    qs = sorted((int(t["queue"]), t["slo_pass"] == "true") for t in truth if int(t["workers"]) == w)
    if w > 1.1 * best or not any(ok for _, ok in qs):
        continue
    i = next(i for i, (_, ok) in enumerate(qs) if ok)
    edge = qs[i][0] if i == 0 else math.sqrt(qs[i - 1][0] * qs[i][0])
    p += (1 / 64) * (1 - math.log(edge) / math.log(1000))
print(f"\nrandom search from the truth grid: a draw hits with p = {p:.4f}; "
      f"runs until a hit: median {math.ceil(math.log(0.5) / math.log(1 - p))}, mean {1 / p:.0f}")
PY
