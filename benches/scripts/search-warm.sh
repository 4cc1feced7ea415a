#!/usr/bin/env bash
# Issue 15.7: the warm-started search against the real engine. A cold gp search of the
# shedding site (4 workers × 10 ms, queue 16; SLO p95<30ms,error-rate<1%; range
# 20..2000) writes search.json; then N searches with `--prior` that results directory
# against the same site, and one each against the site with its capacity moved by −30%
# and +30% (service time 14.3 ms and 7.7 ms: 4 workers / service time = 280 and 519
# req/s, the reference for those two). Prints one line per search: runs, estimate,
# interval, wall time, and whether it said the prior disagreed.
#
#   bash benches/scripts/search-warm.sh [warm searches of the unchanged site, default 10] [seconds per point, default 3]
set -euo pipefail
n=${1:-10}; secs=${2:-3}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
bin=target/release/perf-scenarios
out=target/search-warm
rm -rf "$out"; mkdir -p "$out"
slo="p95<30ms,error-rate<1%"
search() { # name service_ms [prior]
  local name=$1 ms=$2 prior=${3:-}
  local t0; t0=$(date +%s.%N)
  $bin search api --param write_ratio=0 --slo "$slo" --range 20..2000 --point-duration "${secs}s" \
    --site-workers 4 --site-service-time-ms "$ms" --site-queue 16 --out "$out/$name" \
    ${prior:+--prior "$prior"} > "$out/$name.txt" 2>&1 || true
  local wall; wall=$(echo "$(date +%s.%N) - $t0" | bc)
  local dir; dir=$(ls -d "$out/$name"/*/ | head -1)
  python3 - "$dir/search.json" "$name" "$ms" "$wall" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); name, ms, wall = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
ref = 4 * 1000 / ms
est = r.get("estimate"); iv = r.get("interval") or [None, None]
p = r.get("prior")
said = "-" if p is None else ("agreed" if p["agreed"] else "disagreed")
print(f"{name:10s} reference {ref:6.1f}  runs {len(r['points']):2d}  estimate {est if est is None else round(est,1)}"
      f" ({(est/ref-1)*100 if est else float('nan'):+.1f}%)  interval {iv[0]} .. {iv[1]}  wall {wall:.0f} s  prior {said}")
PY
  echo "$dir" > "$out/$name.dir"
}
search cold 10
cold=$(cat "$out/cold.dir")
for i in $(seq 1 "$n"); do search "warm$i" 10 "$cold"; done
search "moved-30" 14.3 "$cold"
search "moved+30" 7.7 "$cold"
