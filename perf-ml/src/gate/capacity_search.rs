//! The breaking-point gate's two searches and its verdict, the same for a real target
//! (`perf-scenarios gate --breaking-point`) and a synthetic one (tests, `benches`'
//! `gate_capacity`).
//!
//! - [`baseline_search`]: a cold GP search over the user's range, tighter than a
//!   search's default (±2%, at most 20 points) since it runs once; its breaking point is
//!   the baseline, refused when its interval alone spans more than the threshold
//!   ([`Capacity::spans_more_than`]: a gate on it could never fail).
//! - [`gate_search`]: warm-started from the baseline ([`crate::search::Prior`]) over half
//!   to twice its breaking point, ±3%, at most 8 points: just below the baseline's
//!   breaking point, then just above it, stepping further out only when the target
//!   disagrees.
//! - [`verdict`]: what the warm search found ([`Searched`]) against the baseline.
//!
//! ```
//! use perf_ml::gate::capacity::{Capacity, CapacityVerdict, Searched};
//! use perf_ml::gate::capacity_search::{baseline_search, gate_search, verdict};
//! use perf_ml::search::synthetic::SyntheticTarget;
//!
//! let slos = perf_core::parse_slos("p95<100ms,error-rate<1%").unwrap();
//! let target = |seed, factor| {
//!     SyntheticTarget::new(300.0, 10.0, slos.clone()).noise(0.05).seed(seed).moved(factor)
//! };
//! let cold = baseline_search(20.0, 2000.0, 1).check()?.run(&mut target(1, 1.0))?;
//! let Searched::Found(base) = Searched::of(&cold) else { panic!("{cold}") };
//! let warm = gate_search(&base, "baseline.json", 2).check()?;
//! let slower = warm.run(&mut target(2, 0.8))?;
//! let f = verdict(&base, Searched::of(&slower), 0.05, 0.05).unwrap();
//! assert_eq!(f.verdict, CapacityVerdict::Regressed);
//! # Ok::<(), perf_ml::search::SearchError>(())
//! ```

use super::capacity::{judge, judge_bracket, Capacity, CapacityFinding, CapacityVerdict, Searched};
use crate::search::{Prior, SearchParams, Strategy};

/// The baseline's cold search: ±2%.
pub const BASELINE_TOLERANCE: f64 = 0.02;
/// The baseline's cold search: at most this many points.
pub const BASELINE_RUNS: usize = 20;
/// The gate's warm search: ±3%.
pub const GATE_TOLERANCE: f64 = 0.03;
/// The gate's warm search: at most this many points.
pub const GATE_RUNS: usize = 8;

/// The baseline's cold search over `lo..hi` req/s.
pub fn baseline_search(lo: f64, hi: f64, seed: u64) -> SearchParams {
    SearchParams::new(lo, hi)
        .strategy(Strategy::Gp)
        .tolerance(BASELINE_TOLERANCE)
        .max_runs(BASELINE_RUNS)
        .seed(seed)
}

/// The gate's search, warm-started from the baseline's breaking point `base` (read from
/// `source`, named in the search's report).
pub fn gate_search(base: &Capacity, source: &str, seed: u64) -> SearchParams {
    SearchParams::new(base.estimate / 2.0, base.estimate * 2.0)
        .strategy(Strategy::Gp)
        .tolerance(GATE_TOLERANCE)
        .max_runs(GATE_RUNS)
        .seed(seed)
        .prior(Prior {
            source: source.to_string(),
            points: Vec::new(),
            estimate: Some(base.estimate),
            interval: Some(base.interval),
        })
}

/// The gate's verdict on what its search found: a posterior breaking point by the z test
/// ([`judge`]), a pass/fail bracket by its measured ends ([`judge_bracket`]), a target
/// holding up to twice the baseline passes, one already failing at half of it fails
/// (p = 0). `Err` says why nothing can be judged (an interrupted search, the generator's
/// limit, no interval).
pub fn verdict(
    base: &Capacity,
    searched: Searched,
    threshold: f64,
    alpha: f64,
) -> Result<CapacityFinding, &'static str> {
    Ok(match searched {
        Searched::Found(now) => judge(base, Some(&now), threshold, alpha),
        Searched::Bracket(pass, fail) => judge_bracket(base, (pass, fail), threshold),
        Searched::Above(_) => judge(base, None, threshold, alpha),
        Searched::Below(_) => CapacityFinding {
            verdict: CapacityVerdict::Regressed,
            p_value: 0.0,
            ..judge(base, None, threshold, alpha)
        },
        Searched::Unjudged(why) => return Err(why),
    })
}

