//! Latency models behind one seam: [`Fit`] (parameters → fitted model) and [`Predict`]
//! (load and scenario parameters → p50, p95, p99 in µs), as linfa does, so candidates
//! are swappable and compared by the same cross-validation.
//!
//! - [`QueueCurveParams`] → [`QueueCurve`] (module [`queue_curve`]):
//!   `latency = a + b / (1 − X / c)` over goodput X on the points where the target kept
//!   up, one capacity c shared by the three percentiles, identified by an F-test and
//!   given a profile interval. Physically grounded: it extrapolates towards c.
//! - [`RidgeParams`] → [`RidgeLatency`]: smartcore ridge on degree-2 polynomial features
//!   of load and parameters, on log latency.
//! - [`ForestParams`] → [`ForestLatency`]: smartcore random forest on log latency.

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};

use crate::data::Point;
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

pub mod queue_curve;

pub use queue_curve::{QueueCurve, QueueCurveParams};

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

    #[test]
    fn smartcore_candidates_fit_and_predict() {
        let pts = queue_curve::tests::synthetic(500.0, 0.02, 1);
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
