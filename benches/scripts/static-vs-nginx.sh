#!/usr/bin/env bash
# Static asset throughput: dummy-site vs nginx (one worker), each pinned to core 0,
# wrk pinned to core 1, measured back to back in one run. Prints a Markdown table row.
#
#   bash benches/scripts/static-vs-nginx.sh [seconds per measurement, default 10]
#
# Installs nginx and wrk from Debian's packages when missing (as root).
set -euo pipefail
secs=${1:-10}
cd "$(git rev-parse --show-toplevel)"
# shellcheck source=lib/nginx-wrk.sh
source benches/scripts/lib/nginx-wrk.sh
[ "$(nproc)" -ge 2 ] || { echo "error: needs 2 cores (server on core 0, wrk on core 1)" >&2; exit 1; }

cargo build --release -q -p dummy-site
work=$(mktemp -d)
cleanup() { kill ${site_pid:-} ${nginx_pid:-} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

site_port=18181; nginx_port=18182
taskset -c 0 target/release/dummy-site --addr 127.0.0.1:$site_port --threads 1 >/dev/null &
site_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$site_port/health" >/dev/null && break; sleep 0.1; done
mkdir -p "$work/root/static"
curl -sf "http://127.0.0.1:$site_port/static/app.css" -o "$work/root/static/app.css"
bytes=$(stat -c %s "$work/root/static/app.css")

# Two nginx set-ups, one worker each: "stock" logs every request as Debian's default
# configuration does; "tuned" is what a performance engineer would set for static files
# (no access log, sendfile, open-file cache).
nginx_conf() { # name port extra-http-directives
  cat > "$work/$1.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/$1.pid;
error_log $work/$1-error.log;
events { worker_connections 1024; }
http {
  $3
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 65;
  types { text/css css; }
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:$2; root $work/root; }
}
CONF
}
stock_port=18182; tuned_port=18183
nginx_conf stock $stock_port "access_log $work/access.log;"
nginx_conf tuned $tuned_port "access_log off; open_file_cache max=100 inactive=60s;"
taskset -c 0 "$nginx_bin" -c "$work/stock.conf" & stock_pid=$!
taskset -c 0 "$nginx_bin" -c "$work/tuned.conf" & tuned_pid=$!
nginx_pid="$stock_pid $tuned_pid"
for port in $stock_port $tuned_port; do
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/static/app.css" >/dev/null && break; sleep 0.1; done
  cmp <(curl -sf "http://127.0.0.1:$port/static/app.css") "$work/root/static/app.css"
done

rps() { taskset -c 1 wrk -t1 -c64 -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
# Warm all three, then measure in rounds, alternating the order, so drift on the shared
# machine hits every server alike.
site_url="http://127.0.0.1:$site_port/static/app.css"
stock_url="http://127.0.0.1:$stock_port/static/app.css"
tuned_url="http://127.0.0.1:$tuned_port/static/app.css"
for u in "$site_url" "$stock_url" "$tuned_url"; do rps "$u" >/dev/null; done
s=(); n=(); t=()
for round in 1 2; do
  if [ $round = 1 ]; then order="site stock tuned"; else order="tuned stock site"; fi
  for who in $order; do
    case $who in
      site) s+=("$(rps "$site_url")");; stock) n+=("$(rps "$stock_url")");; tuned) t+=("$(rps "$tuned_url")");;
    esac
  done
done
mean() { echo "($1 + $2) / 2" | bc -l; }
site=$(mean "${s[@]}"); stock=$(mean "${n[@]}"); tuned=$(mean "${t[@]}")
echo "| setup | req/s (mean of 2) | runs | dummy-site ratio |"
echo "|---|---|---|---|"
printf '| dummy-site --threads 1 | %.0f | %s, %s | 1.00x |\n' "$site" "${s[0]}" "${s[1]}"
printf '| nginx 1 worker, stock logging | %.0f | %s, %s | %.2fx |\n' "$stock" "${n[0]}" "${n[1]}" "$(echo "$site / $stock" | bc -l)"
printf '| nginx 1 worker, tuned (no log, open_file_cache) | %.0f | %s, %s | %.2fx |\n' "$tuned" "${t[0]}" "${t[1]}" "$(echo "$site / $tuned" | bc -l)"
echo "(asset /static/app.css, $bytes bytes; server on core 0, wrk -t1 -c64 -d${secs}s on core 1)"
