#!/usr/bin/env bash
# What `--dashboard` costs the generator: `perf-scenarios run static` (closed model, no
# think time: as many requests as the generator can make) with and without the dashboard
# and one page reading its event stream, in alternating rounds. The target (dummy-site,
# static asset) runs on core 0; the generator on core 1, and the page with it (curl
# reading /events: everything the generator sends a page, none of a browser's drawing),
# so that whatever the page costs is charged to the generator.
#
#   bash benches/scripts/dashboard-cost.sh [rounds, default 5] [seconds per run, default 10] [users, default 64]
set -euo pipefail
rounds=${1:-5}; secs=${2:-10}; users=${3:-64}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p dummy-site -p perf-scenarios
out=$(mktemp -d)
cleanup() { kill "${site_pid:-}" "${page_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
port=18283; url="http://127.0.0.1:$port"; dash=127.0.0.1:18284
taskset -c 0 target/release/dummy-site --addr 127.0.0.1:$port --threads 1 >/dev/null &
site_pid=$!
for _ in $(seq 50); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done

# One run; with "on", the dashboard and a page reading it. Prints achieved req/s.
run() {
  local extra=() log="$out/$1-$2.log"
  [ "$1" = on ] && extra=(--dashboard "$dash")
  taskset -c 1 target/release/perf-scenarios run static --param assets=1 --users "$users" \
    --duration "${secs}s" --host "$url" --slo "" --out "$out/$1-$2" "${extra[@]}" >"$log" 2>&1 &
  local pid=$!
  if [ "$1" = on ]; then
    for _ in $(seq 100); do curl -sf "http://$dash/" >/dev/null && break; sleep 0.05; done
    taskset -c 1 curl -sN "http://$dash/events" >"$out/page-$2.txt" &
    page_pid=$!
  fi
  if [ "$1" = on ]; then
    # The CPU time of the dashboard's own threads and of the whole process, as last seen
    # before it exits (clock ticks: utime + stime of /proc/PID/task/*/stat).
    while kill -0 "$pid" 2>/dev/null; do
      ticks=$(for t in /proc/"$pid"/task/*; do
        c=$(cat "$t/comm" 2>/dev/null) || continue
        awk -v c="$c" '{sub(/.*\) /, ""); print c, $12 + $13}' "$t/stat" 2>/dev/null
      done | awk '/^dashboard/ {d += $2} {a += $2} END {print d + 0, a + 0}') || true
      [ -n "$ticks" ] && echo "$ticks" >"$out/ticks-$2.txt"
      sleep 0.2
    done
  fi
  wait "$pid"
  [ "$1" = on ] && { kill "$page_pid" 2>/dev/null || true; wait "$page_pid" 2>/dev/null || true; }
  awk -F, 'NR==2 {print $7}' "$out/$1-$2"/*/runs.csv
}

off=(); on=()
for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then off+=("$(run off "$r")"); on+=("$(run on "$r")")
  else on+=("$(run on "$r")"); off+=("$(run off "$r")"); fi
done
seconds=$(grep -c "^event: second" "$out"/page-*.txt | awk -F: '{s += $2} END {print s}')
dash_share=$(cat "$out"/ticks-*.txt | awk '{d += $1; a += $2} END {printf "%d of %d ticks, %.3f%%", d, a, 100 * d / a}')

python3 - "$secs" "$users" "$seconds" "${off[*]}" "${on[*]}" "$dash_share" <<'PY'
import statistics as st, sys
secs, users, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
off = [float(x) for x in sys.argv[4].split()]
on = [float(x) for x in sys.argv[5].split()]
share = sys.argv[6]
m0, m1 = st.mean(off), st.mean(on)
se = (st.variance(off) / len(off) + st.variance(on) / len(on)) ** 0.5
t = (m1 - m0) / se if se > 0 else 0.0
print(f"generator and page (core 1) → dummy-site static asset (core 0), {users} users, {secs}-s runs, {len(off)} of each, alternating")
print("| | achieved req/s, mean ± SD | runs | ratio |")
print("|---|---|---|---|")
print(f"| without --dashboard | {m0:,.0f} ± {st.stdev(off):,.0f} | {', '.join(f'{x:.0f}' for x in off)} | 1.000 |")
print(f"| --dashboard, one page open | {m1:,.0f} ± {st.stdev(on):,.0f} | {', '.join(f'{x:.0f}' for x in on)} | {m1 / m0:.3f} |")
# Adjacent runs of a round share the machine's drift: their ratios are the paired view.
ratios = [b / a for a, b in zip(off, on)]
rm, rse = st.mean(ratios), st.stdev(ratios) / len(ratios) ** 0.5
print(f"difference of means {100 * (m1 / m0 - 1):+.2f}% (goal within 2%), Welch's t = {t:+.2f}")
print(f"paired by round: mean ratio {rm:.3f}, 95% interval {rm - 2.0 * rse:.3f} .. {rm + 2.0 * rse:.3f}")
print(f"the dashboard's own threads (dashboard-live, dashboard-http): {share} of the generator process's CPU time in the runs with a page")
print(f"the pages received {seconds} per-second events in all")
PY
