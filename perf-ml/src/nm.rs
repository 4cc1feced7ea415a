//! Nelder–Mead (the `optimize` crate) over plain slices, restarted once from its own
//! answer (a simplex that collapsed early gets a fresh one), for the small curve fits.

use ndarray_opt::prelude::*;
use optimize::{Minimizer, NelderMeadBuilder};

/// Minimizes `f` from `x0`; returns the argument and the value. A non-finite value
/// counts as +∞.
pub fn minimize(f: impl Fn(&[f64]) -> f64, x0: &[f64]) -> (Vec<f64>, f64) {
    let g = |v: ArrayView1<f64>| {
        let y = f(v.as_slice().expect("contiguous"));
        if y.is_finite() {
            y
        } else {
            f64::INFINITY
        }
    };
    let nm = NelderMeadBuilder::default()
        .xtol(1e-9f64)
        .ftol(1e-11f64)
        .maxiter(20_000)
        .build()
        .expect("valid settings");
    let mut x = nm.minimize(g, Array::from_vec(x0.to_vec()).view());
    x = nm.minimize(g, x.view());
    let y = g(x.view());
    (x.to_vec(), y)
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_a_quadratic_minimum() {
        let (x, y) = super::minimize(|v| (v[0] - 3.0).powi(2) + (v[1] + 1.0).powi(2), &[0.0, 0.0]);
        assert!((x[0] - 3.0).abs() < 1e-4 && (x[1] + 1.0).abs() < 1e-4 && y < 1e-8);
    }
}
