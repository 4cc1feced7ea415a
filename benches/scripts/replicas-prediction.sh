#!/usr/bin/env bash
# Replicas: the capacity at the SLO predicted from one site, doubled, against a site with
# twice the workers. `api` (reads) swept across a site of 2 workers × 10 ms and one of
# 4 × 10 ms (8 rates from 25% to 150% of each capacity, 3 s each), each fitted and
# reported with the SLO p95<30ms,error-rate<1%, `--target-rate 600rps` and a runway from
# 100 req/s at 5%/week. Prints both capacities, the error of 2 × the first against the
# second (goal ±15%), and the report's replicas and runway for the first.
#
#   bash benches/scripts/replicas-prediction.sh [seconds per point, default 3]
set -euo pipefail
secs=${1:-3}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
bin=$PWD/target/release/perf-scenarios
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
for w in 2 4; do
  cap=$((w * 100))
  rates=$(python3 -c "print(','.join(str(round($cap * f)) for f in (0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5)))")
  "$bin" sweep api --param write_ratio=0 --rate "$rates" --duration "${secs}s" \
    --slo "p95<30ms,error-rate<1%" --site-workers "$w" --site-service-time-ms 10 \
    --site-queue $((4 * w)) --out "$out/w$w" >/dev/null 2>&1
  d=$(ls -d "$out/w$w"/*/ | tail -n 1)
  "$bin" fit "$d" --models "$out/models$w" >/dev/null
  "$bin" report "$d" --models "$out/models$w" --target-rate 600rps --growth 5%/week \
    --current 100rps >/dev/null
  cp "$d/report.json" "$out/report$w.json"
done
python3 - "$out/report2.json" "$out/report4.json" <<'PY'
import json, sys
one, two = (json.load(open(p))["planning"]["value"] for p in sys.argv[1:])
c1, c2 = one["capacity"]["load"], two["capacity"]["load"]
print(f"capacity at the SLO: 2 workers {c1:.1f} req/s, 4 workers {c2:.1f} req/s; "
      f"2 x {c1:.1f} is {(2 * c1 / c2 - 1) * 100:+.1f}% off (goal: within 15%)")
r, w = one["replicas"], one["runway"]
print(f"2 workers: {r['replicas']} replicas for 600 req/s; 100 req/s growing 5%/week "
      f"reaches the capacity in {w['weeks']:.1f} weeks ({w['date']})")
PY
