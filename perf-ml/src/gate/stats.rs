//! The tests behind the gate: Mann–Whitney U, a seeded percentile bootstrap of the
//! relative change in the median, and the two-proportion z-test.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, Normal};

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
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|v| (*v, false))
        .chain(y.iter().map(|v| (*v, true)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    let (mut rank_y, mut ties) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        rank_y += all[i..=j].iter().filter(|(_, is_y)| *is_y).count() as f64 * avg;
        i = j + 1;
    }
    let u_y = rank_y - n2 * (n2 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let nn = n1 + n2;
    let var = n1 * n2 / 12.0 * ((nn + 1.0) - ties / (nn * (nn - 1.0)));
    if var <= 0.0 {
        return 1.0; // every value equal: no evidence either way
    }
    normal_sf((u_y - mean - 0.5) / var.sqrt())
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

/// One-sided two-proportion z-test (pooled): the p-value of "the second rate is higher
/// than the first", for `f0` failures of `n0` and `f1` of `n1` (both counts above 0).
pub fn proportion_greater(f0: u64, n0: u64, f1: u64, n1: u64) -> f64 {
    let (p0, p1) = (f0 as f64 / n0 as f64, f1 as f64 / n1 as f64);
    let pooled = (f0 + f1) as f64 / (n0 + n1) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n0 as f64 + 1.0 / n1 as f64)).sqrt();
    if se == 0.0 {
        return 1.0; // no failures (or only failures) on both sides
    }
    normal_sf((p1 - p0) / se)
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
    fn proportions() {
        assert_eq!(proportion_greater(0, 1000, 0, 1000), 1.0);
        assert!(proportion_greater(0, 1000, 20, 1000) < 1e-4);
        assert!(proportion_greater(20, 1000, 21, 1000) > 0.3);
        assert!(proportion_greater(20, 1000, 0, 1000) > 0.99);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
