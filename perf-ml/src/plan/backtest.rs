//! The rolling-origin backtest: each method forecasts the last part of the series from
//! several origins a day apart, as if the later data were not known yet; the mean
//! absolute percentage error (MAPE), the error weighted by volume (WAPE: the sum of
//! absolute errors over the sum of the traffic) and the share of actual values inside
//! the band say how far each can be trusted. The better method has the lower WAPE:
//! MAPE lets a quiet night hour (1 req/s forecast as 2: 100%) outweigh a busy hour
//! (1,000 forecast as 1,300: 30%), and a plan is about the busy hours.

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
        for &o in &origins {
            let b = forecast(method, &y[..o], periods, h, level)?;
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
    fn too_short_for_an_origin() {
        let y = vec![1.0; 30];
        assert_eq!(backtest(&y, &[24], 24, 24, 0.9).unwrap(), None);
    }
}
