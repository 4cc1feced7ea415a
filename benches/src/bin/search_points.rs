//! The points of the gp searches of one synthetic family and noise level, to see where
//! the runs go: the same seeded trials as `search_coverage` (`benches::families`), with
//! the distribution of runs, and each point (its load against the truth, its margin,
//! the rule that chose it) of every search that took at least `MIN_RUNS` runs or whose
//! interval missed the truth.
//!
//! `search_points FAMILY NOISE [trials, default 100] [MIN_RUNS, default 6]`

use benches::families::{coverage_trial, FAMILIES, RANGE};
use perf_ml::search::Strategy;

fn usage(what: &str) -> ! {
    eprintln!(
        "error: {what}; usage: search_points FAMILY NOISE [trials] [min runs], FAMILY one of {}",
        FAMILIES.join(", ")
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let family = match args.first() {
        Some(f) if FAMILIES.contains(&f.as_str()) => f.clone(),
        Some(f) => usage(&format!("unknown family '{f}'")),
        None => usage("no family given"),
    };
    // Argument `i` as a number above 0, `default` when it is absent (none: required).
    let number =
        |i: usize, name: &str, default: Option<f64>| match args.get(i).map(|a| a.parse::<f64>()) {
            None => default.unwrap_or_else(|| usage(&format!("no {name} given"))),
            Some(Ok(v)) if v > 0.0 && v.is_finite() => v,
            Some(_) => usage(&format!("{name} '{}' is not a number above 0", args[i])),
        };
    let noise = number(1, "noise level", None);
    let trials = number(2, "trials", Some(100.0)) as u64;
    let min_runs = number(3, "min runs", Some(6.0)) as usize;
    let mut runs = Vec::new();
    let mut covered = 0;
    for i in 0..trials {
        let (truth, r) = coverage_trial(&family, noise, Strategy::Gp, i);
        let covers = r.interval.is_some_and(|(l, h)| l <= truth && truth <= h);
        covered += usize::from(covers);
        runs.push(r.runs());
        if r.runs() >= min_runs || !covers {
            let at = (truth / RANGE.0).ln() / (RANGE.1 / RANGE.0).ln();
            let iv = r
                .interval
                .map_or("none".into(), |(l, h)| format!("{l:.1} .. {h:.1}"));
            println!(
                "trial {i}: truth {truth:.1} req/s at {:.0}% of the range, {} runs, interval {iv}{}",
                100.0 * at,
                r.runs(),
                if covers { "" } else { " (misses)" }
            );
            for p in &r.points {
                println!(
                    "  {:8.1} req/s  {:+6.1}% of the truth  margin {:+.2}  {}",
                    p.rate,
                    100.0 * (p.rate / truth - 1.0),
                    p.margin,
                    p.chosen_by
                );
            }
        }
    }
    runs.sort_unstable();
    let mut counts = std::collections::BTreeMap::new();
    for r in &runs {
        *counts.entry(*r).or_insert(0) += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(r, n)| format!("{r}: {n}")).collect();
    println!(
        "{family} at noise {noise}: runs median {} mean {:.2} ({}), interval covers {covered} / {trials}",
        runs[runs.len() / 2],
        runs.iter().sum::<usize>() as f64 / trials as f64,
        counts.join(", ")
    );
}
