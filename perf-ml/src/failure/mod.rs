//! The failure model: the probability that a request fails, given load and scenario
//! parameters, fitted by maximum binomial likelihood on each point's counts (failures
//! out of requests) — no sampled pseudo-rows.
//!
//! Candidates ([`family::Family`]): the logistic curve in log load, and the shedding
//! curve `ε + (1 − ε)·max(0, 1 − c/λ)` (smoothed at the kink) of a server that serves
//! `c` requests per second and refuses the rest. [`fit`] scores each by the held-out
//! log-likelihood of the same grouped cross-validation as the latency models and keeps
//! the best ([`FailureFit`]). A sweep without failures is a [`FailureModel::Constant`]
//! with the rule-of-three upper bound, never an error. The loads at which failures reach
//! a level come with profile-likelihood intervals ([`FailureFit::load_interval`]),
//! widened by the points' Pearson dispersion when they scatter more than binomial noise.
//!
//! ```
//! use perf_ml::data::Point;
//! use perf_ml::failure::fit;
//!
//! // A server refusing what exceeds 400 req/s.
//! let pts: Vec<Point> = [100.0, 200.0, 300.0, 500.0, 600.0]
//!     .iter()
//!     .map(|&load: &f64| {
//!         let requests = (load * 10.0) as u64;
//!         let failures = (requests as f64 * (1.0 - 400.0 / load).max(0.0)).round() as u64;
//!         Point { load, goodput: load, params: vec![], latency: [1.0; 3], requests, failures }
//!     })
//!     .collect();
//! let f = fit(&pts)?;
//! assert_eq!(f.family, "shedding");
//! let half = f.model.load_at(0.5, &[], 10.0, 10_000.0).unwrap();
//! assert!((half - 800.0).abs() < 8.0, "{half}");
//! # Ok::<(), perf_ml::MlError>(())
//! ```

pub mod family;
mod profile;

use serde::{Deserialize, Serialize};

use crate::cv::splits;
pub use crate::data::LoadInterval;
use crate::data::Point;
use crate::MlError;
use family::{dispersion, log_lik, softplus, totals, Family, Scale};

/// A fitted failure curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureModel {
    /// `p = 1 / (1 + exp(−(b + w·z)))`, z the standardized log load and parameters.
    Logistic {
        /// Intercept.
        intercept: f64,
        /// Weights of log load, then of each parameter.
        weights: Vec<f64>,
        /// Feature means.
        mean: Vec<f64>,
        /// Feature standard deviations.
        std: Vec<f64>,
    },
    /// `p = ε + (1 − ε)·softplus_w(1 − c/λ)`, `ln c = ln_capacity + weights·z`, z the
    /// standardized parameters.
    Shedding {
        /// ε, the failures at any load.
        floor: f64,
        /// w, the softplus width smoothing the kink at c.
        width: f64,
        /// ln c at the parameters' means.
        ln_capacity: f64,
        /// Weights of each parameter on ln c.
        weights: Vec<f64>,
        /// Parameter means.
        mean: Vec<f64>,
        /// Parameter standard deviations.
        std: Vec<f64>,
    },
    /// Every request in the data had the same outcome: a constant with the rule-of-three
    /// upper bound when none failed.
    Constant {
        /// The observed failure fraction.
        p: f64,
        /// 95% upper bound.
        upper: f64,
    },
}

/// `Σ w_j (x_j − mean_j) / std_j`: weights on standardized inputs.
fn z(w: &[f64], x: &[f64], mean: &[f64], std: &[f64]) -> f64 {
    w.iter()
        .zip(x)
        .enumerate()
        .map(|(j, (w, x))| w * (x - mean[j]) / std[j])
        .sum()
}

impl FailureModel {
    /// Failure probability at `load`.
    pub fn probability(&self, load: f64, params: &[f64]) -> f64 {
        match self {
            Self::Constant { p, .. } => *p,
            Self::Logistic {
                intercept,
                weights,
                mean,
                std,
            } => {
                let mut f = vec![load.max(1e-9).ln()];
                f.extend_from_slice(params);
                1.0 / (1.0 + (-(intercept + z(weights, &f, mean, std))).exp())
            }
            Self::Shedding {
                floor,
                width,
                ln_capacity,
                weights,
                mean,
                std,
            } => {
                let c = (ln_capacity + z(weights, params, mean, std)).exp();
                let shed = softplus(1.0 - c / load.max(1e-9), *width).min(1.0);
                floor + (1.0 - floor) * shed
            }
        }
    }

    /// The shedding curve's capacity at `params`, `c`.
    pub fn shedding_capacity(&self, params: &[f64]) -> Option<f64> {
        match self {
            Self::Shedding {
                ln_capacity,
                weights,
                mean,
                std,
                ..
            } => Some((ln_capacity + z(weights, params, mean, std)).exp()),
            _ => None,
        }
    }

    /// The load at which the failure probability reaches `p`, searched in log load over
    /// `[lo, hi]`; `None` if it is not reached there.
    pub fn load_at(&self, p: f64, params: &[f64], lo: f64, hi: f64) -> Option<f64> {
        let f = |l: f64| self.probability(l, params) - p;
        let (mut a, mut b) = (lo.ln(), hi.ln());
        if f(a.exp()) > 0.0 || f(b.exp()) < 0.0 {
            return None;
        }
        for _ in 0..100 {
            let m = 0.5 * (a + b);
            if f(m.exp()) < 0.0 {
                a = m
            } else {
                b = m
            }
        }
        Some((0.5 * (a + b)).exp())
    }
}

