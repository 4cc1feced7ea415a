//! The rolling-origin backtest: each method forecasts the last part of the series from
//! several origins a day apart, as if the later data were not known yet; the mean
//! absolute percentage error (MAPE), the error weighted by volume (WAPE: the sum of
//! absolute errors over the sum of the traffic) and the share of actual values inside
//! the band say how far each can be trusted. The better method has the lower WAPE:
//! MAPE lets a quiet night hour (1 req/s forecast as 2: 100%) outweigh a busy hour
//! (1,000 forecast as 1,300: 30%), and a plan is about the busy hours.
//!
//! A method's band is rarely as wide as its level says. The backtest also finds the
//! factor on the band's half-widths that makes it hold its level (the conformal
//! quantile of |actual − forecast| / half-width), and measures the coverage of the
//! scaled band with each origin's factor taken from the other origins.

use serde::{Deserialize, Serialize};

use super::forecast::{forecast, Method};
use super::PlanError;

/// Origins of the backtest.
pub const FOLDS: usize = 4;

/// One method's backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The method.
    pub method: Method,
    /// Mean absolute percentage error over every forecast step with traffic above 0, %.
    pub mape: f64,
    /// Weighted absolute percentage error: Σ|error| / Σ traffic, %.
    pub wape: f64,
    /// Share of actual values inside the band (0..1).
    pub coverage: f64,
    /// The factor on the band's half-widths that makes it hold its level over every
    /// origin of the backtest (the plan's band is the method's band scaled by it).
    pub factor: f64,
    /// Share of actual values inside the scaled band, each origin's band scaled by the
    /// factor of the other origins (leave one origin out: measured, not fitted).
    pub calibrated_coverage: f64,
    /// Steps scored.
    pub steps: usize,
}

/// The backtest of both methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// Steps forecast from each origin.
    pub horizon: usize,
    /// The origins (indexes into the series).
    pub origins: Vec<usize>,
    /// The band's nominal level.
    pub level: f64,
    /// One score per method, in [`Method::ALL`] order.
    pub scores: Vec<Score>,
    /// The method with the lower WAPE.
    pub better: Method,
}

impl Backtest {
    /// The score of `method`.
    pub fn score(&self, method: Method) -> Option<&Score> {
        self.scores.iter().find(|s| s.method == method)
    }
}

/// The backtest over the last part of `y`: forecasts of `horizon` steps (at most a week
/// and a quarter of the series) from [`FOLDS`] origins `stride` steps apart, each
/// trained on everything before it (at least two of the longest season). `None` when
/// the series is too short for one origin.
pub fn backtest(
    y: &[f64],
    periods: &[usize],
    horizon: usize,
    stride: usize,
    level: f64,
) -> Result<Option<Backtest>, PlanError> {
    let n = y.len();
    let h = horizon.min(n / 4).max(1);
    let min_train = 2 * periods.iter().copied().max().unwrap_or(12).max(12);
    let origins: Vec<usize> = (0..FOLDS)
        .rev()
        .filter_map(|k| (n - h).checked_sub(k * stride.max(1)))
        .filter(|o| *o >= min_train)
        .collect();
    if origins.is_empty() {
        return Ok(None);
    }
    let mut scores = Vec::new();
    for method in Method::ALL {
        let (mut ape, mut scored, mut inside, mut all) = (0.0, 0usize, 0usize, 0usize);
        let (mut abs_err, mut volume) = (0.0, 0.0);
        // Per origin: |actual − forecast| / the band's upper half-width.
        let mut ratios: Vec<Vec<f64>> = Vec::new();
        for &o in &origins {
            let b = forecast(method, &y[..o], periods, h, level)?;
            ratios.push(
                y[o..o + h]
                    .iter()
                    .enumerate()
                    .map(|(k, a)| ratio(*a, b.point[k], b.upper[k]))
                    .collect(),
            );
            for (k, actual) in y[o..o + h].iter().enumerate() {
                all += 1;
                if (b.lower[k]..=b.upper[k]).contains(actual) {
                    inside += 1;
                }
                abs_err += (b.point[k] - actual).abs();
                volume += actual;
                if *actual > 0.0 {
                    ape += (b.point[k] - actual).abs() / actual;
                    scored += 1;
                }
            }
        }
        scores.push(Score {
            method,
            mape: if scored > 0 {
                100.0 * ape / scored as f64
            } else {
                f64::NAN
            },
            wape: if volume > 0.0 {
                100.0 * abs_err / volume
            } else {
                f64::NAN
            },
            coverage: inside as f64 / all as f64,
            factor: conformal(ratios.iter().flatten().copied(), level),
            calibrated_coverage: held_out(&ratios, level),
            steps: all,
        });
    }
    let better = scores
        .iter()
        .min_by(|a, b| a.wape.total_cmp(&b.wape))
        .map_or(Method::MstlEts, |s| s.method);
    Ok(Some(Backtest {
        horizon: h,
        origins,
        level,
        scores,
        better,
    }))
}