/// The gate's method in words, for `gate.json` and the console: the test its finding
/// used (`bracket`: a pass/fail bracket, else the z test on the posterior intervals) at
/// `threshold` and `alpha`, and the search over `range`.
pub fn method(bracket: bool, threshold: f64, alpha: f64, range: (f64, f64)) -> String {
    let test = if bracket {
        format!(
            "the search ended in a pass/fail bracket (no posterior): regressed only if its failure was measured below {:.1}% under the baseline's breaking point",
            threshold * 100.0
        )
    } else {
        format!(
            "the breaking point's posterior intervals read as normal in log-load; one-sided z test of a drop beyond {:.1}% at alpha {alpha}",
            threshold * 100.0
        )
    };
    format!(
        "{test}; the gate's search warm-started from the baseline's breaking point over {:.1}..{:.1} req/s (±{:.0}%, at most {GATE_RUNS} runs)",
        range.0,
        range.1,
        GATE_TOLERANCE * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::synthetic::{Family, SyntheticTarget};
    use perf_core::parse_slos;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// What the gate did on one family: baselines refused as too wide, false alarms on
    /// the unchanged target, detections of a 15% lower capacity, of `n` trials.
    #[derive(Debug, Default)]
    struct Tally {
        n: usize,
        refused: usize,
        false_alarms: usize,
        detections: usize,
    }

    /// The gate on a target of each family, its truth at a random place of a 100× range
    /// (never a known answer), 3-s points with noise 0.1: a cold baseline search, then
    /// a warm gate on the same target measured again and on the target with 15% less
    /// capacity. (`cargo run --release -p benches --bin gate_capacity` prints the table
    /// for every noise level.)
    #[test]
    fn the_breaking_point_gate_holds_on_every_family() {
        for family in Family::EXAMPLES {
            let mut t = Tally::default();
            for i in 0..10u64 {
                let mut rng = ChaCha8Rng::seed_from_u64(900 + i);
                let want = 10.0 * 100f64.powf(rng.random_range(0.15..0.85));
                let slos = parse_slos("p95<150ms,error-rate<1%").unwrap();
                let make = |seed: u64, factor: f64| {
                    SyntheticTarget::at_boundary(want, 10.0, slos.clone(), family)
                        .point_secs(3.0)
                        .noise(0.1)
                        .seed(seed)
                        .moved(factor)
                };
                t.n += 1;
                let cold = baseline_search(10.0, 1000.0, i)
                    .check()
                    .unwrap()
                    .run(&mut make(i, 1.0))
                    .unwrap();
                let base = match Searched::of(&cold) {
                    Searched::Found(b) if !b.spans_more_than(0.05) => b,
                    _ => {
                        t.refused += 1;
                        continue;
                    }
                };
                let gate = gate_search(&base, "baseline", i).check().unwrap();
                for (factor, seed) in [(1.0, 1000 + i), (0.85, 2000 + i)] {
                    let r = gate.run(&mut make(seed, factor)).unwrap();
                    let failed = verdict(&base, Searched::of(&r), 0.05, 0.05)
                        .is_ok_and(|f| f.verdict == CapacityVerdict::Regressed);
                    if factor == 1.0 {
                        t.false_alarms += usize::from(failed);
                    } else {
                        t.detections += usize::from(failed);
                    }
                }
            }
            eprintln!("{}: {t:?}", family.name());
            // Refused baselines are the honest answer where 3-s points hold too few
            // requests to resolve the SLO (the low rates of the range): bounded here so
            // that a search which stopped resolving anything shows.
            let judged = t.n - t.refused;
            assert!(t.refused <= 6, "{}: {t:?}", family.name());
            assert!(t.false_alarms <= 1, "{}: {t:?}", family.name());
            assert!(t.detections + 1 >= judged, "{}: {t:?}", family.name());
        }
    }

    #[test]
    fn a_search_that_cannot_be_judged_says_why() {
        let base = Capacity {
            estimate: 800.0,
            interval: (790.0, 810.0),
            confidence: 0.9,
        };
        assert!(
            verdict(&base, Searched::Unjudged("interrupted"), 0.05, 0.05)
                .is_err_and(|why| why == "interrupted")
        );
        let f = verdict(&base, Searched::Below(400.0), 0.05, 0.05).unwrap();
        assert_eq!((f.verdict, f.p_value), (CapacityVerdict::Regressed, 0.0));
        let f = verdict(&base, Searched::Above(1600.0), 0.05, 0.05).unwrap();
        assert_eq!(f.verdict, CapacityVerdict::NoChange);
        assert!(!base.spans_more_than(0.05) && base.spans_more_than(0.02));
    }
}
