#!/usr/bin/env bash
# Issue 15.6: the search against a target faster than the generator. nginx (Debian's
# nginx-light, one worker, stock access logging) serves the `static` scenario's four
# assets; wrk measures what nginx can do on this machine; then `search static --slo
# "error-rate<1%" --range 100..10000` runs against it as in the issue, where the
# generator's own lag used to be charged to the target (a "breaking point" of 8,311
# req/s). The search should report the generator's limit instead. Prints wrk's rate,
# the search's report and each point's rate, p50/p95, lag and saturation flag.
#
#   bash benches/scripts/search-nginx.sh [seconds per point, default 8]
#
# Installs nginx-light and wrk from Debian's packages when missing (as root).
set -euo pipefail
secs=${1:-8}
cd "$(git rev-parse --show-toplevel)"
# shellcheck source=lib/nginx-wrk.sh
source benches/scripts/lib/nginx-wrk.sh
cargo build --release -q -p dummy-site -p perf-scenarios
work=$(mktemp -d)
cleanup() { kill ${site_pid:-} ${nginx_pid:-} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

site_port=18191; port=18192
target/release/dummy-site --addr 127.0.0.1:$site_port >/dev/null &
site_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$site_port/health" >/dev/null && break; sleep 0.1; done
mkdir -p "$work/root/static/img"
for a in static/app.css static/app.js static/logo.svg static/img/p0.svg; do
  curl -sf "http://127.0.0.1:$site_port/$a" -o "$work/root/$a"
done
kill $site_pid; wait $site_pid 2>/dev/null || true; site_pid=
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log $work/access.log;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 65;
  types { text/css css; application/javascript js; image/svg+xml svg; }
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:$port; root $work/root; }
}
CONF
"$nginx_bin" -c "$work/nginx.conf" & nginx_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/static/app.css" >/dev/null && break; sleep 0.1; done
echo "wrk against nginx (2 threads, 64 connections, 5 s): $(wrk -t2 -c64 -d5s "http://127.0.0.1:$port/static/app.css" | awk '/Requests\/sec/ {print $2}') req/s"
out="$work/out"
target/release/perf-scenarios search static --slo "error-rate<1%" --range 100..10000 --point-duration "${secs}s" \
  --host "http://127.0.0.1:$port" --out "$out" || true
d=$(ls -d "$out"/*/)
python3 - "$d" <<'PY'
import csv, json, sys, os
d = sys.argv[1]
for r in csv.DictReader(open(os.path.join(d, "runs.csv"))):
    p = json.load(open(os.path.join(d, "points", f"{r['point']}.json")))
    print(f"point {r['point']}: asked {float(r['target_rps']):.0f} req/s, achieved {float(r['achieved_rps']):.0f}, "
          f"p50 {int(r['p50_us'])/1000:.1f} ms, p95 {int(r['p95_us'])/1000:.1f} ms, generator lag {p.get('gen_lag_ms', 0) or 0:.1f} ms, "
          f"gen cpu {r['gen_cpu_pct']}%, saturated {r['generator_saturated']}")
PY
