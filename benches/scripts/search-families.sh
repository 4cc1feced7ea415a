#!/usr/bin/env bash
# Issue 15.8: the breaking-point search against the real engine on three kinds of target,
# each with its truth measured, not taken from a formula. A family is NAME or NAME:W with
# W workers (default 4) of 10 ms service:
#   shed     fixed service, a queue of 4 × W: past W × 100 req/s requests are shed (503)
#            and p95 jumps to the full queue's 50 ms. SLO p95<30ms,error-rate<1%.
#   latency  exponential service, unbounded queue: nothing fails, latency rises with
#            load. SLO p95<50ms.
#   timeout  exponential service, unbounded queue, requests that wait more than 20 ms in
#            the queue fail: errors rise before the capacity while the latency of
#            successes stays bounded. SLO error-rate<1%.
# The truth of each family: a fine sweep (26 rates from 50% to 112.5% of W × 100 req/s,
# points as long as the search's unless given: 4-s points put the timeout family's
# boundary 1.3–1.5% above what 8- and 16-s points put it at), where the worst SLO margin
# first turns positive, interpolated between the neighbouring rates; the sweep is kept
# in target/search-families/<family>-sweep.
# Then each strategy searches with the same seeds; each seed draws a 100× range with
# the truth at a random position between 15% and 85% of it in log space. A search's
# error is against the truth; "covers" is whether its interval holds the truth. Every
# search's points, with the rule that chose each, are in target/search-families.csv.
#
#   bash benches/scripts/search-families.sh [seconds per search point, default 8] [seeds, default 2] [families, default "shed latency timeout"] [strategies, default "gp bisect"; ramp too] [sweep seconds per point, default: the search's]
set -euo pipefail
secs=${1:-8}; seeds=${2:-2}; families=${3:-"shed latency timeout"}; strategies=${4:-"gp bisect"}; sweep_secs=${5:-$secs}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
bin=target/release/perf-scenarios
keep=target/search-families
mkdir -p "$keep"
csv=target/search-families.csv
echo "family,truth,strategy,seed,lo_range,hi_range,runs,estimate,error_pct,lo,hi,kind,covered,stop,wall_s,chosen_by" > "$csv"

workers() { case $1 in *:*) echo "${1#*:}" ;; *) echo 4 ;; esac; }
flags() { # family -> site flags
  local w; w=$(workers "$1")
  case ${1%%:*} in
    shed) echo "--site-workers $w --site-service-time-ms 10 --site-queue $((4 * w))" ;;
    latency) echo "--site-workers $w --site-service-time-ms 10 --site-service-dist exp --site-queue 100000 --site-queue-timeout-ms 600000" ;;
    timeout) echo "--site-workers $w --site-service-time-ms 10 --site-service-dist exp --site-queue 100000 --site-queue-timeout-ms 20" ;;
  esac
}
slo() {
  case ${1%%:*} in
    shed) echo "p95<30ms,error-rate<1%" ;;
    latency) echo "p95<50ms" ;;
    timeout) echo "error-rate<1%" ;;
  esac
}

for fam in $families; do
  w=$(workers "$fam")
  rates=$(seq -s, $((50 * w)) $((10 * w / 4)) $((w * 1125 / 10)))
  rm -rf "$keep/$fam-sweep"
  # shellcheck disable=SC2046
  "$bin" sweep api --param write_ratio=0 --rate "$rates" --duration "${sweep_secs}s" --slo "$(slo "$fam")" \
    --out "$keep/$fam-sweep" $(flags "$fam") >/dev/null 2>&1 || true
  truth=$(python3 - "$(ls -d "$keep/$fam-sweep"/*/ | tail -1)runs.csv" "$(slo "$fam")" <<'PY'
import csv, math, sys
rows = sorted(csv.DictReader(open(sys.argv[1])), key=lambda r: float(r["target_rps"]))
rules = sys.argv[2].split(",")
def margin(r):
    m = -math.inf
    for rule in rules:
        if rule.startswith("p95<"):
            obs, lim = float(r["p95_us"]) / 1000, float(rule[4:-2])
        else:
            obs, lim = 100 * float(r["error_rate"]), float(rule.split("<")[1].rstrip("%"))
        m = max(m, math.log(obs / lim) if obs > 0 else -10.0)
    return m
prev = None
for r in rows:
    rate, m = float(r["target_rps"]), margin(r)
    if m > 0:
        if prev is None:
            print(rate); break
        (r0, m0) = prev
        t = 0.5 if m0 <= -10 else -m0 / (m - m0)
        print(f"{r0 + t * (rate - r0):.1f}"); break
    prev = (rate, m)
else:
    print("nan")
PY
)
  echo "$fam: truth $truth req/s (fine sweep)" >&2
  for strategy in $strategies; do
    for seed in $(seq "$seeds"); do
      read -r lo hi < <(python3 -c "
import random; r = random.Random($seed * 7919 + len('$fam')); p = r.uniform(0.15, 0.85); t = $truth
print(round(t / 100 ** p), round(t * 100 ** (1 - p)))")
      out=$(mktemp -d)
      t0=$(date +%s.%N)
      # shellcheck disable=SC2046
      "$bin" search api --param write_ratio=0 --slo "$(slo "$fam")" --range "$lo..$hi" \
        --point-duration "${secs}s" --strategy "$strategy" --seed "$seed" $(flags "$fam") \
        --out "$out" >/dev/null 2>&1 || true
      t1=$(date +%s.%N)
      d=$(ls -td "$out"/*/ | head -1)
      python3 - "$d/search.json" "$truth" "$fam" "$strategy" "$seed" "$lo" "$hi" "$(echo "$t1 - $t0" | bc -l)" >> "$csv" <<'PY'
import json, sys
path, truth, fam, strategy, seed, lo_r, hi_r, wall = sys.argv[1], float(sys.argv[2]), *sys.argv[3:8], float(sys.argv[8])
r = json.load(open(path))
est = r.get("estimate")
lo, hi = (r.get("interval") or [None, None])
hi = None if hi is None or hi == float("inf") else hi
cov = lo is not None and hi is not None and lo <= truth <= hi
err = "" if est is None else f"{100 * (est / truth - 1):.1f}"
rules = " / ".join(p.get("chosen_by", "?") for p in r["points"])
print(f"{fam},{truth:.1f},{strategy},{seed},{lo_r},{hi_r},{len(r['points'])},{'' if est is None else f'{est:.1f}'},{err},"
      f"{'' if lo is None else f'{lo:.1f}'},{'' if hi is None else f'{hi:.1f}'},{r.get('interval_kind', '')},{int(cov)},{r['stop']['reason']},{wall:.1f},{rules}")
PY
      rm -rf "$out"
      tail -1 "$csv" >&2
    done
  done
done
python3 benches/scripts/search-table.py "$csv"
