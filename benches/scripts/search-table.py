#!/usr/bin/env python3
"""The table of a search-families.sh run from its CSV (target/search-families.csv, or one
kept in benches/data/): per family and strategy, the runs, each search's error against
the truth, how many are within ±5%, how many intervals cover the truth, the wall time.

    python3 benches/scripts/search-table.py CSV [FAMILY=TRUTH ...]

FAMILY=TRUTH judges that family's searches against another truth (req/s), such as one
swept with points as long as the search's: errors and coverage are recomputed from each
search's estimate and interval."""
import csv
import statistics
import sys


NEEDED = {"family", "truth", "strategy", "runs", "estimate", "error_pct", "lo", "hi", "covered", "wall_s"}


def usage(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) < 2:
        usage(__doc__)
    try:
        with open(argv[1], newline="") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            columns = set(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        usage(f"error: {argv[1]}: {getattr(e, 'strerror', None) or e}")
    missing = NEEDED - columns
    if missing:
        usage(f"error: {argv[1]}: not a search-families.sh CSV (no column {', '.join(sorted(missing))})")
    truths = {}
    for arg in argv[2:]:
        fam, sep, value = arg.partition("=")
        try:
            truths[fam] = float(value)
        except ValueError:
            usage(f"error: {arg!r}: give FAMILY=TRUTH, such as timeout=349.4")
        if not sep or not truths[fam] > 0:
            usage(f"error: {arg!r}: give FAMILY=TRUTH with a truth above 0 req/s")
        if not any(r["family"] == fam for r in rows):
            usage(f"error: {arg!r}: {argv[1]} has no searches of family {fam!r}")
    for r in rows:
        if r["family"] not in truths:
            continue
        t = truths[r["family"]]
        r["truth"] = f"{t:.1f}"
        r["error_pct"] = f"{100 * (float(r['estimate']) / t - 1):.1f}" if r["estimate"] else ""
        lo, hi = r["lo"], r["hi"]
        r["covered"] = str(int(bool(lo) and bool(hi) and float(lo) <= t <= float(hi)))
    lines = [
        "| family (truth, fine sweep) | strategy | runs: median (each) | error vs truth (each) | within ±5% | interval covers | wall per search (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for fam in dict.fromkeys(r["family"] for r in rows):
        for s in dict.fromkeys(r["strategy"] for r in rows):
            g = [r for r in rows if r["family"] == fam and r["strategy"] == s]
            if not g:
                continue
            runs = [int(r["runs"]) for r in g]
            errs = [r["error_pct"] for r in g]
            within = sum(1 for e in errs if e and abs(float(e)) <= 5.0)
            cov = sum(int(r["covered"]) for r in g)
            wall = statistics.median(float(r["wall_s"]) for r in g)
            e = ", ".join((f"{float(x):+.1f}%" if x else "none") for x in errs)
            lines.append(f"| {fam} ({g[0]['truth']} req/s) | {s} | {statistics.median(runs):g} ({', '.join(map(str, runs))}) | {e} | {within}/{len(g)} | {cov}/{len(g)} | {wall:.0f} s |")
    print("\n".join(lines))


if __name__ == "__main__":
    try:
        main(sys.argv)
    except ValueError as e:
        usage(f"error: {sys.argv[1]}: a value that is not a number ({e})")
