//! Latency models behind one seam: [`Fit`] (parameters → fitted model) and [`Predict`]
//! (load and scenario parameters → p50, p95, p99 in µs), as linfa does, so candidates
//! are swappable and compared by the same cross-validation.
//!
//! - [`QueueCurveParams`] → [`QueueCurve`]: `latency = a + b / (1 − X / c)` over
//!   goodput X, one capacity c shared by the three percentiles, a, b ≥ 0 and c above
//!   every goodput seen, by reparametrization (Nelder–Mead on logs). Physically
//!   grounded: it extrapolates towards the capacity.
//! - [`RidgeParams`] → [`RidgeLatency`]: smartcore ridge on degree-2 polynomial features
//!   of load and parameters, on log latency.
//! - [`ForestParams`] → [`ForestLatency`]: smartcore random forest on log latency.

use ndarray_opt::prelude::*;
use optimize::{Minimizer, NelderMeadBuilder};
use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};

use crate::data::{levels, Point};
use crate::MlError;

/// Fits a model of type `Object` to points.
pub trait Fit {
    /// The fitted model.
    type Object: Predict;
    /// Fits.
    fn fit(&self, points: &[Point]) -> Result<Self::Object, MlError>;
}

/// Predicts p50, p95, p99 latency in µs.
pub trait Predict {
    /// At offered `load` with scenario parameter values `params`.
    fn predict(&self, load: f64, params: &[f64]) -> [f64; 3];
    /// The capacity the model implies, when it has one.
    fn capacity(&self) -> Option<f64> {
        None
    }
}

/// Settings of the queueing curve.
#[derive(Debug, Clone, Default)]
pub struct QueueCurveParams;

/// `latency_q = a_q + b_q / (1 − X / c)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueCurve {
    /// Baseline latency per percentile, µs.
    pub a: [f64; 3],
    /// Queueing scale per percentile, µs.
    pub b: [f64; 3],
    /// Capacity, requests per second (or users).
    pub c: f64,
    /// Highest goodput seen in training.
    pub x_max: f64,
    /// Latency measured at saturation (returned for loads at or above c).
    pub saturated: [f64; 3],
}

impl QueueCurve {
    fn at(&self, x: f64) -> [f64; 3] {
        let g = 1.0 / (1.0 - x / self.c);
        [0, 1, 2].map(|q| self.a[q] + self.b[q] * g)
    }

    /// Whether the data showed saturation (c within twice the goodput seen).
    pub fn capacity_identified(&self) -> bool {
        self.c <= 2.0 * self.x_max
    }
}

impl Fit for QueueCurveParams {
    type Object = QueueCurve;

    fn fit(&self, points: &[Point]) -> Result<QueueCurve, MlError> {
        if points.len() < 4 {
            return Err(MlError::NotEnough {
                model: "the queueing curve",
                what: "load points",
                need: 4,
                got: points.len(),
            });
        }
        if levels(points).len() < 3 {
            return Err(MlError::NotEnough {
                model: "the queueing curve",
                what: "load levels",
                need: 3,
                got: levels(points).len(),
            });
        }
        let x_max = points.iter().map(|p| p.goodput).fold(0.0, f64::max);
        if x_max <= 0.0 {
            return Err(MlError::Data(
                "no request succeeded at any load: no latency curve to fit".into(),
            ));
        }
        let ln_y: Vec<[f64; 3]> = points.iter().map(|p| p.latency.map(f64::ln)).collect();
        let unpack = |v: ArrayView1<f64>| -> ([f64; 3], [f64; 3], f64) {
            (
                [v[0].exp(), v[1].exp(), v[2].exp()],
                [v[3].exp(), v[4].exp(), v[5].exp()],
                x_max * (1.0 + v[6].exp()),
            )
        };
        let loss = |v: ArrayView1<f64>| -> f64 {
            let (a, b, c) = unpack(v);
            points
                .iter()
                .zip(&ln_y)
                .map(|(p, ly)| {
                    let g = 1.0 / (1.0 - p.goodput / c);
                    (0..3)
                        .map(|q| (ly[q] - (a[q] + b[q] * g).ln()).powi(2))
                        .sum::<f64>()
                })
                .sum()
        };
        let min_y = [0, 1, 2].map(|q| {
            points
                .iter()
                .map(|p| p.latency[q])
                .fold(f64::INFINITY, f64::min)
        });
        let nm = NelderMeadBuilder::default()
            .xtol(1e-9f64)
            .ftol(1e-12f64)
            .maxiter(40_000)
            .build()
            .expect("valid settings");
        let mut best: Option<(Array1<f64>, f64)> = None;
        for u0 in [-3.0, -1.0, 1.0] {
            let mut v: Vec<f64> = min_y.iter().map(|m| (0.9 * m).ln()).collect();
            v.extend(min_y.iter().map(|m| (0.05 * m).ln()));
            v.push(u0);
            let mut sol = nm.minimize(loss, Array::from_vec(v).view());
            sol = nm.minimize(loss, sol.view());
            let l = loss(sol.view());
            if best.as_ref().is_none_or(|(_, b)| l < *b) {
                best = Some((sol, l));
            }
        }
        let (sol, l) = best.expect("a start");
        if !l.is_finite() {
            return Err(MlError::NoConvergence {
                model: "queueing curve",
                reason: format!("loss {l}"),
            });
        }
        let (a, b, c) = unpack(sol.view());
        // The latency measured at the highest offered load: what a saturated server shows.
        let top = points
            .iter()
            .max_by(|p, q| p.load.total_cmp(&q.load))
            .expect("points");
        Ok(QueueCurve {
            a,
            b,
            c,
            x_max,
            saturated: top.latency,
        })
    }
}

