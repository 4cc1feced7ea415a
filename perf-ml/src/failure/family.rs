//! The parametric failure curves and their binomial likelihood on each point's counts.
//!
//! - logistic in log load: `p = σ(b₀ + b·z)`, z the standardized log load and parameters;
//! - shedding: `p = ε + (1 − ε)·s(1 − c/λ)`, s a softplus of width w smoothing
//!   `max(0, ·)` at the kink, `ln c` linear in the standardized parameters — a server
//!   that serves c requests per second and refuses the rest, plus a floor ε of failures
//!   at any load.
//!
//! Each family maps a free vector θ (what Nelder–Mead moves) to a [`FailureModel`], and
//! solves the one coordinate that pins the curve through `p` at a load (for profiles).

use crate::data::Point;
use crate::failure::{z, FailureModel};
use crate::nm::minimize;

/// Narrowest and widest kink of the shedding curve, as fractions of `1 − c/λ`.
pub const WIDTH: (f64, f64) = (1e-3, 0.3);

/// A family of failure curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Logistic in log load.
    Logistic,
    /// Shedding above a capacity.
    Shedding,
}

impl Family {
    /// The name used in model files and summaries.
    pub fn name(self) -> &'static str {
        match self {
            Self::Logistic => "logistic",
            Self::Shedding => "shedding",
        }
    }
}

/// Means and standard deviations of the standardized inputs.
#[derive(Debug, Clone)]
pub struct Scale {
    /// Of log load then each parameter.
    pub mean: Vec<f64>,
    /// Same order.
    pub std: Vec<f64>,
}

