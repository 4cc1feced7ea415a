#!/usr/bin/env bash
# The capacity plan on the committed real series (scenarios/traffic: hourly pedestrian
# counts of the City of Melbourne, April 2023, as people per second): the backtest of
# each forecasting method (WAPE, MAPE, the 90% band's coverage) with the seasons
# detected and with the daily season alone, then the plan itself at 600× the series
# against a model fitted on a sweep of the embedded site (4 workers, 10 ms: 400 req/s).
#
#   bash benches/scripts/capacity-plan.sh
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p perf-scenarios
bin=$PWD/target/release/perf-scenarios
traffic=$PWD/scenarios/traffic/melbourne-pedestrians-2023-04.csv
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
cd "$out"
"$bin" sweep api --rate 50,100,150,200,250,300,350,400,450,500 --duration 2s \
  --param write_ratio=0 --site-workers 4 --site-service-time-ms 10 --slo "" >sweep.log 2>&1
"$bin" fit results/* >fit.log
table() {
  python3 -c '
import json, sys
p = json.load(sys.stdin)
b, s = p["backtest"], p["seasons"]
print("  seasons %s (%s), %d origins a day apart, %d h ahead each" % (s["periods"], s["source"], len(b["origins"]), b["horizon"]))
print("  | method | WAPE | MAPE | 90%% band held | scaled by | scaled band held (held out) |" % ())
for r in b["scores"]:
    mark = " (better)" if r["method"] == b["better"] else ""
    print("  | %s%s | %.1f%% | %.1f%% | %.1f%% | %.2f | %.1f%% |" % (r["method"], mark, r["wape"], r["mape"], 100 * r["coverage"], r["factor"], 100 * r["calibrated_coverage"]))
'
}
echo "backtest, seasons detected:"
"$bin" plan --traffic "$traffic" --model models/api/v1.json --json | table
echo "backtest, the daily season alone (--season 1d):"
"$bin" plan --traffic "$traffic" --model models/api/v1.json --season 1d --json | table
echo "the plan at 600x, one replica today, 0.096/h a replica:"
"$bin" plan --traffic "$traffic" --model models/api/v1.json --scale 600 --replicas 1 --replica-cost 0.096/h
