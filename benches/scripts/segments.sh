#!/usr/bin/env bash
# Issue 18's proof on one machine: N execution segments started together (`--segment
# I/N --start-at`), merged with `perf-scenarios merge`, are the same test as one process
# at the whole rate. Against one dummy site started alone with capacity far above the
# load, each round runs one process at RATE twice (A and B: the run-to-run noise) and N
# segment processes at RATE/N once, merged. Per round: achieved rate, p50, p95 and error
# rate of each; the merged runs' p50 and p95 against the spread of the single-process
# runs (their mean ± 2 SD: the noise between runs of one process); and how far apart the segments' first requests were sent, each measured from its own
# due time in the common schedule (segment I's first start is due I / RATE after it).
#
# Each segment runs on one runtime thread (TOKIO_WORKER_THREADS=1), as in a pod of one
# core (`perf-scenarios k8s` sets it from the pod's CPU request): N processes of two
# threads each would crowd this 2-core machine, which separate machines do not.
#
# Each round runs one process (A), then the N segments, then one process again (B), so
# that a drift of the machine during a round weighs on both sides alike.
#
# PIN=1 separates the generators from the site as separate machines would: the site on
# core 0, every generator process (one process or the N segments) on core 1 with one
# runtime thread. The two sides then differ only in being one process or N.
#
#   bash benches/scripts/segments.sh [segments, default 4] [rate, default 400] [seconds per run, default 20] [rounds, default 3]
#   PIN=1 bash benches/scripts/segments.sh 4 400 20 10
set -euo pipefail
n=${1:-4}; rate=${2:-400}; secs=${3:-20}; rounds=${4:-3}
if [ "${PIN:-0}" = 1 ]; then
  site_cpu=(taskset -c 0); gen_cpu=(taskset -c 1); single_env=(env TOKIO_WORKER_THREADS=1)
else
  site_cpu=(); gen_cpu=(); single_env=(env)
fi
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p dummy-site -p perf-scenarios
bin=target/release/perf-scenarios
out=$(mktemp -d)
cleanup() { kill "${site_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
port=18381; url="http://127.0.0.1:$port"
# 32 workers × 1000 / 5 ms = 6,400 req/s of `api` reads: 16× the default load.
${site_cpu[@]+"${site_cpu[@]}"} target/release/dummy-site --addr 127.0.0.1:$port --workers 32 --service-time-ms 5 >/dev/null 2>&1 &
site_pid=$!
for _ in $(seq 50); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
common=(api --param write_ratio=0 --duration "${secs}s" --slo "" --host "$url")

single() { "${single_env[@]}" ${gen_cpu[@]+"${gen_cpu[@]}"} "$bin" run "${common[@]}" --rate "$rate" --out "$out/r$1-$2" >/dev/null 2>&1; }
for r in $(seq "$rounds"); do
  single "$r" A
  start=$(date -u -d "+3 seconds" +%Y-%m-%dT%H:%M:%SZ)
  pids=()
  for i in $(seq 0 $((n - 1))); do
    TOKIO_WORKER_THREADS=1 ${gen_cpu[@]+"${gen_cpu[@]}"} "$bin" run "${common[@]}" --rate "$rate" --segment "$i/$n" --start-at "$start" --out "$out/r$r-seg$i" >/dev/null 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  "$bin" merge "$out"/r$r-seg*/* --out "$out/r$r-merged" >/dev/null
  single "$r" B
done

python3 - "$out" "$n" "$rate" "$rounds" <<'PY'
import csv, glob, json, sys
from datetime import datetime
out, n, rate, rounds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
def row(d):
    r = next(csv.DictReader(open(glob.glob(d + "/runs.csv")[0])))
    return {k: float(r[k]) for k in ("achieved_rps", "p50_us", "p95_us", "error_rate", "requests")}
def run(name):
    return row(glob.glob(f"{out}/{name}/*")[0])
import os
pinned = " (site on core 0, generators on core 1, one runtime thread each)" if os.environ.get("PIN") == "1" else ""
print(f"{n} segments × {rate / n:g} req/s vs one process × {rate:g} req/s, `api` reads{pinned}")
print("| round | run | achieved req/s | p50 ms | p95 ms | errors % | requests |")
print("|---|---|---|---|---|---|---|")
worst = {"rate": 0.0}
spreads = []
for r in range(1, rounds + 1):
    a, b, m = run(f"r{r}-A"), run(f"r{r}-B"), row(f"{out}/r{r}-merged")
    for name, x in (("one process A", a), ("one process B", b), (f"{n} segments merged", m)):
        print(f"| {r} | {name} | {x['achieved_rps']:.1f} | {x['p50_us']/1000:.2f} | {x['p95_us']/1000:.2f} | {100*x['error_rate']:.2f} | {x['requests']:.0f} |")
    worst["rate"] = max(worst["rate"], abs(m["achieved_rps"] - rate) / rate)
    firsts = []
    for i in range(n):
        d = glob.glob(f"{out}/r{r}-seg{i}/*")[0]
        p = json.load(open(d + "/points/0.json"))
        t = datetime.fromisoformat(p["first_request_at"].replace("Z", "+00:00")).timestamp()
        firsts.append(t - i / rate)
    spreads.append(1000 * (max(firsts) - min(firsts)))
print()
import statistics as st
singles = [run(f"r{r}-{s}") for r in range(1, rounds + 1) for s in "AB"]
merged = [row(f"{out}/r{r}-merged") for r in range(1, rounds + 1)]
print(f"merged achieved rate: at most {100*worst['rate']:.2f}% from {rate:g} req/s (goal 2%)")
print(f"error rate: one process {max(x['error_rate'] for x in singles):.4f}, merged {max(x['error_rate'] for x in merged):.4f} (the worst run of each)")
for q in ("p50", "p95"):
    k = q + "_us"
    s_vals = [x[k] / 1000 for x in singles]
    m_vals = [x[k] / 1000 for x in merged]
    mu, sd = st.mean(s_vals), st.stdev(s_vals)
    within = sum(1 for v in m_vals if abs(v - mu) <= 2 * sd)
    # Welch's t of the difference of means, runs as the unit.
    se = (sd ** 2 / len(s_vals) + st.stdev(m_vals) ** 2 / len(m_vals)) ** 0.5
    t = (st.mean(m_vals) - mu) / se if se > 0 else 0.0
    print(f"{q}: one process {mu:.2f} ± {sd:.2f} ms (mean ± SD of {len(s_vals)} runs), merged {st.mean(m_vals):.2f} ± {st.stdev(m_vals):.2f} ms "
          f"({', '.join(f'{v:.2f}' for v in m_vals)}); {within}/{len(m_vals)} merged runs within 2 SD of one process's mean; "
          f"difference of means {100 * (st.mean(m_vals) - mu) / mu:+.1f}%, Welch's t = {t:+.2f}")
print("first requests' spread (from their due times), per round: " + ", ".join(f"{s:.1f} ms" for s in spreads) + " (goal 20 ms)")
PY