impl Predict for QueueCurve {
    fn predict(&self, load: f64, _: &[f64]) -> [f64; 3] {
        if load >= self.c {
            return self.saturated;
        }
        // Below c the curve is finite; the cap only guards against overflow at c's edge.
        self.at(load).map(|v| v.min(1e12))
    }

    fn capacity(&self) -> Option<f64> {
        self.capacity_identified().then_some(self.c)
    }
}

fn features(load: f64, params: &[f64], degree2: bool) -> Vec<f64> {
    let mut f = vec![load];
    f.extend_from_slice(params);
    if degree2 {
        let base = f.clone();
        for i in 0..base.len() {
            for j in i..base.len() {
                f.push(base[i] * base[j]);
            }
        }
    }
    f
}

fn matrix(points: &[Point], degree2: bool) -> Result<DenseMatrix<f64>, MlError> {
    let rows: Vec<Vec<f64>> = points
        .iter()
        .map(|p| features(p.load, &p.params, degree2))
        .collect();
    DenseMatrix::from_2d_vec(&rows).map_err(|e| MlError::Fit {
        model: "feature matrix",
        reason: e.to_string(),
    })
}

fn log_target(points: &[Point], q: usize) -> Vec<f64> {
    points.iter().map(|p| p.latency[q].ln()).collect()
}

/// Ridge regression on degree-2 polynomial features of load and parameters.
#[derive(Debug, Clone)]
pub struct RidgeParams {
    /// L2 penalty.
    pub alpha: f64,
}

impl Default for RidgeParams {
    fn default() -> Self {
        Self { alpha: 0.1 }
    }
}

/// A fitted ridge model per percentile.
#[derive(Debug, Serialize, Deserialize)]
pub struct RidgeLatency {
    models: Vec<RidgeRegression<f64, f64, DenseMatrix<f64>, Vec<f64>>>,
}

impl Fit for RidgeParams {
    type Object = RidgeLatency;

