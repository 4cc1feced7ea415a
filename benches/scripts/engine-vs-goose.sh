#!/usr/bin/env bash
# Load-generator throughput on one URL: `perf-scenarios run static` vs a plain Goose
# attack vs wrk, measured in one run. The target (dummy-site, static asset, outside its
# worker pool) is pinned to core 0, the generator to core 1. Also the generator's peak
# RSS with 1,000 users.
#
#   bash benches/scripts/engine-vs-goose.sh [seconds per measurement, default 10] [users, default 64]
set -euo pipefail
secs=${1:-10}; users=${2:-64}
cd "$(git rev-parse --show-toplevel)"
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else echo "error: wrk is missing: run 'sudo apt-get install wrk'" >&2; exit 1; fi
fi
cargo build --release -q -p dummy-site -p perf-scenarios -p benches --bin plain_goose
out=$(mktemp -d)
cleanup() { kill "${site_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
port=18281; url="http://127.0.0.1:$port"; path=/static/app.css
taskset -c 0 target/release/dummy-site --addr 127.0.0.1:$port --threads 1 >/dev/null &
site_pid=$!
for _ in $(seq 50); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done

engine() { # closed model, no think time: the same loop as the plain Goose attack
  taskset -c 1 target/release/perf-scenarios run static --param assets=1 --users "$users" --duration "${secs}s" \
    --host "$url" --slo "" --out "$out" >/dev/null 2>&1
  local d; d=$(ls -td "$out"/*/ | head -1)
  awk -F, 'NR==2 {print $7}' "$d/runs.csv"
}
goose() { taskset -c 1 target/release/plain_goose "$url" "$path" "$users" "$secs" | awk '{print $(NF-1)}'; }
wrk1() { taskset -c 1 wrk -t1 -c"$users" -d"${secs}s" "$url$path" | awk '/Requests\/sec/ {print $2}'; }

e1=$(engine); g1=$(goose); w1=$(wrk1); w2=$(wrk1); g2=$(goose); e2=$(engine)
mean() { echo "($1 + $2) / 2" | bc -l; }
e=$(mean "$e1" "$e2"); g=$(mean "$g1" "$g2"); w=$(mean "$w1" "$w2")
echo "| generator (core 1) → dummy-site static asset (core 0), $users connections/users, ${secs}s | req/s (mean of 2) | runs | perf-scenarios ratio |"
echo "|---|---|---|---|"
printf '| perf-scenarios run static --users %s | %.0f | %s, %s | 1.00x |\n' "$users" "$e" "$e1" "$e2"
printf '| plain Goose 0.19 attack | %.0f | %s, %s | %.2fx |\n' "$g" "$g1" "$g2" "$(echo "$e / $g" | bc -l)"
printf '| wrk -t1 | %.0f | %s, %s | %.2fx |\n' "$w" "$w1" "$w2" "$(echo "$e / $w" | bc -l)"

# Generator memory with 1,000 users (open model, modest rate so the target keeps up).
taskset -c 1 target/release/perf-scenarios run static --param assets=1 --rate 1000 --max-users 1000 --duration "${secs}s" \
  --host "$url" --slo "" --out "$out" >/dev/null 2>&1
d=$(ls -td "$out"/*/ | head -1)
rss=$(awk -F, 'NR>1 && $4>m {m=$4} END {print m}' "$d/resources.csv")
/usr/bin/time -f "%M" -o "$out/goose-rss" taskset -c 1 target/release/plain_goose "$url" "$path" 1000 "$secs" >/dev/null
grss=$(awk '{printf "%.1f", $1/1024}' "$out/goose-rss")
printf '| peak RSS with 1,000 users | perf-scenarios %s MiB | plain Goose %s MiB | %.2fx |\n' "$rss" "$grss" "$(echo "$rss / $grss" | bc -l)"