/// One point's counts, as the failure model trains on them (kept in the model file so
/// intervals can be computed for any failure level later).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Offered load.
    pub load: f64,
    /// Parameter values.
    pub params: Vec<f64>,
    /// Requests.
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
}

impl Counts {
    fn point(&self) -> Point {
        Point {
            load: self.load,
            goodput: 0.0,
            params: self.params.clone(),
            latency: [0.0; 3],
            requests: self.requests,
            failures: self.failures,
        }
    }
}

/// Held-out quality of one failure candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureScore {
    /// The candidate: `logistic`, `shedding` or `constant`.
    #[serde(default)]
    pub model: String,
    /// Mean negative log-likelihood per request on held-out points (log-loss).
    pub log_loss: f64,
    /// Request-weighted mean |predicted − observed failure rate| on held-out points.
    pub calibration_error: f64,
    /// Folds.
    pub folds: usize,
}

/// The chosen failure curve, every candidate's score, and the data for intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureFit {
    /// `logistic`, `shedding` or `constant`.
    pub family: String,
    /// The curve refitted on every point.
    pub model: FailureModel,
    /// Every candidate's held-out score (empty with fewer than 3 load levels, when the
    /// choice is by AIC on the training points).
    pub candidates: Vec<FailureScore>,
    /// Pearson dispersion of the chosen curve (≥ 1), which widens its intervals.
    pub dispersion: f64,
    /// The counts it was fitted on.
    pub data: Vec<Counts>,
}

impl FailureFit {
    /// The chosen candidate's held-out score.
    pub fn chosen_score(&self) -> Option<&FailureScore> {
        self.candidates.iter().find(|c| c.model == self.family)
    }

    fn family(&self) -> Option<Family> {
        [Family::Logistic, Family::Shedding]
            .into_iter()
            .find(|f| f.name() == self.family)
    }
}

/// Fits one candidate on points: the constant is the pooled rate.
fn fit_one(family: Option<Family>, points: &[Point]) -> FailureModel {
    match family {
        None => {
            let (n, k) = totals(points);
            constant(n, k)
        }
        Some(f) => {
            let scale = Scale::of(points);
            let (theta, _) = f.mle(points, &scale);
            f.model(&theta, &scale)
        }
    }
}

fn constant(n: u64, k: u64) -> FailureModel {
    FailureModel::Constant {
        p: k as f64 / n.max(1) as f64,
        upper: if k == 0 {
            (3.0 / n.max(1) as f64).min(1.0)
        } else {
            1.0
        },
    }
}

fn name(f: Option<Family>) -> &'static str {
    f.map_or("constant", Family::name)
}

/// Grouped cross-validation of one candidate.
fn score(family: Option<Family>, points: &[Point]) -> Result<FailureScore, MlError> {
    let splits = splits(points)?;
    let (mut ll, mut cal, mut n) = (0.0, 0.0, 0.0);
    for (train, held) in &splits {
        let m = fit_one(family, train);
        for p in held.iter().map(|&i| &points[i]) {
            let q = m.probability(p.load, &p.params).clamp(1e-9, 1.0 - 1e-9);
            let (r, f) = (p.requests as f64, p.failures as f64);
            ll -= f * q.ln() + (r - f) * (1.0 - q).ln();
            cal += r * (q - f / r.max(1.0)).abs();
            n += r;
        }
    }
    Ok(FailureScore {
        model: name(family).into(),
        log_loss: ll / n.max(1.0),
        calibration_error: cal / n.max(1.0),
        folds: splits.len(),
    })
}

/// Fits the failure model: every candidate scored by grouped cross-validation (held-out
/// log-likelihood), the best refitted on all points.
pub fn fit(points: &[Point]) -> Result<FailureFit, MlError> {
    let points: Vec<Point> = points.iter().filter(|p| p.requests > 0).cloned().collect();
    let (n, k) = totals(&points);
    if n == 0 {
        return Err(MlError::NotEnough {
            model: "the failure model",
            what: "requests",
            need: 1,
            got: 0,
        });
    }
    let data: Vec<Counts> = points
        .iter()
        .map(|p| Counts {
            load: p.load,
            params: p.params.clone(),
            requests: p.requests,
            failures: p.failures,
        })
        .collect();
    if k == 0 || k == n {
        return Ok(FailureFit {
            family: "constant".into(),
            model: constant(n, k),
            candidates: Vec::new(),
            dispersion: 1.0,
            data,
        });
    }
    let families = [None, Some(Family::Logistic), Some(Family::Shedding)];
    let d = points[0].params.len();
    let parameters = |f: Option<Family>| f.map_or(1, |f| f.dim(d));
    let (family, candidates) = match families
        .iter()
        .map(|f| score(*f, &points))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(scores) => {
            let best = families
                .iter()
                .zip(&scores)
                .min_by(|a, b| a.1.log_loss.total_cmp(&b.1.log_loss))
                .map(|(f, _)| *f)
                .expect("candidates");
            (best, scores)
        }
        // Fewer than 3 load levels: no held-out levels; Akaike's criterion instead.
        Err(_) => {
            let aic = |f: Option<Family>| {
                2.0 * parameters(f) as f64 - 2.0 * log_lik(&fit_one(f, &points), &points)
            };
            let best = families
                .iter()
                .min_by(|a, b| aic(**a).total_cmp(&aic(**b)))
                .copied()
                .expect("candidates");
            (best, Vec::new())
        }
    };
    let model = fit_one(family, &points);
    let dispersion = dispersion(&model, &points, parameters(family));
    Ok(FailureFit {
        family: name(family).into(),
        model,
        candidates,
        dispersion,
        data,
    })
}

#[cfg(test)]
mod tests;
