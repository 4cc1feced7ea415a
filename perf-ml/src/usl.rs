//! The Universal Scalability Law, `X(N) = λN / (1 + σ(N−1) + κN(N−1))`, fitted by least
//! squares on throughput. λ enters linearly, so for given (σ, κ) its best value is
//! closed-form; Nelder–Mead (the `optimize` crate) searches (σ, κ) as squares of free
//! variables, which keeps both ≥ 0 by construction. Intervals come from a seeded residual
//! bootstrap: the residuals are centred and rescaled by `√(n/(n−p))` (p = 3 parameters;
//! raw least-squares residuals are smaller than the errors they estimate), each resample
//! is refitted, and the 2.5%–97.5% quantiles of the refits are the interval. When fewer
//! than half of the refits converge the interval is "not available" (`None`): the
//! quantiles of the refits that happened to succeed would not be an honest interval.

use std::path::Path;

use ndarray_opt::prelude::*;
use optimize::{Minimizer, NelderMeadBuilder};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::MlError;

/// A fitted scalability law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UslFit {
    /// Contention σ.
    pub sigma: f64,
    /// Coherency κ.
    pub kappa: f64,
    /// Throughput of one user, λ.
    pub lambda: f64,
    /// 95% bootstrap intervals of σ, κ, λ (`None`: not available, too few refits
    /// converged).
    pub sigma_ci: Option<(f64, f64)>,
    /// See `sigma_ci`.
    pub kappa_ci: Option<(f64, f64)>,
    /// See `sigma_ci`.
    pub lambda_ci: Option<(f64, f64)>,
    /// Bootstrap refits that converged, of [`BOOTSTRAP_RESAMPLES`].
    #[serde(default)]
    pub refits: usize,
    /// Peak concurrency `sqrt((1−σ)/κ)` (infinite when κ = 0).
    pub n_star: f64,
    /// Throughput at the peak.
    pub x_max: f64,
    /// Root mean square residual, in throughput units.
    pub rmse: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Points fitted.
    pub n: usize,
}

/// Resamples of the residual bootstrap.
pub const BOOTSTRAP_RESAMPLES: usize = 200;

