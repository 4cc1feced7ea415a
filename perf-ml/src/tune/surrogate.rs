//! The constraint's model: a Gaussian process (egobox-gp, squared-exponential with one
//! length scale per knob) of the SLO margin over the knobs, each knob on its unit
//! interval. It tells how likely an unmeasured configuration is to meet the SLOs — the
//! stopping rule asks it whether any configuration cheaper than the best one found still
//! might — and how much the margin depends on each knob (its ARD weight).

use egobox_gp::correlation_models::SquaredExponentialCorr;
use egobox_gp::mean_models::ConstantMean;
use egobox_gp::{GaussianProcess, ThetaTuning};
use linfa::prelude::*;
use ndarray_gp::{Array1, Array2};
use statrs::distribution::{ContinuousCDF, Normal};

/// Margins beyond ±1 say nothing more about where the SLO's edge is; clamped for the
/// models, as the search's GP does.
pub const MARGIN_CAP: f64 = 1.0;

/// A fitted model of the margin.
#[derive(Debug)]
pub struct MarginModel {
    gp: GaussianProcess<f64, ConstantMean, SquaredExponentialCorr>,
    dims: usize,
}

impl MarginModel {
    /// Fits `(unit position, margin)` pairs; `None` with fewer points than knobs + 2, or
    /// when the fit fails.
    pub fn fit(points: &[(Vec<f64>, f64)], dims: usize) -> Option<Self> {
        if points.len() < dims + 2 {
            return None;
        }
        let x = Array2::from_shape_fn((points.len(), dims), |(i, j)| points[i].0[j]);
        let y = Array1::from_iter(points.iter().map(|p| p.1.clamp(-MARGIN_CAP, MARGIN_CAP)));
        let gp = GaussianProcess::<f64, ConstantMean, SquaredExponentialCorr>::params(
            ConstantMean::default(),
            SquaredExponentialCorr::default(),
        )
        .theta_tuning(ThetaTuning::Full {
            init: Array1::from_elem(dims, 1.0),
            bounds: Array1::from_elem(dims, (1e-2, 1e3)),
        })
        .n_start(4)
        // Run-to-run noise of a margin is a few hundredths: about 1% of the spread of
        // margins between -1 and 1.
        .nugget(1e-2)
        .fit(&Dataset::new(x, y))
        .ok()?;
        Some(Self { gp, dims })
    }

    /// The probability that each of `units` meets the SLOs (margin ≤ 0).
    pub fn p_feasible(&self, units: &[Vec<f64>]) -> Vec<f64> {
        if units.is_empty() {
            return Vec::new();
        }
        let x = Array2::from_shape_fn((units.len(), self.dims), |(i, j)| units[i][j]);
        let (Ok(mean), Ok(var)) = (self.gp.predict(&x), self.gp.predict_var(&x)) else {
            return vec![0.5; units.len()];
        };
        let n = Normal::standard();
        mean.iter()
            .zip(var.iter())
            .map(|(m, v)| {
                let sd = v.max(0.0).sqrt();
                if sd < 1e-12 {
                    if *m <= 0.0 {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    n.cdf(-m / sd)
                }
            })
            .collect()
    }

    /// Each knob's ARD weight θ (the correlation falls as `exp(−θ d²)` over a distance
    /// `d` of its unit interval): larger means the margin depends on it more.
    pub fn weights(&self) -> Vec<f64> {
        self.gp.theta().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_tells_which_knob_matters_and_where_the_slo_holds() {
        // The margin falls with the first knob and ignores the second.
        let mut pts = Vec::new();
        for i in 0..5 {
            for j in 0..3 {
                let (a, b) = (i as f64 / 4.0, j as f64 / 2.0);
                pts.push((vec![a, b], 0.8 - 1.6 * a));
            }
        }
        let m = MarginModel::fit(&pts, 2).unwrap();
        let w = m.weights();
        assert!(w[0] > 5.0 * w[1], "{w:?}");
        let p = m.p_feasible(&[vec![0.9, 0.3], vec![0.1, 0.3]]);
        assert!(p[0] > 0.9 && p[1] < 0.1, "{p:?}");
    }
}
