//! The breaking-point gate (`gate --breaking-point`, issue 16.6) on synthetic targets
//! of every family (`benches::families`: the truth at a random position of the range,
//! never a known answer), 3-s points as the gate profile's. Per family, noise level and
//! trial: the baseline's cold search over the whole range
//! (`perf_ml::gate::capacity_search::baseline_search`), refused as the command refuses it
//! (no posterior breaking point, or an interval wider than the 5% threshold: mostly the
//! low rates of the range, whose 3-s points hold too few requests to resolve the SLO);
//! then the
//! warm gate against the same target measured again (a false alarm if it fails) and
//! against the target with 15% less capacity (a detection if it fails). A gate whose
//! search cannot be judged (no posterior and no pass/fail bracket: the command's exit 1)
//! is counted apart. Prints a markdown table with Wilson 95% intervals and the load runs
//! each search took.
//!
//! `gate_capacity [trials per cell, default 20]`

use benches::families::{draw, trials_arg, FAMILIES, RANGE};
use perf_ml::gate::capacity::{CapacityVerdict, Searched};
use perf_ml::gate::capacity_search::{baseline_search, gate_search, verdict};
use perf_ml::stats::wilson;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The gate's defaults: `--capacity-threshold 5%`, `--alpha 0.05`.
const THRESHOLD: f64 = 0.05;
const ALPHA: f64 = 0.05;
/// The capacity of the slower release.
const SLOWER: f64 = 0.85;

#[derive(Default)]
struct Cell {
    refused: u64,
    refused_truths: Vec<f64>,
    false_alarms: u64,
    detections: u64,
    judged: u64,
    unjudged: (u64, u64),
    cold_runs: Vec<usize>,
    unchanged_runs: Vec<usize>,
    slower_runs: Vec<usize>,
}

fn share(k: u64, n: u64) -> String {
    if n == 0 {
        return "—".into();
    }
    let (lo, hi) = wilson(k as f64 / n as f64, n as f64, 0.95);
    format!("{k}/{n} [{lo:.2}, {hi:.2}]")
}

fn mean(v: &[usize]) -> String {
    if v.is_empty() {
        return "—".into();
    }
    format!("{:.1}", v.iter().sum::<usize>() as f64 / v.len() as f64)
}

/// ` (N req/s)`: the median, or nothing for none.
fn median(v: &mut [f64]) -> String {
    if v.is_empty() {
        return String::new();
    }
    v.sort_by(f64::total_cmp);
    format!(" ({:.0} req/s)", v[v.len() / 2])
}

fn main() {
    let trials = trials_arg(20);
    println!("| family | noise | baselines refused (their true breaking points, median) | false alarms (unchanged) | detections (capacity −15%) | not judged: unchanged / −15% | runs: baseline / gate unchanged / gate −15% (mean) |");
    println!("|---|---|---|---|---|---|---|");
    for family in FAMILIES {
        for noise in [0.05, 0.1, 0.2] {
            let mut c = Cell::default();
            for i in 0..trials {
                let target = |seed: u64, factor: f64| {
                    let mut rng = ChaCha8Rng::seed_from_u64(11_000 + i);
                    draw(family, noise, &mut rng, seed)
                        .point_secs(3.0)
                        .moved(factor)
                };
                let cold = baseline_search(RANGE.0, RANGE.1, i)
                    .check()
                    .expect("valid search")
                    .run(&mut target(i, 1.0))
                    .expect("synthetic targets do not fail");
                c.cold_runs.push(cold.runs());
                let base = match Searched::of(&cold) {
                    Searched::Found(b) if !b.spans_more_than(THRESHOLD) => b,
                    _ => {
                        c.refused += 1;
                        c.refused_truths.push(target(i, 1.0).boundary());
                        continue;
                    }
                };
                c.judged += 1;
                let gate = gate_search(&base, "baseline", i)
                    .check()
                    .expect("valid search");
                for (factor, seed) in [(1.0, 60_000 + i), (SLOWER, 90_000 + i)] {
                    let r = gate
                        .run(&mut target(seed, factor))
                        .expect("synthetic targets do not fail");
                    let v = verdict(&base, Searched::of(&r), THRESHOLD, ALPHA);
                    let failed = v
                        .as_ref()
                        .is_ok_and(|f| f.verdict == CapacityVerdict::Regressed);
                    let unjudged = u64::from(v.is_err());
                    if factor == 1.0 {
                        c.false_alarms += u64::from(failed);
                        c.unjudged.0 += unjudged;
                        c.unchanged_runs.push(r.runs());
                    } else {
                        c.detections += u64::from(failed);
                        c.unjudged.1 += unjudged;
                        c.slower_runs.push(r.runs());
                    }
                }
            }
            println!(
                "| {family} | {noise} | {} / {trials}{} | {} | {} | {} / {} | {} / {} / {} |",
                c.refused,
                median(&mut c.refused_truths),
                share(c.false_alarms, c.judged),
                share(c.detections, c.judged),
                c.unjudged.0,
                c.unjudged.1,
                mean(&c.cold_runs),
                mean(&c.unchanged_runs),
                mean(&c.slower_runs),
            );
        }
    }
}