/// The law's throughput at concurrency `n`.
pub fn usl(n: f64, sigma: f64, kappa: f64, lambda: f64) -> f64 {
    lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

fn shape(n: f64, sigma: f64, kappa: f64) -> f64 {
    n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

/// Best λ and the residual sum of squares for given σ, κ.
fn profile(data: &[(f64, f64)], sigma: f64, kappa: f64) -> (f64, f64) {
    let (sxg, sgg) = data.iter().fold((0.0, 0.0), |(a, b), (n, x)| {
        let g = shape(*n, sigma, kappa);
        (a + x * g, b + g * g)
    });
    let lambda = if sgg > 0.0 { sxg / sgg } else { 0.0 };
    let sse = data
        .iter()
        .map(|(n, x)| (x - lambda * shape(*n, sigma, kappa)).powi(2))
        .sum();
    (lambda, sse)
}

/// Least-squares (σ, κ, λ) without intervals.
fn point_fit(data: &[(f64, f64)]) -> Result<(f64, f64, f64, f64), MlError> {
    let nm = NelderMeadBuilder::default()
        .xtol(1e-12f64)
        .ftol(1e-14f64)
        .maxiter(20_000)
        .build()
        .expect("valid settings");
    let obj = |v: ArrayView1<f64>| profile(data, v[0] * v[0], v[1] * v[1]).1;
    let mut best: Option<(f64, f64, f64)> = None;
    // Restarts over the scale of κ: its optimum spans orders of magnitude.
    for (s0, k0) in [(0.1, 0.01), (0.2, 0.001), (0.05, 0.03), (0.3, 0.0001)] {
        let mut v = nm.minimize(obj, Array::from_vec(vec![s0, k0]).view());
        // A second start from the first answer polishes a stalled simplex.
        v = nm.minimize(obj, v.view());
        let sse = obj(v.view());
        if best.is_none_or(|b| sse < b.2) {
            best = Some((v[0] * v[0], v[1] * v[1], sse));
        }
    }
    let (sigma, kappa, sse) = best.expect("at least one start");
    let (lambda, _) = profile(data, sigma, kappa);
    if !(sse.is_finite() && lambda.is_finite() && lambda > 0.0) {
        return Err(MlError::NoConvergence {
            model: "scalability law",
            reason: format!("residual {sse}, λ {lambda}"),
        });
    }
    // Converged means no small step improves the fit: steps of 0.1% of each parameter's
    // own size (κ spans orders of magnitude, so a fixed step would be too coarse for a
    // small κ and too fine for a large one), or a tiny step away from a zero bound.
    let step = |v: f64| (v.abs() * 1e-3).max(1e-12);
    let (hs, hk) = (step(sigma), step(kappa));
    for (ds, dk) in [(hs, 0.0), (-hs, 0.0), (0.0, hk), (0.0, -hk)] {
        let (s, k) = ((sigma + ds).max(0.0), (kappa + dk).max(0.0));
        if profile(data, s, k).1 < sse * (1.0 - 1e-6) {
            return Err(MlError::NoConvergence {
                model: "scalability law",
                reason: "a nearby (σ, κ) fits better".into(),
            });
        }
    }
    Ok((sigma, kappa, lambda, sse))
}

/// The 95% percentile interval of the refits' values, or `None` when fewer than half of
/// the [`BOOTSTRAP_RESAMPLES`] converged.
fn interval(v: &mut [f64]) -> Option<(f64, f64)> {
    if 2 * v.len() < BOOTSTRAP_RESAMPLES {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some((
        v[(v.len() as f64 * 0.025) as usize],
        v[((v.len() as f64 * 0.975) as usize).min(v.len() - 1)],
    ))
}

/// Fits the law to `(concurrency, throughput)` pairs; `seed` drives the bootstrap.
pub fn fit_usl(data: &[(f64, f64)], seed: u64) -> Result<UslFit, MlError> {
    if data.len() < 4 {
        return Err(MlError::NotEnough {
            model: "the scalability law",
            what: "points",
            need: 4,
            got: data.len(),
        });
    }
    let first = data[0].0;
    if data.iter().all(|(n, _)| *n == first) {
        return Err(MlError::OneLoadLevel { load: first });
    }
    if let Some((n, x)) = data
        .iter()
        .find(|(n, x)| !(n.is_finite() && *n > 0.0 && x.is_finite() && *x >= 0.0))
    {
        return Err(MlError::Data(format!(
            "concurrency must be above 0 and throughput at least 0, got ({n}, {x})"
        )));
    }
    let (sigma, kappa, lambda, sse) = point_fit(data)?;
    let fitted: Vec<f64> = data
        .iter()
        .map(|(n, _)| usl(*n, sigma, kappa, lambda))
        .collect();
    let raw: Vec<f64> = data.iter().zip(&fitted).map(|((_, x), f)| x - f).collect();
    let centre = raw.iter().sum::<f64>() / raw.len() as f64;
    let n = data.len() as f64;
    let scale = (n / (n - 3.0)).sqrt();
    let resid: Vec<f64> = raw.iter().map(|r| (r - centre) * scale).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut boot: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..BOOTSTRAP_RESAMPLES {
        let sample: Vec<(f64, f64)> = data
            .iter()
            .zip(&fitted)
            .map(|((n, _), f)| (*n, (f + resid[rng.random_range(0..resid.len())]).max(0.0)))
            .collect();
        if let Ok((s, k, l, _)) = point_fit(&sample) {
            boot[0].push(s);
            boot[1].push(k);
            boot[2].push(l);
        }
    }
    let refits = boot[0].len();
    let ci = interval;
    let mean = data.iter().map(|(_, x)| x).sum::<f64>() / data.len() as f64;
    let sst: f64 = data.iter().map(|(_, x)| (x - mean).powi(2)).sum();
    let n_star = if kappa > 0.0 {
        ((1.0 - sigma).max(0.0) / kappa).sqrt()
    } else {
        f64::INFINITY
    };
    let x_max = if n_star.is_finite() {
        usl(n_star, sigma, kappa, lambda)
    } else {
        lambda / sigma.max(f64::MIN_POSITIVE)
    };
    let [mut bs, mut bk, mut bl] = boot;
    Ok(UslFit {
        sigma,
        kappa,
        lambda,
        sigma_ci: ci(&mut bs),
        kappa_ci: ci(&mut bk),
        lambda_ci: ci(&mut bl),
        refits,
        n_star,
        x_max,
        rmse: (sse / data.len() as f64).sqrt(),
        r2: if sst > 0.0 { 1.0 - sse / sst } else { 1.0 },
        n: data.len(),
    })
}

/// Reads a two-column CSV of concurrency and throughput (a header line is allowed).
pub fn read_usl_csv(path: &Path) -> Result<Vec<(f64, f64)>, MlError> {
    let text = std::fs::read_to_string(path).map_err(|source| MlError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |line: usize, reason: String| MlError::Csv {
        path: path.to_path_buf(),
        line: line as u64,
        reason,
    };
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
        if cells.len() != 2 {
            return Err(bad(
                i + 1,
                format!(
                    "expected 2 columns (concurrency, throughput), found {}",
                    cells.len()
                ),
            ));
        }
        let parsed: Vec<Option<f64>> = cells.iter().map(|c| c.parse::<f64>().ok()).collect();
        match (parsed[0], parsed[1]) {
            (None, None) if out.is_empty() && i == 0 => continue, // header
            (Some(n), Some(x)) if n.is_finite() && x.is_finite() => {
                if n <= 0.0 {
                    return Err(bad(
                        i + 1,
                        format!("column 1 (concurrency) must be above 0, got '{}'", cells[0]),
                    ));
                }
                if x < 0.0 {
                    return Err(bad(
                        i + 1,
                        format!(
                            "column 2 (throughput) must be at least 0, got '{}'",
                            cells[1]
                        ),
                    ));
                }
                out.push((n, x));
            }
            (a, _) => {
                let col = if a.is_none_or(|v| !v.is_finite()) {
                    1
                } else {
                    2
                };
                return Err(bad(
                    i + 1,
                    format!("column {col} is not a finite number: '{}'", cells[col - 1]),
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(MlError::Data(format!("{}: no data rows", path.display())));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig3(a: f64, b: f64) -> bool {
        let rel = ((a - b) / b).abs();
        rel < 5e-3
    }

    #[test]
    fn reproduces_the_spec_sdm91_published_fit() {
        let n = [1.0, 18.0, 36.0, 72.0, 108.0, 144.0, 216.0];
        let x = [64.9, 995.9, 1652.4, 1853.2, 1828.9, 1775.0, 1702.2];
        let data: Vec<_> = n.iter().copied().zip(x.iter().copied()).collect();
        let f = fit_usl(&data, 1).unwrap();
        println!("{f:?}");
        assert!(sig3(f.sigma, 0.0277285), "σ {}", f.sigma);
        assert!(sig3(f.kappa, 0.0001044), "κ {}", f.kappa);
        assert!(sig3(f.lambda, 89.9952), "λ {}", f.lambda);
        assert!((f.n_star - 96.5).abs() < 0.5, "N* {}", f.n_star);
        let (lo, hi) = f.sigma_ci.expect("the refits converge");
        assert!(lo <= f.sigma && f.sigma <= hi && lo < hi, "{lo} {hi}");
    }

    #[test]
    fn reproduces_the_32_point_published_fit() {
        let x = [
            955.16, 1878.91, 2688.01, 3548.68, 4315.54, 5130.43, 5931.37, 6531.08, 7219.8, 7867.61,
            8278.71, 8646.7, 9047.84, 9426.55, 9645.37, 9897.24, 10097.6, 10240.5, 10532.39,
            10798.52, 11151.43, 11518.63, 11806.0, 12089.37, 12075.41, 12177.29, 12211.41,
            12158.93, 12155.27, 12118.04, 12140.4, 12074.39,
        ];
        let data: Vec<_> = x
            .iter()
            .enumerate()
            .map(|(i, x)| ((i + 1) as f64, *x))
            .collect();
        let f = fit_usl(&data, 1).unwrap();
        println!("{f:?}");
        assert!(sig3(f.sigma, 0.02671591), "σ {}", f.sigma);
        assert!(sig3(f.kappa, 7.690945e-4), "κ {}", f.kappa);
        assert!(sig3(f.lambda, 995.6486), "λ {}", f.lambda);
        // Published as the whole number of users at the peak: sqrt((1 − σ)/κ) = 35.57.
        assert_eq!(f.n_star.floor(), 35.0, "N* {}", f.n_star);
    }

    #[test]
    fn recovers_known_parameters_from_noisy_synthetic_data() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        let (s, k, l) = (0.05, 0.0005, 120.0);
        let data: Vec<_> = (1..=40)
            .map(|n| {
                let n = n as f64 * 2.0;
                (
                    n,
                    usl(n, s, k, l) * (1.0 + 0.02 * (rng.random::<f64>() - 0.5)),
                )
            })
            .collect();
        let f = fit_usl(&data, 3).unwrap();
        assert!(
            (f.sigma - s).abs() / s < 0.1
                && (f.kappa - k).abs() / k < 0.1
                && (f.lambda - l).abs() / l < 0.02,
            "{f:?}"
        );
        let (lo, hi) = f.kappa_ci.expect("the refits converge");
        assert!(lo <= k && k <= hi, "95% interval covers κ: {lo} .. {hi}");
    }

    #[test]
    fn an_interval_needs_half_of_the_refits() {
        let mut few: Vec<f64> = (0..BOOTSTRAP_RESAMPLES / 2 - 1).map(|i| i as f64).collect();
        assert_eq!(interval(&mut few), None);
        let mut half: Vec<f64> = (0..BOOTSTRAP_RESAMPLES / 2).map(|i| i as f64).collect();
        assert_eq!(interval(&mut half), Some((2.0, 97.0)));
    }

    #[test]
    fn too_little_or_flat_data_is_refused() {
        assert!(matches!(
            fit_usl(&[(1.0, 1.0), (2.0, 2.0)], 1),
            Err(MlError::NotEnough { need: 4, .. })
        ));
        assert!(matches!(
            fit_usl(&[(4.0, 1.0), (4.0, 2.0), (4.0, 1.5), (4.0, 1.7)], 1),
            Err(MlError::OneLoadLevel { .. })
        ));
        assert!(fit_usl(&[(1.0, 1.0), (2.0, f64::NAN), (3.0, 2.0), (4.0, 2.0)], 1).is_err());
    }
}
