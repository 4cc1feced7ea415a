//! The failure model: probability that a request fails given load and parameters.
//! smartcore's logistic regression, fitted on request outcomes sampled from each point
//! in the point's exact failure proportion (features: log load and parameters,
//! standardized). Held-out points give its log-loss and calibration error.

use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

use crate::cv::splits;
use crate::data::Point;
use crate::MlError;

/// Settings of the failure model.
#[derive(Debug, Clone)]
pub struct FailureParams {
    /// Outcomes sampled per point (fewer when the point had fewer requests).
    pub samples_per_point: u64,
    /// L2 penalty.
    pub alpha: f64,
}

impl Default for FailureParams {
    fn default() -> Self {
        Self {
            samples_per_point: 2000,
            alpha: 0.01,
        }
    }
}

/// A fitted failure model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureModel {
    /// `p = 1 / (1 + exp(−(b + w·z)))`, z the standardized features.
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
    /// Every request in the data had the same outcome: a constant with the rule-of-three
    /// upper bound when none failed.
    Constant {
        /// The observed failure fraction.
        p: f64,
        /// 95% upper bound.
        upper: f64,
    },
}

fn feats(load: f64, params: &[f64]) -> Vec<f64> {
    let mut f = vec![load.max(1e-9).ln()];
    f.extend_from_slice(params);
    f
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
                let f = feats(load, params);
                let z: f64 = f
                    .iter()
                    .enumerate()
                    .map(|(i, v)| weights[i] * (v - mean[i]) / std[i])
                    .sum::<f64>()
                    + intercept;
                1.0 / (1.0 + (-z).exp())
            }
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

    /// Fits on points.
    pub fn fit(params: &FailureParams, points: &[Point]) -> Result<Self, MlError> {
        let (n, k): (u64, u64) = points
            .iter()
            .fold((0, 0), |(n, k), p| (n + p.requests, k + p.failures));
        if points.is_empty() || n == 0 {
            return Err(MlError::NotEnough {
                model: "the failure model",
                what: "requests",
                need: 1,
                got: 0,
            });
        }
        if k == 0 || k == n {
            let p = k as f64 / n as f64;
            return Ok(Self::Constant {
                p,
                upper: if k == 0 {
                    (3.0 / n as f64).min(1.0)
                } else {
                    1.0
                },
            });
        }
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for p in points {
            let m = p.requests.min(params.samples_per_point);
            let ones = ((p.failures as f64 / p.requests as f64) * m as f64).round() as u64;
            let f = feats(p.load, &p.params);
            for i in 0..m {
                rows.push(f.clone());
                y.push(i32::from(i < ones));
            }
        }
        Self::fit_rows(params, &rows, &y)
    }

    /// Fits on raw outcome rows (features: load, parameters...; y: 1 = failed).
    pub fn fit_rows(params: &FailureParams, rows: &[Vec<f64>], y: &[i32]) -> Result<Self, MlError> {
        let Some(first) = rows.first() else {
            return Err(MlError::NotEnough {
                model: "the failure model",
                what: "requests",
                need: 1,
                got: 0,
            });
        };
        let d = first.len();
        let n = rows.len() as f64;
        let mean: Vec<f64> = (0..d)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        let std: Vec<f64> = (0..d)
            .map(|j| {
                (rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n)
                    .sqrt()
                    .max(1e-12)
            })
            .collect();
        let z: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| (0..d).map(|j| (r[j] - mean[j]) / std[j]).collect())
            .collect();
        let x = DenseMatrix::from_2d_vec(&z).map_err(|e| MlError::Fit {
            model: "logistic regression",
            reason: e.to_string(),
        })?;
        let m = LogisticRegression::fit(
            &x,
            &y.to_vec(),
            LogisticRegressionParameters::default().with_alpha(params.alpha),
        )
        .map_err(|e| MlError::Fit {
            model: "logistic regression",
            reason: e.to_string(),
        })?;
        let weights = (0..d).map(|j| *m.coefficients().get((0, j))).collect();
        Ok(Self::Logistic {
            intercept: *m.intercept().get((0, 0)),
            weights,
            mean,
            std,
        })
    }
}

/// Held-out quality of the failure model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureScore {
    /// Mean log-loss per request on held-out points.
    pub log_loss: f64,
    /// Request-weighted mean |predicted − observed failure rate| on held-out points.
    pub calibration_error: f64,
    /// Folds.
    pub folds: usize,
}

/// Grouped cross-validation of the failure model.
pub fn score(params: &FailureParams, points: &[Point]) -> Result<FailureScore, MlError> {
    let splits = splits(points)?;
    let (mut ll, mut cal, mut n) = (0.0, 0.0, 0.0);
    for (train, held) in &splits {
        let m = FailureModel::fit(params, train)?;
        for p in held.iter().map(|&i| &points[i]) {
            let ph = m.probability(p.load, &p.params).clamp(1e-9, 1.0 - 1e-9);
            let (r, fl) = (p.requests as f64, p.failures as f64);
            ll -= fl * ph.ln() + (r - fl) * (1.0 - ph).ln();
            cal += r * (ph - fl / r).abs();
            n += r;
        }
    }
    Ok(FailureScore {
        log_loss: ll / n,
        calibration_error: cal / n,
        folds: splits.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 4000 requests, each failing with probability `p` (seeded binomial noise).
    fn point(load: f64, p: f64) -> Point {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(load.to_bits());
        let failures = (0..4000).filter(|_| rng.random::<f64>() < p).count() as u64;
        Point {
            load,
            goodput: load,
            params: vec![],
            latency: [1.0; 3],
            requests: 4000,
            failures,
        }
    }

    #[test]
    fn recovers_a_known_failure_curve() {
        // p(load) = sigmoid(8 (ln load − ln 400)): 50% at 400, 1% at 400·e^(−ln 99 / 8) ≈ 225.
        let truth = |l: f64| 1.0 / (1.0 + (-(8.0 * (l.ln() - 400f64.ln()))).exp());
        let pts: Vec<Point> = (1..=12)
            .map(|i| point(100.0 * i as f64 * 0.6, truth(100.0 * i as f64 * 0.6)))
            .collect();
        let m = FailureModel::fit(&FailureParams::default(), &pts).unwrap();
        let half = m.load_at(0.5, &[], 1.0, 1e5).unwrap();
        let one = m.load_at(0.01, &[], 1.0, 1e5).unwrap();
        assert!((half - 400.0).abs() / 400.0 < 0.05, "50% at {half}");
        assert!((one - 225.0).abs() / 225.0 < 0.1, "1% at {one}");
        let s = score(&FailureParams::default(), &pts).unwrap();
        assert!(s.calibration_error < 0.05 && s.log_loss < 0.5, "{s:?}");
    }

    #[test]
    fn no_failures_is_a_constant_with_an_upper_bound() {
        let pts: Vec<Point> = (1..=4).map(|i| point(100.0 * i as f64, 0.0)).collect();
        let m = FailureModel::fit(&FailureParams::default(), &pts).unwrap();
        assert_eq!(
            m,
            FailureModel::Constant {
                p: 0.0,
                upper: 3.0 / 16000.0
            }
        );
        assert_eq!(m.load_at(0.01, &[], 1.0, 1e4), None);
    }
}
