#!/usr/bin/env bash
# Fault injection against the real binaries: each case runs a fault and checks the exit
# code against the contract, that nothing was lost (every scheduled start of every point
# is a request or a dropped start, every request answered, failed or unfinished), and
# that the results directory reads back (`report` exits 0, `compare DIR DIR` and `fit`
# give no file error). Prints one table row per case; exits 1 if any case is not clean.
#
#   bash scripts/faults.sh [KILLS]        # KILLS: kill -9 moments (default 20)
#
# Loopback only: the embedded dummy site or a dummy-site process on 127.0.0.1.
set -uo pipefail
cd "$(dirname "$0")/.."
KILLS=${1:-20}

cargo build -q --release -p perf-scenarios -p dummy-site
BIN=target/release/perf-scenarios
SITE=target/release/dummy-site
WORK=$(mktemp -d)
trap 'umount "$WORK/full" 2>/dev/null; rm -rf "$WORK"; kill $(jobs -p) 2>/dev/null' EXIT

rows=()
bad=0

# check DIR: "accounted readable" as yes/no/- (no directory: -), from the files alone.
check() {
  local dir=$1
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "- -"; return; }
  local acc
  acc=$(python3 - "$dir" <<'PY'
import csv, json, sys, os
d = sys.argv[1]
try:
    rows = list(csv.DictReader(open(os.path.join(d, "runs.csv"))))
except FileNotFoundError:
    print("-"); sys.exit()
ok = True
for r in rows:
    p = json.load(open(os.path.join(d, "points", r["point"] + ".json")))
    row = p["row"]
    sched = p["scheduled_iterations"]
    sent = row["requests"]
    if r["model"] == "open" and sent + row["dropped_iterations"] != sched:
        ok = False
    if row["failures"] > row["requests"] or row["unfinished"] > row["failures"]:
        ok = False
    if str(row["requests"]) != r["requests"]:
        ok = False
print("yes" if ok else "no")
PY
)
  local readable=yes
  if [ -s "$dir/runs.csv" ] && [ "$(wc -l < "$dir/runs.csv")" -gt 1 ]; then
    "$BIN" report "$dir" --models "$WORK/models" >/dev/null 2>"$WORK/err" || readable=no
    for c in "compare $dir $dir" "fit $dir --models $WORK/models"; do
      $BIN $c >/dev/null 2>"$WORK/err"
      code=$?
      if [ $code -ne 0 ] && { [ $code -ne 2 ] || grep -qE 'malformed|invalid JSON|cannot read|panicked' "$WORK/err"; }; then
        readable=no
      fi
    done
  fi
  echo "$acc $readable"
}

# row NAME EXPECTED GOT DIR [NOTE]
row() {
  local name=$1 want=$2 got=$3 dir=$4 note=${5:-}
  read -r acc readable <<<"$(check "$dir")"
  local verdict=clean
  [[ " $want " == *" $got "* ]] || verdict=FAIL
  [ "$acc" = no ] && verdict=FAIL
  [ "$readable" = no ] && verdict=FAIL
  [ "$verdict" = FAIL ] && bad=1
  rows+=("$(printf '| %s | %s | %s | %s | %s | %s | %s |' "$name" "$want" "$got" "$acc" "$readable" "$verdict" "$note")")
}

