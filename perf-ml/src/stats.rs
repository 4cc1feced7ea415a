//! Statistics shared by the models and the gate (nothing here imports the rest of the
//! crate): the tests behind the gate — Mann–Whitney U (exact for the few runs a gate compares),
//! a seeded percentile bootstrap of the relative change in the median, Fisher's exact
//! test (mid-p) for failure counts with Newcombe's interval of the difference, and
//! Holm's step-down adjustment across a family of comparisons.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::factorial::ln_binomial;

fn normal_sf(z: f64) -> f64 {
    let n = Normal::new(0.0, 1.0).expect("standard normal");
    1.0 - n.cdf(z)
}

/// The median of a non-empty sample (mean of the middle two for an even count).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// One-sided Mann–Whitney U test: the p-value of "`y` tends to be larger than `x`"
/// (normal approximation with tie and continuity corrections; both samples non-empty).
pub fn mann_whitney_greater(x: &[f64], y: &[f64]) -> f64 {
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let pooled: Vec<f64> = x.iter().chain(y).copied().collect();
    let rank_y: f64 = mid_ranks(pooled.clone())[x.len()..].iter().sum();
    // Tie correction: Σ (t³ − t) over the groups of equal values.
    let mut sorted = pooled;
    sorted.sort_by(f64::total_cmp);
    let ties: f64 = sorted
        .chunk_by(|a, b| a == b)
        .map(|g| {
            let t = g.len() as f64;
            t * t * t - t
        })
        .sum();
    let u_y = rank_y - n2 * (n2 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let nn = n1 + n2;
    let var = n1 * n2 / 12.0 * ((nn + 1.0) - ties / (nn * (nn - 1.0)));
    if var <= 0.0 {
        return 1.0; // every value equal: no evidence either way
    }
    normal_sf((u_y - mean - 0.5) / var.sqrt())
}

/// Above this many ways to split the pooled sample, [`mann_whitney_exact_greater`] uses
/// the normal approximation.
const EXACT_SPLITS: f64 = 200_000.0;

/// One-sided Mann–Whitney U test, exact: the p-value of "`y` tends to be larger than
/// `x`" from the permutation distribution of `y`'s rank sum over every way of splitting
/// the pooled values into groups of the two sizes (mid-ranks for ties, so ties are exact
/// too). With the few runs a gate compares (5 against 5: 252 splits) the normal
/// approximation is poor in the tail that decides; above `EXACT_SPLITS` (200,000) splits it is
/// used ([`mann_whitney_greater`]).
pub fn mann_whitney_exact_greater(x: &[f64], y: &[f64]) -> f64 {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    if ln_binomial((n1 + n2) as u64, n2 as u64).exp() > EXACT_SPLITS {
        return mann_whitney_greater(x, y);
    }
    let ranks = mid_ranks(x.iter().chain(y).copied().collect());
    // Twice the ranks are whole numbers; the observed sum and every split's in those units.
    let twice: Vec<u64> = ranks.iter().map(|r| (2.0 * r).round() as u64).collect();
    let observed: u64 = twice[n1..].iter().sum();
    let (mut at_least, mut total) = (0u64, 0u64);
    combinations(twice.len(), n2, &mut |idx: &[usize]| {
        total += 1;
        if idx.iter().map(|&i| twice[i]).sum::<u64>() >= observed {
            at_least += 1;
        }
    });
    at_least as f64 / total as f64
}

fn mid_ranks(v: Vec<f64>) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            ranks[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    ranks
}

/// Calls `f` with every `k`-subset of `0..n`, in lexicographic order.
fn combinations(n: usize, k: usize, f: &mut impl FnMut(&[usize])) {
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        f(&idx);
        let Some(i) = (0..k).rev().find(|&i| idx[i] != i + n - k) else {
            return;
        };
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

/// One-sided Fisher's exact test, mid-p: the p-value of "the second failure rate is
/// higher than the first" for `f0` failures of `n0` requests and `f1` of `n1`. Given the
/// total failures, the second group's count is hypergeometric; the mid-p counts half the
/// probability of the observed table (Lancaster), which keeps the test close to its
/// nominal level where the plain exact test is conservative.
pub fn fisher_mid_p_greater(f0: u64, n0: u64, f1: u64, n1: u64) -> f64 {
    let k = f0 + f1;
    if k == 0 || k == n0 + n1 {
        return 1.0; // no failures (or only failures) on both sides: no evidence
    }
    let denom = ln_binomial(n0 + n1, k);
    let pmf = |x: u64| {
        if x > n1 || k - x > n0 {
            0.0
        } else {
            (ln_binomial(n1, x) + ln_binomial(n0, k - x) - denom).exp()
        }
    };
    let upper: f64 = (f1 + 1..=k.min(n1)).map(pmf).sum();
    (upper + 0.5 * pmf(f1)).min(1.0)
}

/// The Wilson score interval of a proportion `p` of `n` trials at `level`.
pub fn wilson(p: f64, n: f64, level: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let z = z_of(level);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Newcombe's hybrid score interval (method 10) of the difference `f1/n1 − f0/n0` at
/// `level`, from the two Wilson intervals: it stays inside −1..1 and does not collapse
/// to a point when either side has no failures.
pub fn newcombe_difference(f0: u64, n0: u64, f1: u64, n1: u64, level: f64) -> (f64, f64) {
    let (p0, p1) = (f0 as f64 / n0 as f64, f1 as f64 / n1 as f64);
    let (l0, u0) = wilson(p0, n0 as f64, level);
    let (l1, u1) = wilson(p1, n1 as f64, level);
    let d = p1 - p0;
    (
        d - ((p1 - l1).powi(2) + (u0 - p0).powi(2)).sqrt(),
        d + ((u1 - p1).powi(2) + (p0 - l0).powi(2)).sqrt(),
    )
}

fn z_of(level: f64) -> f64 {
    Normal::new(0.0, 1.0)
        .expect("standard normal")
        .inverse_cdf(0.5 + level / 2.0)
}

/// Holm's step-down adjustment: each p-value multiplied by the number of hypotheses
/// not yet rejected at its rank, made monotone, capped at 1. Rejecting where the
/// adjusted p is below α keeps the chance of any false alarm in the family at most α,
/// whatever the dependence between the comparisons. NaN (not tested) stays NaN and
/// does not count.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = order.len();
    let mut out = vec![f64::NAN; p.len()];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

/// The relative change `median(y) / median(x) − 1` and its percentile-bootstrap
/// interval at `level` (such as 0.95), resampling each sample with replacement.
pub fn bootstrap_change(
    x: &[f64],
    y: &[f64],
    resamples: usize,
    level: f64,
    seed: u64,
) -> (f64, f64, f64) {
    let est = median(y) / median(x) - 1.0;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let draw = |s: &[f64], rng: &mut ChaCha8Rng| -> f64 {
        let r: Vec<f64> = (0..s.len())
            .map(|_| s[rng.random_range(0..s.len())])
            .collect();
        median(&r)
    };
    let mut changes: Vec<f64> = (0..resamples)
        .map(|_| {
            let bx = draw(x, &mut rng);
            let by = draw(y, &mut rng);
            by / bx - 1.0
        })
        .filter(|c| c.is_finite())
        .collect();
    if changes.is_empty() {
        return (est, est, est);
    }
    changes.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let i = (p * (changes.len() - 1) as f64).round() as usize;
        changes[i.min(changes.len() - 1)]
    };
    let tail = (1.0 - level) / 2.0;
    (est, q(tail), q(1.0 - tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mann_whitney_matches_a_hand_computed_case() {
        // x all below y: U_y = n1*n2 = 25, mean 12.5, var 25*11/12 → z = (25-12.5-0.5)/4.787
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [6.0, 7.0, 8.0, 9.0, 10.0];
        let p = mann_whitney_greater(&x, &y);
        assert!((p - normal_sf(12.0 / (25.0f64 * 11.0 / 12.0).sqrt())).abs() < 1e-12);
        assert!(p < 0.01);
        assert!(mann_whitney_greater(&y, &x) > 0.99);
        assert_eq!(mann_whitney_greater(&[3.0; 4], &[3.0; 6]), 1.0);
    }

    #[test]
    fn mann_whitney_is_uniform_under_the_null() {
        // 400 seeded draws of two samples from one distribution: about 5% below 0.05.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let alarms = (0..400)
            .filter(|_| {
                let x: Vec<f64> = (0..12).map(|_| rng.random::<f64>()).collect();
                let y: Vec<f64> = (0..12).map(|_| rng.random::<f64>()).collect();
                mann_whitney_greater(&x, &y) < 0.05
            })
            .count();
        assert!((8..=36).contains(&alarms), "{alarms} of 400");
    }

    #[test]
    fn bootstrap_interval_covers_the_change_and_is_seeded() {
        let x: Vec<f64> = (0..15).map(|i| 100.0 + (i % 5) as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| v * 1.2).collect();
        let (est, lo, hi) = bootstrap_change(&x, &y, 2000, 0.95, 3);
        assert!((est - 0.2).abs() < 1e-9);
        assert!(lo <= est && est <= hi && lo > 0.1 && hi < 0.3, "{lo} {hi}");
        assert_eq!(
            bootstrap_change(&x, &y, 500, 0.95, 3),
            bootstrap_change(&x, &y, 500, 0.95, 3)
        );
    }

    #[test]
    fn the_exact_mann_whitney_matches_its_permutation_distribution() {
        // Five against five, y all above x: one split of 252 is as extreme.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [6.0, 7.0, 8.0, 9.0, 10.0];
        assert!((mann_whitney_exact_greater(&x, &y) - 1.0 / 252.0).abs() < 1e-12);
        assert_eq!(mann_whitney_exact_greater(&y, &x), 1.0);
        // Three against three, y's ranks 6, 5, 3 (sum 14): sums ≥ 14 are {4,5,6}=15,
        // {3,5,6}=14 → 2 of 20.
        let p = mann_whitney_exact_greater(&[1.0, 2.0, 4.0], &[3.0, 5.0, 6.0]);
        assert!((p - 2.0 / 20.0).abs() < 1e-12, "{p}");
        // Every value tied: every split has the same sum.
        assert_eq!(mann_whitney_exact_greater(&[3.0; 4], &[3.0; 5]), 1.0);
        assert_eq!(mann_whitney_exact_greater(&[], &[1.0]), 1.0);
    }

    #[test]
    fn the_exact_mann_whitney_keeps_its_level_under_the_null() {
        // 20,000 seeded pairs of five runs from one distribution. The exact test's
        // attainable levels are discrete: p < 0.05 is 12 of the 252 splits, 4.76%
        // (951 expected, sd 30; the bounds are 4 sd).
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let alarms = (0..20000)
            .filter(|_| {
                let x: Vec<f64> = (0..5).map(|_| rng.random::<f64>()).collect();
                let y: Vec<f64> = (0..5).map(|_| rng.random::<f64>()).collect();
                mann_whitney_exact_greater(&x, &y) < 0.05
            })
            .count();
        assert!((830..=1072).contains(&alarms), "{alarms} of 20000");
    }

    #[test]
    fn fisher_mid_p_matches_hand_computed_tables() {
        // 0/120 against 6/120: the one-sided exact p is C(120,6)/C(240,6) = 0.0146;
        // the mid-p is half of it (no more extreme table).
        let exact = (ln_binomial(120, 6) - ln_binomial(240, 6)).exp();
        assert!((exact - 0.0146).abs() < 5e-4, "{exact}");
        assert!((fisher_mid_p_greater(0, 120, 6, 120) - exact / 2.0).abs() < 1e-12);
        assert_eq!(fisher_mid_p_greater(0, 1000, 0, 1000), 1.0);
        assert!(fisher_mid_p_greater(20, 1000, 21, 1000) > 0.3);
        assert!(fisher_mid_p_greater(20, 1000, 0, 1000) > 0.99);
        assert!(fisher_mid_p_greater(0, 5000, 40, 5000) < 1e-9);
    }

    #[test]
    fn newcombe_interval_brackets_the_difference_and_never_collapses() {
        let (lo, hi) = newcombe_difference(0, 120, 0, 120, 0.95);
        assert!(lo < 0.0 && hi > 0.0, "{lo} {hi}");
        let (lo, hi) = newcombe_difference(0, 120, 6, 120, 0.95);
        assert!(lo > 0.0 && lo < 0.05 && hi > 0.05 && hi < 0.12, "{lo} {hi}");
        // Newcombe (1998), table II example: 56/70 − 48/80 → 0.0524 .. 0.3339.
        let (lo, hi) = newcombe_difference(48, 80, 56, 70, 0.95);
        assert!(
            (lo - 0.0524).abs() < 1e-3 && (hi - 0.3339).abs() < 1e-3,
            "{lo} {hi}"
        );
    }

    #[test]
    fn holm_adjusts_step_down_and_skips_untested_rows() {
        let adj = holm(&[0.01, 0.04, f64::NAN, 0.03, 0.5]);
        // Sorted 0.01, 0.03, 0.04, 0.5 with m = 4: 0.04, 0.09, 0.09 (monotone), 0.5.
        let want = [0.04, 0.09, f64::NAN, 0.09, 0.5];
        for (a, w) in adj.iter().zip(want) {
            assert!(a.is_nan() && w.is_nan() || (a - w).abs() < 1e-12, "{adj:?}");
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
