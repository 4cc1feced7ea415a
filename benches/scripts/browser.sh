#!/usr/bin/env bash
# Browser checks on this machine, in one run: the time to start a headless Chromium
# session, the cost of one check (the `browse` journey: home page whose grid JavaScript
# fetches from /api/items, then a product page) against the same two pages fetched by
# curl, and how many concurrent browser users run alongside a protocol load of RATE req/s
# of `browse` on the embedded site (8 workers × 2 ms) before the load or the pages suffer.
#
#   bash benches/scripts/browser.sh [protocol rate, default 200] [seconds per point, default 10] [users list, default "1 2 4 8"]
set -euo pipefail
rate=${1:-200}; secs=${2:-10}; users_list=${3:-"1 2 4 8"}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios -p dummy-site
out=$(mktemp -d)
cleanup() { kill "${site_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
bin=target/release/perf-scenarios
site="--site-workers 8 --site-service-time-ms 2"

echo "### session start and one check (browse journey, 10 iterations, 1 user)"
$bin browser browse --iterations 10 $site --out "$out/one" > "$out/one.txt" 2>/dev/null
grep "started in" "$out/one.txt" | sed 's/^/    /'
python3 - "$(ls -d "$out"/one/*/)browser.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
it = {}
for r in rows:
    it.setdefault(r["iteration"], 0.0)
    it[r["iteration"]] += float(r["elapsed_ms"])
for step in ("home", "product"):
    loads = [float(r["load_ms"]) for r in rows if r["step"] == step]
    ttfb = [float(r["ttfb_ms"]) for r in rows if r["step"] == step]
    print(f"    page {step}: load median {statistics.median(loads):.1f} ms, TTFB median {statistics.median(ttfb):.1f} ms")
print(f"    whole check (4 steps): median {statistics.median(it.values()):.1f} ms over {len(it)} iterations")
PY
# The same two pages over plain HTTP (protocol), for the ratio.
target/release/dummy-site --addr 127.0.0.1:18291 --workers 8 --service-time-ms 2 >/dev/null 2>&1 &
site_pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18291/health >/dev/null && break; sleep 0.1; done
python3 - <<'PY'
import statistics, subprocess
def t(path):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", f"http://127.0.0.1:18291{path}"], capture_output=True, text=True).stdout
    return float(out) * 1000
for path in ("/", "/api/items?page=1&size=8", "/products/7"):
    v = [t(path) for _ in range(20)]
    print(f"    curl {path}: median {statistics.median(v):.2f} ms")
PY
kill $site_pid; wait $site_pid 2>/dev/null || true; site_pid=

echo "### browser users during a protocol load of $rate req/s (browse, ${secs}s points)"
echo "| browser users | protocol achieved req/s | protocol p95 ms | generator saturated | page loads | failed checks | PAGE home load p50 / p95 ms | machine CPU % |"
echo "|---|---|---|---|---|---|---|---|"
for k in 0 $users_list; do
  if [ "$k" = 0 ]; then extra=""; else extra="--browser-users $k"; fi
  $bin run browse --rate "$rate" --duration "${secs}s" $site --slo "" $extra --out "$out/k$k" >/dev/null 2>&1 || true
  d=$(ls -d "$out/k$k"/*/)
  python3 - "$d" "$k" <<'PY'
import csv, json, os, statistics, sys
d, k = sys.argv[1], sys.argv[2]
row = next(csv.DictReader(open(os.path.join(d, "runs.csv"))))
pt = json.load(open(os.path.join(d, "points", "0.json")))
home = next((e for e in pt["endpoints"] if e["name"] == "PAGE home"), None)
cpu = [r["machine_cpu_pct"] for r in pt.get("resources", [])]
loads = fails = 0
bpath = os.path.join(d, "browser.csv")
if os.path.exists(bpath):
    b = list(csv.DictReader(open(bpath)))
    loads = sum(1 for r in b if r["load_ms"])
    fails = sum(1 for r in b if r["ok"] == "false")
h = f"{home['p50_us']/1000:.0f} / {home['p95_us']/1000:.0f}" if home else "-"
print(f"| {k} | {float(row['achieved_rps']):.1f} | {int(row['p95_us'])/1000:.1f} | {row['generator_saturated']} | {loads} | {fails} | {h} | {statistics.mean(cpu):.0f} |")
PY
done