newest() { ls -d "$1"/*/ 2>/dev/null | tail -n 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A dummy-site process on a free loopback port; sets SITE_PID and SITE_URL.
start_site() {
  local port; port=$(free_port)
  "$SITE" --addr "127.0.0.1:$port" "$@" >/dev/null 2>&1 &
  SITE_PID=$!
  SITE_URL="http://127.0.0.1:$port"
  for _ in $(seq 50); do curl -s "$SITE_URL/health" >/dev/null && return; sleep 0.1; done
}

# 1. Nothing listens at the target.
o=$WORK/down; port=$(free_port)
"$BIN" run api --host "http://127.0.0.1:$port" --duration 2s --out "$o" >/dev/null 2>&1; code=$?
row "target down at start" 1 $code "$(newest "$o")" "no results directory"

# 2. The target is killed in the middle of a point.
o=$WORK/killed; start_site --workers 4 --service-time-ms 2
"$BIN" run api --host "$SITE_URL" --rate 100 --duration 4s --timeout 1s --grace 1s --out "$o" >"$WORK/out" 2>&1 &
p=$!; sleep 2; kill -9 "$SITE_PID"; wait "$SITE_PID" 2>/dev/null; wait $p; code=$?
row "target killed mid-point" 99 $code "$(newest "$o")" "$(grep -c '^warning' "$WORK/out") warning line(s)"

# 3. Every answer is a 500.
o=$WORK/e500
"$BIN" run api --rate 50 --duration 2s --site-error-rate 100% --out "$o" >/dev/null 2>&1; code=$?
row "all-500 target" 99 $code "$(newest "$o")"

# 4. The target accepts and never answers; no SLO given.
o=$WORK/silent
"$BIN" run api --rate 20 --duration 2s --site-stall-at-s 0 --site-stall-for-s 60 --slo "" --grace 1s --out "$o" >/dev/null 2>&1; code=$?
d=$(newest "$o"); n=$(cut -d, -f8,10 "$d/runs.csv" | tail -n 1)
row "silent target, --slo \"\"" 99 $code "$d" "requests,unfinished = $n"

# 5. A stall that outlasts the point.
o=$WORK/stall
"$BIN" run api --rate 40 --duration 3s --site-stall-at-s 1 --site-stall-for-s 30 --grace 1s --out "$o" >/dev/null 2>&1; code=$?
d=$(newest "$o"); n=$(cut -d, -f8,10 "$d/runs.csv" | tail -n 1)
row "stall longer than the point" 99 $code "$d" "requests,unfinished = $n"

# 6, 7. A signal in the middle of a point.
for sig in INT TERM; do
  o=$WORK/sig$sig
  "$BIN" sweep api --rate 50,60 --duration 3s --out "$o" >/dev/null 2>&1 &
  p=$!; sleep 2.5; kill -$sig $p; wait $p; code=$?
  want=$([ $sig = INT ] && echo 130 || echo 143)
  row "SIG$sig in a point" $want $code "$(newest "$o")"
done

# 8. A signal after a point's window, while its last requests are still in flight
# (they take 2 s): sent once the site's in-flight gauge has passed its peak.
o=$WORK/between; start_site --service-time-ms 0 --extra-latency-ms 2000
"$BIN" sweep api --rate 20,30 --duration 2s --max-users 200 --slo "" --host "$SITE_URL" --out "$o" >/dev/null 2>&1 &
p=$!; peak=0
for _ in $(seq 3000); do
  now=$(curl -s "$SITE_URL/metrics" | awk '/^dummy_in_flight/ {print int($2)}')
  now=${now:-0}; [ "$now" -gt "$peak" ] && peak=$now
  [ "$peak" -ge 30 ] && [ "$now" -le $((peak - 5)) ] && break
  sleep 0.01
done
kill -INT $p; wait $p; code=$?; kill "$SITE_PID"
d=$(newest "$o"); c=$(python3 -c "import csv,sys; print([r['complete'] for r in csv.DictReader(open('$d/runs.csv'))])")
row "SIGINT between points" 130 $code "$d" "complete per point: $c"

# 9. A second signal exits at once.
o=$WORK/second
"$BIN" run api --rate 20 --duration 10s --site-extra-latency-ms 3000 --max-users 200 --out "$o" >/dev/null 2>&1 &
p=$!; sleep 2; kill -INT $p; sleep 0.2; t0=$(date +%s%N); kill -INT $p; wait $p; code=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
row "second signal" 130 $code "$(newest "$o")" "exited ${ms} ms after it"

# 10. The disk fills up: the results go to a 48 KiB tmpfs. The directory is read back
# from a copy (report writes its own files beside the results).
o=$WORK/full; mkdir -p "$o"
if mount -t tmpfs -o size=48k tmpfs "$o" 2>/dev/null; then
  "$BIN" sweep api --rate $(seq -s, 40 10 230) --duration 1s --grace 1s --out "$o" >/dev/null 2>"$WORK/err"; code=$?
  d=$(newest "$o"); n=$(($(wc -l < "$d/runs.csv") - 1))
  cp -r "$d" "$WORK/full-copy"; umount "$o"
  row "disk full (48 KiB tmpfs)" 1 $code "$WORK/full-copy" "$n whole point(s) of 20; $(grep -o 'No space left on device' "$WORK/err" | head -n 1)"
else
  rows+=("| disk full | 1 | - | - | - | skipped | cannot mount a tmpfs here |")
fi

# 11. kill -9 at seeded random moments of a sweep (two at a time).
o=$WORK/kill9; mkdir -p "$o"
moments=$(python3 -c "import random; r=random.Random(13); print(' '.join(f'{r.uniform(0.2,9.0):.2f}' for _ in range($KILLS)))")
set -- $moments
exec 3>&2 2>/dev/null   # the shell's "Killed" notices
while [ $# -gt 0 ]; do
  a=$1; b=${2:-}; shift; [ -n "$b" ] && shift
  "$BIN" sweep api --rate 40,60,80 --duration 1s --grace 1s --out "$o" >/dev/null 2>&1 & pa=$!
  [ -n "$b" ] && { "$BIN" sweep api --rate 40,60,80 --duration 1s --grace 1s --out "$o" >/dev/null 2>&1 & pb=$!; }
  (sleep "$a"; kill -9 $pa 2>/dev/null) &
  [ -n "$b" ] && (sleep "$b"; kill -9 $pb 2>/dev/null) &
  wait
done
exec 2>&3 3>&-
killed_ok=0; points=0
for d in "$o"/*/; do
  read -r acc readable <<<"$(check "$d")"
  [ "$acc" != no ] && [ "$readable" != no ] && killed_ok=$((killed_ok + 1))
  [ -f "$d/runs.csv" ] && points=$((points + $(wc -l < "$d/runs.csv") - 1))
done
total=$(ls -d "$o"/*/ | wc -l)
verdict=$([ "$killed_ok" = "$total" ] && echo clean || echo FAIL); [ "$verdict" = FAIL ] && bad=1
rows+=("| kill -9 at $KILLS random moments | (killed) | - | $killed_ok/$total dirs | $killed_ok/$total dirs | $verdict | $points whole points kept |")

# 12. A search interrupted by SIGINT.
o=$WORK/search
"$BIN" search api --slo "p95<200ms,error-rate<1%" --range 20..150 --point-duration 2s --out "$o" >/dev/null 2>&1 &
p=$!; sleep 6; kill -INT $p; wait $p; code=$?
d=$(newest "$o"); r=$(python3 -c "import json; print(json.load(open('$d/search.json'))['stop'])" 2>/dev/null || echo "no search.json")
row "search interrupted" 130 $code "$d" "stop: $r"

# 13. Hostile fault values for the dummy site: 400 from the admin route, exit 2 from the command line.
start_site
a=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SITE_URL/admin/faults" -d '{"extra_latency_ms":1e308}')
b=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SITE_URL/admin/faults" -d '{"stall_at_s":1e300,"stall_for_s":1}')
c=$(curl -s -o /dev/null -w '%{http_code}' "$SITE_URL/api/items")
kill "$SITE_PID"
"$SITE" --stall-at-s 1e300 --stall-for-s 1 >/dev/null 2>&1; e=$?
"$BIN" run api --site-stall-at-s 1e300 --site-stall-for-s 1 --out "$WORK/x" >/dev/null 2>&1; f=$?
got="$a $b $c $e $f"
verdict=$([ "$got" = "400 400 200 2 2" ] && echo clean || echo FAIL); [ "$verdict" = FAIL ] && bad=1
rows+=("| dummy-site values that overflow a time | 400 400 200 2 2 | $got | - | - | $verdict | admin, admin, next request, dummy-site, perf-scenarios |")

# 14. A gate whose baseline does not match the plan: refused before any load.
t0=$(date +%s%N)
"$BIN" gate api --baseline scenarios/baselines/api.json --duration 3s --out "$WORK/gate" >/dev/null 2>&1; code=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
row "gate baseline mismatch" 2 $code "$(newest "$WORK/gate")" "refused after ${ms} ms"

echo
echo "| case | exit expected | exit got | every start accounted | directory readable | verdict | note |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "faults.sh: ${SECONDS} s"
exit $bad