impl Scale {
    /// From the points (unweighted: each point is one load setting).
    pub fn of(points: &[Point]) -> Self {
        let rows: Vec<Vec<f64>> = points
            .iter()
            .map(|p| {
                let mut f = vec![p.load.max(1e-9).ln()];
                f.extend_from_slice(&p.params);
                f
            })
            .collect();
        let n = rows.len().max(1) as f64;
        let d = rows.first().map_or(1, Vec::len);
        let mean: Vec<f64> = (0..d)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        let std = (0..d)
            .map(|j| {
                let v = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
                if v.sqrt() > 1e-12 {
                    v.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        Self { mean, std }
    }

    fn params_only(&self) -> (Vec<f64>, Vec<f64>) {
        (self.mean[1..].to_vec(), self.std[1..].to_vec())
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// `w·ln(1 + e^(u/w))`, a smooth `max(0, u)`.
pub fn softplus(u: f64, w: f64) -> f64 {
    let t = u / w;
    if t > 30.0 {
        u
    } else {
        w * t.exp().ln_1p()
    }
}

impl Family {
    /// Length of θ for `d` scenario parameters.
    pub fn dim(self, d: usize) -> usize {
        match self {
            Self::Logistic => 2 + d,
            Self::Shedding => 3 + d,
        }
    }

    /// The curve θ describes.
    pub fn model(self, theta: &[f64], scale: &Scale) -> FailureModel {
        match self {
            Self::Logistic => FailureModel::Logistic {
                intercept: theta[0],
                weights: theta[1..].to_vec(),
                mean: scale.mean.clone(),
                std: scale.std.clone(),
            },
            Self::Shedding => {
                let (mean, std) = scale.params_only();
                FailureModel::Shedding {
                    floor: sigmoid(theta[0]),
                    width: WIDTH.0 + (WIDTH.1 - WIDTH.0) * sigmoid(theta[1]),
                    ln_capacity: theta[2],
                    weights: theta[3..].to_vec(),
                    mean,
                    std,
                }
            }
        }
    }

    /// Index of the coordinate [`Family::pin`] solves for.
    pub fn pinned(self) -> usize {
        match self {
            Self::Logistic => 0,
            Self::Shedding => 2,
        }
    }

    /// Sets θ's pinned coordinate so that the curve passes through failure probability
    /// `p` at `load` with parameters `x`; false when no value does.
    pub fn pin(self, theta: &mut [f64], p: f64, load: f64, x: &[f64], scale: &Scale) -> bool {
        match self {
            Self::Logistic => {
                let z = theta[1] * (load.ln() - scale.mean[0]) / scale.std[0]
                    + z(&theta[2..], x, &scale.mean[1..], &scale.std[1..]);
                theta[0] = logit(p) - z;
                true
            }
            Self::Shedding => {
                let FailureModel::Shedding { floor, width, .. } = self.model(theta, scale) else {
                    unreachable!("shedding family")
                };
                let s = (p - floor) / (1.0 - floor);
                if !(s > 0.0 && s < 1.0) {
                    return false;
                }
                // softplus(u, w) = s  ⇔  u = w·ln(e^(s/w) − 1).
                let t = s / width;
                let u = if t > 30.0 { s } else { width * t.exp_m1().ln() };
                if u >= 1.0 {
                    return false;
                }
                let c = load * (1.0 - u);
                theta[2] = c.ln() - z(&theta[3..], x, &scale.mean[1..], &scale.std[1..]);
                true
            }
        }
    }

    /// Starting points for the maximum-likelihood search.
    fn starts(self, points: &[Point]) -> Vec<Vec<f64>> {
        let d = points.first().map_or(0, |p| p.params.len());
        let (n, k) = totals(points);
        let pbar = ((k as f64 + 0.5) / (n as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
        match self {
            Self::Logistic => [0.0, 2.0, 6.0]
                .iter()
                .map(|s| {
                    let mut t = vec![logit(pbar), *s];
                    t.extend(std::iter::repeat_n(0.0, d));
                    t
                })
                .collect(),
            Self::Shedding => {
                let rate = |p: &Point| p.failures as f64 / p.requests.max(1) as f64;
                let low = points.iter().map(rate).fold(1.0, f64::min);
                let floor = logit(low.clamp(1e-7, 0.5));
                let mut caps: Vec<f64> = points
                    .iter()
                    .filter(|p| rate(p) > low + 0.02)
                    .map(|p| p.load * (1.0 - rate(p)))
                    .collect();
                caps.sort_by(f64::total_cmp);
                let top = points.iter().map(|p| p.load).fold(0.0, f64::max);
                let c0 = caps.get(caps.len() / 2).copied().unwrap_or(2.0 * top);
                [c0, 0.5 * c0 + 0.5 * top, 2.0 * top]
                    .iter()
                    .map(|c| {
                        let mut t = vec![floor, logit(0.02), c.max(1e-6).ln()];
                        t.extend(std::iter::repeat_n(0.0, d));
                        t
                    })
                    .collect()
            }
        }
    }

    /// Maximum likelihood: θ and the log-likelihood.
    pub fn mle(self, points: &[Point], scale: &Scale) -> (Vec<f64>, f64) {
        let nll = |t: &[f64]| -log_lik(&self.model(t, scale), points);
        self.starts(points)
            .iter()
            .map(|t0| minimize(nll, t0))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(t, v)| (t, -v))
            .expect("at least one start")
    }
}

/// Requests and failures over all points.
pub fn totals(points: &[Point]) -> (u64, u64) {
    points
        .iter()
        .fold((0, 0), |(n, k), p| (n + p.requests, k + p.failures))
}

/// Binomial log-likelihood of the points' counts under a curve.
pub fn log_lik(m: &FailureModel, points: &[Point]) -> f64 {
    points
        .iter()
        .map(|p| {
            let q = m.probability(p.load, &p.params).clamp(1e-12, 1.0 - 1e-12);
            let (n, k) = (p.requests as f64, p.failures as f64);
            k * q.ln() + (n - k) * (1.0 - q).ln()
        })
        .sum()
}

/// Pearson dispersion `χ² / (points − parameters)`, at least 1 (1 when there are no
/// spare degrees of freedom): how much more the points scatter than binomial noise.
pub fn dispersion(m: &FailureModel, points: &[Point], parameters: usize) -> f64 {
    if points.len() <= parameters {
        return 1.0;
    }
    let chi2: f64 = points
        .iter()
        .filter(|p| p.requests > 0)
        .map(|p| {
            let n = p.requests as f64;
            let q = m
                .probability(p.load, &p.params)
                .clamp(0.5 / n, 1.0 - 0.5 / n);
            (p.failures as f64 - n * q).powi(2) / (n * q * (1.0 - q))
        })
        .sum();
    (chi2 / (points.len() - parameters) as f64).max(1.0)
}