    fn fit(&self, points: &[Point]) -> Result<RidgeLatency, MlError> {
        let x = matrix(points, true)?;
        let p = features(0.0, &points[0].params, true).len();
        if points.len() <= p {
            return Err(MlError::NotEnough {
                model: "ridge regression",
                what: "load points",
                need: p + 1,
                got: points.len(),
            });
        }
        let models = (0..3)
            .map(|q| {
                RidgeRegression::fit(
                    &x,
                    &log_target(points, q),
                    RidgeRegressionParameters::default().with_alpha(self.alpha),
                )
                .map_err(|e| MlError::Fit {
                    model: "ridge regression",
                    reason: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(RidgeLatency { models })
    }
}

fn predict_one<M>(
    models: &[M],
    load: f64,
    params: &[f64],
    degree2: bool,
    f: impl Fn(&M, &DenseMatrix<f64>) -> Option<f64>,
) -> [f64; 3] {
    let x = DenseMatrix::from_2d_vec(&vec![features(load, params, degree2)]).expect("one row");
    [0, 1, 2].map(|q| f(&models[q], &x).map_or(f64::NAN, f64::exp))
}

impl Predict for RidgeLatency {
    fn predict(&self, load: f64, params: &[f64]) -> [f64; 3] {
        predict_one(&self.models, load, params, true, |m, x| {
            m.predict(x).ok().and_then(|v| v.first().copied())
        })
    }
}

/// A random forest per percentile.
#[derive(Debug, Clone)]
pub struct ForestParams {
    /// Trees.
    pub trees: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for ForestParams {
    fn default() -> Self {
        Self {
            trees: 100,
            seed: 7,
        }
    }
}

/// A fitted forest per percentile.
#[derive(Debug, Serialize, Deserialize)]
pub struct ForestLatency {
    models: Vec<RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>>,
}

impl Fit for ForestParams {
    type Object = ForestLatency;

    fn fit(&self, points: &[Point]) -> Result<ForestLatency, MlError> {
        if points.len() < 4 {
            return Err(MlError::NotEnough {
                model: "random forest",
                what: "load points",
                need: 4,
                got: points.len(),
            });
        }
        let x = matrix(points, false)?;
        let params = RandomForestRegressorParameters::default()
            .with_n_trees(self.trees)
            .with_seed(self.seed)
            .with_min_samples_leaf(1);
        let models = (0..3)
            .map(|q| {
                RandomForestRegressor::fit(&x, &log_target(points, q), params.clone()).map_err(
                    |e| MlError::Fit {
                        model: "random forest",
                        reason: e.to_string(),
                    },
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(ForestLatency { models })
    }
}

impl Predict for ForestLatency {
    fn predict(&self, load: f64, params: &[f64]) -> [f64; 3] {
        predict_one(&self.models, load, params, false, |m, x| {
            m.predict(x).ok().and_then(|v| v.first().copied())
        })
    }
}

/// Any fitted latency model, as stored in a model file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LatencyModel {
    /// The queueing curve.
    QueueCurve(QueueCurve),
    /// Ridge on polynomial features.
    Ridge(RidgeLatency),
    /// Random forest.
    Forest(ForestLatency),
}

impl Predict for LatencyModel {
    fn predict(&self, load: f64, params: &[f64]) -> [f64; 3] {
        match self {
            Self::QueueCurve(m) => m.predict(load, params),
            Self::Ridge(m) => m.predict(load, params),
            Self::Forest(m) => m.predict(load, params),
        }
    }
    fn capacity(&self) -> Option<f64> {
        match self {
            Self::QueueCurve(m) => m.capacity(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn synthetic(c: f64, noise: f64, seed: u64) -> Vec<Point> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut pts = Vec::new();
        for i in 1..=12 {
            let x = c * i as f64 / 13.0;
            let lat = [2000.0, 3000.0, 4000.0].map(|a: f64| {
                (a + 0.3 * a / (1.0 - x / c)) * (1.0 + noise * (rng.random::<f64>() - 0.5))
            });
            pts.push(Point {
                load: x,
                goodput: x,
                params: vec![],
                latency: lat,
                requests: 1000,
                failures: 0,
            });
        }
        pts
    }

    #[test]
    fn queue_curve_recovers_a_known_capacity() {
        for c in [200.0, 1000.0, 3000.0] {
            let m = QueueCurveParams.fit(&synthetic(c, 0.04, c as u64)).unwrap();
            assert!((m.c - c).abs() / c < 0.1, "capacity {} for {c}", m.c);
            assert!(m.capacity().is_some());
            let p = m.predict(c * 0.5, &[]);
            // a + 0.3a / (1 − 0.5) = 1.6a with a = 2000.
            assert!((p[0] - 3200.0).abs() / 3200.0 < 0.05, "{p:?}");
        }
    }

    #[test]
    fn smartcore_candidates_fit_and_predict() {
        let pts = synthetic(500.0, 0.02, 1);
        let r = RidgeParams::default().fit(&pts).unwrap();
        let f = ForestParams::default().fit(&pts).unwrap();
        for m in [&r as &dyn Predict, &f] {
            let p = m.predict(200.0, &[]);
            assert!(p.iter().all(|v| v.is_finite() && *v > 1000.0), "{p:?}");
            assert!(p[0] < p[2]);
        }
        assert!(matches!(
            RidgeParams::default().fit(&pts[..2]),
            Err(MlError::NotEnough { .. })
        ));
    }
}
