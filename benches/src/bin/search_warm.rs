//! The warm-started search on synthetic targets of every family (issue 15.7). For each
//! family, noise level and trial: a cold gp search of a drawn target (truth at a random
//! position of the range, `benches::families`), then warm searches started from it
//! (`perf_ml::search::Prior`) against the same target measured again (fresh noise) and
//! against the target with its capacity moved by −30% and +30%. Two kinds of prior: the
//! earlier search's points (`search.json`), and its breaking point and interval alone
//! (what a fitted model's capacity gives). Prints a markdown table: runs, estimates
//! within ±5% of the (new) truth, intervals holding it, and how often the search said
//! the prior disagreed.
//!
//! `search_warm [trials per cell, default 10]`

use benches::families::{draw, trials_arg, FAMILIES, RANGE, TOLERANCE};
use perf_ml::search::{Prior, SearchParams, SearchReport};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[derive(Default)]
struct Cell {
    runs: Vec<usize>,
    within: usize,
    covered: usize,
    disagreed: usize,
}

fn search(
    target: &mut perf_ml::search::synthetic::SyntheticTarget,
    seed: u64,
    prior: Option<Prior>,
) -> SearchReport {
    let mut p = SearchParams::new(RANGE.0, RANGE.1)
        .tolerance(TOLERANCE)
        .seed(seed);
    if let Some(prior) = prior {
        p = p.prior(prior);
    }
    p.check()
        .expect("valid search")
        .run(target)
        .expect("synthetic targets do not fail")
}

/// The prior of one kind from a cold search.
fn prior_of(kind: &str, cold: &SearchReport) -> Prior {
    let full = Prior::from_report("cold search", cold);
    match kind {
        // A sweep's results: points only, located by the GP.
        "points" => Prior {
            estimate: None,
            interval: None,
            ..full
        },
        // An earlier search or a model's capacity: the breaking point and its interval.
        _ => Prior {
            points: Vec::new(),
            ..full
        },
    }
}

fn main() {
    let trials = trials_arg(10);
    println!("| family | noise | prior | capacity | cold runs: median | warm runs: median (mean) | within ±5% | interval covers | said the prior disagreed |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for family in FAMILIES {
        for noise in [0.05, 0.1, 0.2] {
            for kind in ["points", "estimate"] {
                for factor in [1.0, 0.7, 1.3] {
                    let mut c = Cell::default();
                    let mut cold_runs = Vec::new();
                    for i in 0..trials {
                        let mut rng = ChaCha8Rng::seed_from_u64(7_000 + i);
                        let mut first = draw(family, noise, &mut rng, i);
                        let cold = search(&mut first, i, None);
                        cold_runs.push(cold.runs());
                        // The same draw again, measured with fresh noise, maybe moved.
                        let mut rng = ChaCha8Rng::seed_from_u64(7_000 + i);
                        let mut again = draw(family, noise, &mut rng, 50_000 + i).moved(factor);
                        let truth = again.boundary();
                        let r = search(&mut again, 50_000 + i, Some(prior_of(kind, &cold)));
                        c.runs.push(r.runs());
                        c.within += usize::from(
                            r.estimate
                                .is_some_and(|e| (e / truth - 1.0).abs() <= TOLERANCE),
                        );
                        c.covered +=
                            usize::from(r.interval.is_some_and(|(l, h)| l <= truth && truth <= h));
                        c.disagreed += usize::from(r.prior.as_ref().is_some_and(|p| !p.agreed));
                    }
                    c.runs.sort_unstable();
                    cold_runs.sort_unstable();
                    let mean = c.runs.iter().sum::<usize>() as f64 / trials as f64;
                    println!(
                        "| {family} | {noise} | {kind} | ×{factor} | {} | {} ({mean:.1}) | {} / {trials} | {} / {trials} | {} / {trials} |",
                        cold_runs[cold_runs.len() / 2],
                        c.runs[c.runs.len() / 2],
                        c.within,
                        c.covered,
                        c.disagreed
                    );
                }
            }
        }
    }
}
