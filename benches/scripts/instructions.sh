#!/usr/bin/env bash
# Instruction counts of the hot paths under valgrind's callgrind: deterministic, so a
# change of more than THRESHOLD percent against the committed counts
# (benches/instructions.csv) fails (exit 99). `--save` rewrites the committed counts.
# Each workload is one process (benches/examples/workload.rs); its count includes the
# process start-up, the same for all, which `startup` measures on its own.
#
#   bash benches/scripts/instructions.sh [--save] [THRESHOLD percent, default 2]
set -euo pipefail
save=0; [ "${1:-}" = "--save" ] && { save=1; shift; }
threshold=${1:-2}
cd "$(git rev-parse --show-toplevel)"
command -v valgrind >/dev/null || { echo "error: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
cargo build --release -q -p benches --example workload
bin=target/release/examples/workload
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
"$bin" gen "$data" >/dev/null
count() {
  valgrind --tool=callgrind --callgrind-out-file="$data/cg.out" "$bin" "$1" "$data" >/dev/null 2>&1
  awk '/^(summary|totals):/ {print $2; exit}' "$data/cg.out"
}
committed=benches/instructions.csv
now=$(mktemp)
echo "workload,instructions" > "$now"

for w in startup read_runs reference_csv read_timeline gate_compare; do
  echo "$w,$(count "$w")" >> "$now"
done
printf "%-14s %15s %15s %8s\n" workload committed now change
status=0
while IFS=, read -r w n; do
  [ "$w" = workload ] && continue
  old=$(awk -F, -v w="$w" '$1==w {print $2}' "$committed" 2>/dev/null || true)
  if [ -z "$old" ]; then
    printf "%-14s %15s %15s %8s\n" "$w" "-" "$n" "new"
    continue
  fi
  change=$(awk -v a="$old" -v b="$n" 'BEGIN {printf "%+.2f", (b / a - 1) * 100}')
  verdict=$(awk -v c="$change" -v t="$threshold" 'BEGIN {print (c > t) ? "SLOWER" : "ok"}')
  printf "%-14s %15s %15s %7s%%  %s\n" "$w" "$old" "$n" "$change" "$verdict"
  [ "$verdict" = SLOWER ] && status=99
done < "$now"
rr=$(awk -F, '$1=="read_runs" {a=$2} $1=="reference_csv" {b=$2} END {printf "%.2f", a / b}' "$now")
echo "read_runs / reference_csv: ${rr}x the instructions"
if [ "$save" = 1 ]; then cp "$now" "$committed"; echo "saved $committed"; status=0; fi
rm -f "$now"
exit "$status"
