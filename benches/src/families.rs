//! Synthetic targets of every family for the search's benchmarks (`search_coverage`,
//! `search_warm`): each family's settings and SLO drawn at random, the truth at a random
//! position between 15% and 85% of a 100× range in log space — never on a known answer.

use perf_core::parse_slos;
use perf_ml::search::synthetic::{Family, SyntheticTarget};
use perf_ml::search::{SearchParams, SearchReport, Strategy};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The range every search of these benchmarks covers, req/s.
pub const RANGE: (f64, f64) = (10.0, 1000.0);
/// Mean service time of every target, ms.
pub const SERVICE_MS: f64 = 10.0;
/// The searches' tolerance (±5%).
pub const TOLERANCE: f64 = 0.05;
/// The families drawn, by [`Family::name`].
pub const FAMILIES: [&str; 7] = [
    "shedding",
    "unbounded",
    "rate-limited",
    "timeout",
    "bursty-timeout",
    "pool",
    "tight-pool",
];

/// A target of `family` (its settings drawn from `rng`), its truth at a random position
/// of the range.
pub fn draw(family: &str, noise: f64, rng: &mut ChaCha8Rng, seed: u64) -> SyntheticTarget {
    let mut dispersion = 1.0;
    let (fam, k) = match family {
        // p95 limit twice to four times the queue cap: only shedding can break it.
        "shedding" => {
            let queue = rng.random_range(3.0..10.0);
            (
                Family::Shedding { queue },
                queue * rng.random_range(2.0..4.0),
            )
        }
        "unbounded" => (Family::Unbounded, rng.random_range(4.0..40.0)),
        "rate-limited" => (
            Family::RateLimited {
                burst_s: rng.random_range(0.0..3.0),
            },
            rng.random_range(6.0..20.0),
        ),
        "timeout" => (
            Family::Timeout {
                deadline: rng.random_range(10.0..60.0),
            },
            rng.random_range(4.0..40.0),
        ),
        // The same, with failures in bursts: 2 to 10 times a binomial count's variance,
        // as the bundled site's timeout family counted (BENCHMARKS.md).
        "bursty-timeout" => {
            let fam = Family::Timeout {
                deadline: rng.random_range(10.0..60.0),
            };
            let k = rng.random_range(4.0..40.0);
            dispersion = rng.random_range(2.0..10.0);
            (fam, k)
        }
        // 2 to 32 workers; p95 limits as the single queue's.
        "pool" => (
            Family::Pool {
                workers: rng.random_range(2..=32),
            },
            rng.random_range(4.0..40.0),
        ),
        // A small pool under an SLO close to its unloaded latency (p95 limit 1.3 to 2.7
        // times the unloaded p95 of 3 service times): the shape of the bundled site's
        // latency-only family and of many services with a tight latency target, where
        // the margin stays flat below the knee.
        "tight-pool" => (
            Family::Pool {
                workers: rng.random_range(2..=8),
            },
            rng.random_range(4.0..8.0),
        ),
        other => unreachable!("no family {other} in FAMILIES"),
    };
    let slos = parse_slos(&format!("p95<{}ms,error-rate<1%", k * SERVICE_MS)).expect("valid");
    let want = RANGE.0 * (RANGE.1 / RANGE.0).powf(rng.random_range(0.15..0.85));
    SyntheticTarget::at_boundary(want, SERVICE_MS, slos, fam)
        .noise(noise)
        .dispersion(dispersion)
        .seed(seed)
}

/// The first command-line argument as a count of trials per cell, `default` without
/// one; a bad one is one line on stderr and exit 2.
pub fn trials_arg(default: u64) -> u64 {
    match std::env::args().nth(1).map(|a| a.parse()) {
        None => default,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("error: trials per cell: expected a whole number above 0");
            std::process::exit(2);
        }
    }
}

/// Trial `i` of `search_coverage` (and `search_points`, which shows its points): the
/// target of `family` at `noise` drawn from a generator seeded 7,000 + `i`, searched by
/// `strategy` across [`RANGE`] with [`TOLERANCE`] and seed `i`; its true breaking point
/// and the report.
pub fn coverage_trial(family: &str, noise: f64, strategy: Strategy, i: u64) -> (f64, SearchReport) {
    let mut rng = ChaCha8Rng::seed_from_u64(7_000 + i);
    let mut target = draw(family, noise, &mut rng, i);
    let truth = target.boundary();
    let report = SearchParams::new(RANGE.0, RANGE.1)
        .tolerance(TOLERANCE)
        .strategy(strategy)
        .seed(i)
        .check()
        .expect("valid search")
        .run(&mut target)
        .expect("synthetic targets do not fail");
    (truth, report)
}