/// `|actual − point| / (upper − point)`: inside the band at or below 1. A band without
/// width holds only an exact forecast.
fn ratio(actual: f64, point: f64, upper: f64) -> f64 {
    let e = (actual - point).abs();
    match upper - point {
        w if w > 0.0 => e / w,
        _ if e == 0.0 => 0.0,
        _ => f64::INFINITY,
    }
}

/// The split-conformal quantile: the `ceil((n + 1) level)`-th smallest of `n` ratios
/// (infinite when that is past the largest).
fn conformal(ratios: impl Iterator<Item = f64>, level: f64) -> f64 {
    let mut r: Vec<f64> = ratios.collect();
    r.sort_by(f64::total_cmp);
    let k = ((r.len() + 1) as f64 * level).ceil() as usize;
    r.get(k.max(1) - 1).copied().unwrap_or(f64::INFINITY)
}

/// Coverage of each origin's ratios under the factor of the other origins.
fn held_out(ratios: &[Vec<f64>], level: f64) -> f64 {
    if ratios.len() < 2 {
        return f64::NAN;
    }
    let (mut inside, mut all) = (0usize, 0usize);
    for (i, own) in ratios.iter().enumerate() {
        let others = ratios
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, r)| r.iter().copied());
        let f = conformal(others, level);
        inside += own.iter().filter(|r| **r <= f).count();
        all += own.len();
    }
    inside as f64 / all as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trend_is_better_forecast_by_mstl_than_by_repeating_the_last_season() {
        // Daily season on a steep trend: seasonal-naive lags the trend by a day.
        let y: Vec<f64> = (0..24 * 21)
            .map(|t| {
                let day = (2.0 * std::f64::consts::PI * t as f64 / 24.0).sin();
                200.0 + 2.0 * t as f64 + 50.0 * day
            })
            .collect();
        let b = backtest(&y, &[24], 48, 24, 0.9).unwrap().unwrap();
        assert_eq!(b.origins, vec![384, 408, 432, 456]);
        assert_eq!(b.better, Method::MstlEts, "{b:?}");
        let naive = b.score(Method::SeasonalNaive).unwrap();
        let mstl = b.score(Method::MstlEts).unwrap();
        assert!(mstl.mape < 1.0 && naive.mape > 3.0, "{b:?}");
        assert_eq!(mstl.steps, 4 * 48);
    }

    #[test]
    fn a_band_too_wide_is_narrowed_to_its_level_and_measured_held_out() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let noise = Normal::new(0.0, 20.0).unwrap();
        let y: Vec<f64> = (0..24 * 28)
            .map(|t| {
                let day = (2.0 * std::f64::consts::PI * t as f64 / 24.0).sin();
                500.0 + 200.0 * day + noise.sample(&mut rng)
            })
            .collect();
        let b = backtest(&y, &[24], 7 * 24, 24, 0.9).unwrap().unwrap();
        for s in &b.scores {
            assert!(s.factor.is_finite() && s.factor > 0.0, "{s:?}");
            // Scaled, the band holds about its level on origins it was not scaled on.
            assert!((0.8..=0.97).contains(&s.calibrated_coverage), "{s:?}");
        }
        // The seasonal-naive band (two seasons' noise, widening with √seasons) is too
        // wide for noise around a fixed season: the factor narrows it.
        let naive = b.score(Method::SeasonalNaive).unwrap();
        assert!(naive.coverage > 0.97 && naive.factor < 1.0, "{naive:?}");
    }

    #[test]
    fn conformal_quantile_and_ratios() {
        let r = (1..=9).map(f64::from);
        assert_eq!(conformal(r.clone(), 0.8), 8.0); // ceil(10 × 0.8) = 8th
        assert_eq!(conformal(r, 0.95), f64::INFINITY); // the 10th of 9
        assert_eq!(ratio(110.0, 100.0, 120.0), 0.5);
        assert_eq!(ratio(100.0, 100.0, 100.0), 0.0);
        assert_eq!(ratio(101.0, 100.0, 100.0), f64::INFINITY);
    }

    #[test]
    fn too_short_for_an_origin() {
        let y = vec![1.0; 30];
        assert_eq!(backtest(&y, &[24], 24, 24, 0.9).unwrap(), None);
    }
}
