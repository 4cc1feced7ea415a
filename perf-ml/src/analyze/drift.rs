//! Drift between runs: is this run's latency still the one the history (and the latency
//! model trained on it) describes?
//!
//! The sampling unit is a **run**: the seconds inside one run are correlated (a busy
//! stretch of the machine lasts several of them), so a test on per-second values finds
//! "drift" between two runs of an unchanged target. Per endpoint and load point, each
//! history run gives one value, its median latency of successful requests at that point
//! (`p50_us`), and this run gives one more. Under no change the new value is one more
//! draw from the history's distribution, so
//!
//! `t = (x − m) / (s · √(1 + 1/n))` follows Student's t with `n − 1` degrees of freedom
//!
//! (`m`, `s` the history's mean and standard deviation over its `n` runs: a prediction
//! interval). `s` is floored at [`DriftParams::rel_floor`] of `m`, because three to five
//! runs that happened to agree would otherwise make any change significant. A report
//! makes many comparisons (endpoints × points): each is judged at `alpha / comparisons`
//! (Bonferroni), so `alpha` is the report's false-alarm rate, not each row's. Fewer than
//! [`DriftParams::min_history`] history runs is "not enough history", not a verdict.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Thresholds of the drift verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftParams {
    /// Chance that a report with no change flags anything (family-wise).
    pub alpha: f64,
    /// Fewest history runs for a verdict.
    pub min_history: usize,
    /// Least run-to-run spread assumed, as a fraction of the history's mean.
    pub rel_floor: f64,
}

impl Default for DriftParams {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            min_history: 3,
            rel_floor: 0.02,
        }
    }
}

/// One endpoint at one load point, against the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// What was compared (`GET /api/items at 100 req/s, size=1024`).
    pub what: String,
    /// The history's values, one per run (µs).
    pub history: Vec<f64>,
    /// This run's value (µs).
    pub current: f64,
    /// Change against the history's mean, a fraction (+0.2 = 20% slower).
    pub change: f64,
    /// The prediction-interval t statistic.
    pub t: f64,
    /// Its two-sided p-value.
    pub p: f64,
    /// The p-value a row must fall below: `alpha / comparisons`.
    pub p_limit: f64,
    /// Whether it drifted.
    pub drifted: bool,
}

impl DriftParams {
    /// Judges `current` against one value per history run, as one of `comparisons`
    /// made in the same report. `None` with fewer than `min_history` runs.
    pub fn judge(
        &self,
        what: String,
        history: &[f64],
        current: f64,
        comparisons: usize,
    ) -> Option<Drift> {
        let n = history.len();
        if n < self.min_history.max(2) {
            return None;
        }
        let nf = n as f64;
        let m = history.iter().sum::<f64>() / nf;
        let var = history.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (nf - 1.0);
        let s = var
            .sqrt()
            .max(self.rel_floor * m.abs())
            .max(f64::MIN_POSITIVE);
        let t = (current - m) / (s * (1.0 + 1.0 / nf).sqrt());
        let dist = StudentsT::new(0.0, 1.0, nf - 1.0).expect("n ≥ 2");
        let p = (2.0 * (1.0 - dist.cdf(t.abs()))).clamp(0.0, 1.0);
        let p_limit = self.alpha / comparisons.max(1) as f64;
        Some(Drift {
            what,
            history: history.to_vec(),
            current,
            change: if m > 0.0 { current / m - 1.0 } else { 0.0 },
            t,
            p,
            p_limit,
            drifted: p < p_limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn too_little_history_is_no_verdict() {
        let j = DriftParams::default();
        assert!(j.judge("x".into(), &[10.0, 11.0], 30.0, 1).is_none());
        assert!(j.judge("x".into(), &[10.0, 11.0, 10.5], 30.0, 1).is_some());
    }

    #[test]
    fn a_shift_is_found_and_noise_is_not_at_the_stated_rate() {
        // Runs whose medians vary by 2% around 10 ms; 8 comparisons per report.
        let j = DriftParams::default();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut draw = |f: f64| 10_000.0 * f * (1.0 + 0.02 * (rng.random::<f64>() - 0.5) * 3.46);
        let (mut alarms, mut found) = (0, 0);
        for _ in 0..500 {
            let history: Vec<f64> = (0..5).map(|_| draw(1.0)).collect();
            let quiet =
                (0..8).any(|_| j.judge("x".into(), &history, draw(1.0), 8).unwrap().drifted);
            alarms += usize::from(quiet);
            found += usize::from(j.judge("x".into(), &history, draw(1.2), 8).unwrap().drifted);
        }
        // The family-wise rate is at most alpha = 5% (the floor makes it smaller).
        assert!(alarms <= 25, "{alarms} of 500 unchanged reports flagged");
        assert!(found >= 475, "{found} of 500 shifts of +20% found");
    }

    #[test]
    fn the_prediction_interval_matches_a_hand_computation() {
        // History 100, 101, 99: m = 100, s = 1 → floored at 2; t = 6 / (2 · √(4/3)).
        let d = DriftParams::default()
            .judge("x".into(), &[100.0, 101.0, 99.0], 106.0, 1)
            .unwrap();
        assert!((d.t - 6.0 / (2.0 * (4.0f64 / 3.0).sqrt())).abs() < 1e-12);
        // t = 2.598 with 2 degrees of freedom: two-sided p = 0.1217.
        assert!((d.p - 0.1217).abs() < 1e-3, "{}", d.p);
        assert!(!d.drifted && (d.change - 0.06).abs() < 1e-12);
    }
}
