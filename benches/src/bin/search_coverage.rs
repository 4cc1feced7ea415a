//! The breaking-point search on synthetic targets of every family (issue 15.1, 15.5):
//! for each family (`perf_ml::search::synthetic::Family`) and noise level, N seeded
//! trials with the family's settings and the SLO drawn at random and the truth at a
//! random position between 15% and 85% of a 100× range in log space; gp and bisect on
//! the same targets. Prints a markdown table: runs, estimates within ±5%, and how often
//! the reported interval (gp: 90% posterior; bisect: its pass/fail bracket) holds the
//! truth; then, per cell, which rule chose the gp search's points.
//!
//! `search_coverage [trials per cell, default 100]`

use std::collections::BTreeMap;

use benches::families::{coverage_trial, trials_arg, FAMILIES, TOLERANCE};
use perf_ml::search::{StopReason, Strategy};

#[derive(Default)]
struct Cell {
    runs: Vec<usize>,
    within: usize,
    covered: usize,
    converged: usize,
    /// Points per rule that chose them.
    rules: BTreeMap<String, usize>,
}

fn cell(family: &str, noise: f64, strategy: Strategy, trials: u64) -> Cell {
    let mut c = Cell::default();
    for i in 0..trials {
        let (truth, r) = coverage_trial(family, noise, strategy, i);
        c.runs.push(r.runs());
        for p in &r.points {
            *c.rules.entry(p.chosen_by.clone()).or_default() += 1;
        }
        c.within += usize::from(
            r.estimate
                .is_some_and(|e| (e / truth - 1.0).abs() <= TOLERANCE),
        );
        c.covered += usize::from(r.interval.is_some_and(|(l, h)| l <= truth && truth <= h));
        c.converged += usize::from(r.stop == StopReason::Converged);
    }
    c.runs.sort_unstable();
    c
}

fn main() {
    let trials = trials_arg(100);
    println!("| family | noise | strategy | runs: median (mean) | within ±5% | interval covers | converged |");
    println!("|---|---|---|---|---|---|---|");
    let mut chosen: Vec<(String, BTreeMap<String, usize>)> = Vec::new();
    for family in FAMILIES {
        for noise in [0.05, 0.1, 0.2] {
            for (name, strategy) in [("gp", Strategy::Gp), ("bisect", Strategy::Bisect)] {
                let c = cell(family, noise, strategy, trials);
                if strategy == Strategy::Gp {
                    chosen.push((format!("{family} {noise}"), c.rules.clone()));
                }
                let mean = c.runs.iter().sum::<usize>() as f64 / trials as f64;
                println!(
                    "| {family} | {noise} | {name} | {} ({mean:.1}) | {} / {trials} | {} / {trials} | {} / {trials} |",
                    c.runs[c.runs.len() / 2],
                    c.within,
                    c.covered,
                    c.converged
                );
            }
        }
    }
    println!();
    println!("Which rule chose the gp search's points (share of all its points per cell):");
    println!();
    for (cell, rules) in chosen {
        let total: usize = rules.values().sum();
        let mut by: Vec<(String, usize)> = rules.into_iter().collect();
        by.sort_by_key(|r| std::cmp::Reverse(r.1));
        let text: Vec<String> = by
            .iter()
            .map(|(r, n)| format!("{r} {:.0}%", 100.0 * *n as f64 / total as f64))
            .collect();
        println!("- {cell}: {}", text.join(", "));
    }
}
