//! Drift between runs: is this run's latency distribution still the one the history
//! (and the latency model trained on it) describes? Two measures per endpoint and load
//! point, on the per-second latency values:
//!
//! - the two-sample **Kolmogorov–Smirnov** statistic `D` with its asymptotic p-value;
//! - the **population stability index** over the history's deciles,
//!   `Σ (aᵢ − eᵢ) ln(aᵢ / eᵢ)` (below 0.1 stable, above 0.25 a shift, by convention).
//!
//! [`DriftParams::judge`] calls it drift when both agree: KS p below `alpha` and PSI
//! above `psi_limit`.

use serde::{Deserialize, Serialize};

/// Thresholds of the drift verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftParams {
    /// KS significance level.
    pub alpha: f64,
    /// PSI above this is a shift.
    pub psi_limit: f64,
    /// Fewest values on each side.
    pub min_samples: usize,
}

impl Default for DriftParams {
    fn default() -> Self {
        Self {
            alpha: 0.01,
            psi_limit: 0.25,
            min_samples: 8,
        }
    }
}

/// One endpoint's comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// What was compared (`point 0 (open 100 req/s ...), GET /api/items, p50`).
    pub what: String,
    /// KS statistic.
    pub ks_d: f64,
    /// Its p-value.
    pub ks_p: f64,
    /// Population stability index.
    pub psi: f64,
    /// Median of the history and of this run (same unit as the values).
    pub medians: (f64, f64),
    /// Whether both tests call it drift.
    pub drifted: bool,
}

/// The two-sample KS statistic and its asymptotic p-value (Numerical Recipes' `probks`
/// with the small-sample correction of the effective size).
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut x = a.to_vec();
    let mut y = b.to_vec();
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (n, m) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < x.len() && j < y.len() {
        let v = x[i].min(y[j]);
        while i < x.len() && x[i] <= v {
            i += 1;
        }
        while j < y.len() && y[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let en = (n * m / (n + m)).sqrt();
    let lambda = (en + 0.12 + 0.11 / en) * d;
    (d, kolmogorov_q(lambda))
}

/// `Q_KS(λ) = 2 Σ (−1)^{j−1} e^{−2 j² λ²}`.
fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 1e-3 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    for j in 1..=100 {
        let term = sign * 2.0 * (-2.0 * (j * j) as f64 * lambda * lambda).exp();
        sum += term;
        if term.abs() < 1e-10 {
            return sum.clamp(0.0, 1.0);
        }
        sign = -sign;
    }
    1.0
}

/// Population stability index of `actual` against `expected`, over `expected`'s deciles.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    let mut e = expected.to_vec();
    e.sort_by(f64::total_cmp);
    let edges: Vec<f64> = (1..10)
        .map(|k| e[(k * e.len() / 10).min(e.len() - 1)])
        .collect();
    let share = |v: &[f64]| -> Vec<f64> {
        let mut c = [0usize; 10];
        for x in v {
            c[edges.iter().take_while(|edge| x >= *edge).count()] += 1;
        }
        c.iter()
            .map(|k| (*k as f64 / v.len() as f64).max(1e-4))
            .collect()
    };
    let (pe, pa) = (share(expected), share(actual));
    pe.iter()
        .zip(&pa)
        .map(|(e, a)| (a - e) * (a / e).ln())
        .sum()
}

impl DriftParams {
    /// Compares `current` with `history`; `None` with too few values on either side.
    pub fn judge(&self, what: String, history: &[f64], current: &[f64]) -> Option<Drift> {
        if history.len() < self.min_samples || current.len() < self.min_samples {
            return None;
        }
        let (ks_d, ks_p) = ks_two_sample(history, current);
        let psi = psi(history, current);
        Some(Drift {
            what,
            ks_d,
            ks_p,
            psi,
            medians: (
                crate::gate::stats::median(history),
                crate::gate::stats::median(current),
            ),
            drifted: ks_p < self.alpha && psi > self.psi_limit,
        })
    }
}

#[cfg(test)]
pub(crate) fn kolmogorov_q_for_test(lambda: f64) -> f64 {
    kolmogorov_q(lambda)
}
