#!/usr/bin/env bash
# Do the latency model's 90% prediction intervals cover 90%? (issue 14.6)
# Three real sweeps of `api` against the embedded dummy site, 21 load levels each, with
# different site settings, each sweep's range reaching past the capacity:
#   shed     4 workers × 10 ms fixed service, the default bounded queue (sheds: 503s)
#   queue    4 workers × 10 ms exponential service, unbounded queue (latency rises
#            before the capacity), 20 .. 380 req/s
#   mixed    8 workers × 5 ms exponential service, write_ratio 0.1, bounded queue
# Then `interval_coverage` leaves each load level out in turn, fits on the other 20
# exactly as `perf-scenarios fit` does, and counts the left-out point's p50/p95/p99
# inside the predicted 90% intervals. Prints one line per sweep and the total.
#
#   bash benches/scripts/interval-coverage.sh [seconds per point, default 3]
set -euo pipefail
secs=${1:-3}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios -p benches --bin perf-scenarios --bin interval_coverage
bin=target/release/perf-scenarios
out=target/interval-coverage
rm -rf "$out"; mkdir -p "$out"
levels() { # from, to: 21 evenly spaced rates
  awk -v a="$1" -v b="$2" 'BEGIN { for (i = 0; i < 21; i++) printf "%s%d", (i ? "," : ""), a + (b - a) * i / 20 }'
}
run() { # name, rates, site and scenario flags...
  local name=$1 rates=$2; shift 2
  "$bin" sweep api --rate "$rates" --duration "${secs}s" --slo "" --out "$out/$name" "$@" >/dev/null 2>&1
  ls -d "$out/$name"/*/ | tail -n 1
}
dirs=(
  "$(run shed "$(levels 40 800)" --site-workers 4 --site-service-time-ms 10)"
  "$(run queue "$(levels 20 380)" --site-workers 4 --site-service-time-ms 10 --site-service-dist exp \
      --site-queue 100000 --site-queue-timeout-ms 600000)"
  "$(run mixed "$(levels 50 1000)" --site-workers 8 --site-service-time-ms 5 --site-service-dist exp \
      --param write_ratio=0.1)"
)
target/release/interval_coverage "${dirs[@]}"
