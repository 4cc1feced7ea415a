//! Forecasts of the traffic with a prediction band: MSTL decomposition into the seasons
//! with an AutoETS trend (augurs), and the seasonal-naive forecast it is compared with.
//! The seasons are given or detected (a day and a week, by the autocorrelation at those
//! lags), and kept only when the series holds two of them.

use augurs::ets::AutoETS;
use augurs::mstl::MSTLModel;
use augurs::prelude::*;
use serde::{Deserialize, Serialize};

use super::traffic::Traffic;
use super::PlanError;

/// A forecasting method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// MSTL over the seasons, AutoETS on the trend (AutoETS alone without seasons).
    MstlEts,
    /// Each step repeats the same step one (longest) season earlier.
    SeasonalNaive,
}

impl Method {
    /// Both, in the order they are reported.
    pub const ALL: [Method; 2] = [Method::MstlEts, Method::SeasonalNaive];

    /// The name used in output and options.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::MstlEts => "mstl-ets",
            Method::SeasonalNaive => "seasonal-naive",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a method: use mstl-ets or seasonal-naive"))
    }
}

/// A forecast: the central path and the band at the requested level, per step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Central forecast, req/s.
    pub point: Vec<f64>,
    /// Lower bound.
    pub lower: Vec<f64>,
    /// Upper bound.
    pub upper: Vec<f64>,
}

/// The seasons a forecast uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seasons {
    /// Period lengths, in steps, shortest first.
    pub periods: Vec<usize>,
    /// `given` or `detected`.
    pub source: String,
    /// Seasons left out, and why.
    pub notes: Vec<String>,
}

/// A period of `seconds` in words: `1d`, `7d`, `12h`, `90m`, `45s`.
pub fn period_label(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The seasons of `traffic`: `given` (seconds each) or detected; those the series does
/// not hold twice are left out with a note.
pub fn seasons(traffic: &Traffic, given: Option<&[i64]>) -> Result<Seasons, PlanError> {
    let n = traffic.values.len();
    let step = traffic.step_s;
    let (mut periods, source) = match given {
        Some(g) => {
            let mut p = Vec::new();
            for s in g {
                match traffic.steps(*s) {
                    Some(k) if k >= 2 => p.push(k),
                    _ => {
                        return Err(PlanError::Option {
                            name: "season",
                            reason: format!(
                            "{} is not a whole number (at least 2) of the series' {step}-s steps",
                            period_label(*s)
                        ),
                        })
                    }
                }
            }
            (p, "given")
        }
        None => (detect(&traffic.values, step), "detected"),
    };
    periods.sort_unstable();
    periods.dedup();
    let mut notes = Vec::new();
    periods.retain(|p| {
        let enough = n >= 2 * p;
        if !enough {
            notes.push(format!(
                "the {} season needs two seasons ({}) of data and the series has {}: left out",
                period_label(*p as i64 * step),
                period_label(2 * *p as i64 * step),
                span(n as i64 * step)
            ));
        }
        enough
    });
    if periods.is_empty() {
        notes.push("no season: the forecast is a trend (AutoETS) alone".into());
    }
    Ok(Seasons {
        periods,
        source: source.into(),
        notes,
    })
}

fn span(seconds: i64) -> String {
    if seconds >= 86_400 {
        format!("{:.1} days", seconds as f64 / 86_400.0)
    } else {
        format!("{:.1} h", seconds as f64 / 3600.0)
    }
}

/// Autocorrelation of `x` at `lag` (`x` has mean 0).
fn acf(x: &[f64], lag: usize) -> f64 {
    let var: f64 = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
    let n = x.len() - lag;
    let cov: f64 = (lag..x.len()).map(|t| x[t] * x[t - lag]).sum::<f64>() / n as f64;
    if var > 0.0 {
        cov / var
    } else {
        0.0
    }
}

/// The calendar seasons (a day, a week) the series shows: after removing a straight
/// trend, the autocorrelation at the season is above 0.3 and a peak, above its values
/// half a season before and after (a day) or a day before and after (a week) by 0.02.
/// A periodogram (augurs-seasons' Welch estimate) cannot resolve a weekly season in
/// a few weeks of data; the autocorrelation at the two candidate lags can.
fn detect(y: &[f64], step: i64) -> Vec<usize> {
    let n = y.len();
    let mean_t = (n as f64 - 1.0) / 2.0;
    let mean_y = y.iter().sum::<f64>() / n as f64;
    let (sxy, sxx) = y.iter().enumerate().fold((0.0, 0.0), |(a, b), (t, v)| {
        let dt = t as f64 - mean_t;
        (a + dt * (v - mean_y), b + dt * dt)
    });
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let x: Vec<f64> = y
        .iter()
        .enumerate()
        .map(|(t, v)| v - mean_y - slope * (t as f64 - mean_t))
        .collect();
    let mut out = Vec::new();
    let day = (86_400 % step == 0)
        .then_some((86_400 / step) as usize)
        .filter(|d| *d >= 2);
    let Some(day) = day else { return out };
    let r = |lag: usize| {
        if lag > 0 && lag < n {
            acf(&x, lag)
        } else {
            f64::NAN
        }
    };
    let peak = |c: usize, side: usize| {
        let (at, before, after) = (r(c), r(c - side), r(c + side));
        let beside = if after.is_nan() {
            before
        } else {
            before.max(after)
        };
        at > 0.3 && at >= beside + 0.02
    };
    if n >= 2 * day && peak(day, day / 2) {
        out.push(day);
    }
    if n >= 14 * day && peak(7 * day, day) {
        out.push(7 * day);
    }
    out
}

/// The standard normal's quantile at `p`.
pub fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(p)
}

fn err(method: Method, e: impl std::fmt::Display) -> PlanError {
    PlanError::Forecast {
        method: method.as_str(),
        reason: e.to_string(),
    }
}

/// Forecasts `horizon` steps after `y` with a band at `level` (0..1). Rates are not
/// negative, so neither is the band (`mstl-ets` clamps at 0).
pub fn forecast(
    method: Method,
    y: &[f64],
    periods: &[usize],
    horizon: usize,
    level: f64,
) -> Result<Band, PlanError> {
    match method {
        Method::MstlEts => mstl(y, periods, horizon, level),
        Method::SeasonalNaive => Ok(seasonal_naive(y, periods, horizon, level)),
    }
}

/// MSTL over `periods` with an AutoETS trend (AutoETS alone without periods).
fn mstl(y: &[f64], periods: &[usize], horizon: usize, level: f64) -> Result<Band, PlanError> {
    let method = Method::MstlEts;
    let f = if periods.is_empty() {
        AutoETS::non_seasonal()
            .fit(y)
            .and_then(|m| m.predict(horizon, level))
            .map_err(|e| err(method, e))?
    } else {
        MSTLModel::new(periods.to_vec(), AutoETS::non_seasonal().into_trend_model())
            .fit(y)
            .map_err(|e| err(method, e))?
            .predict(horizon, level)
            .map_err(|e| err(method, e))?
    };
    let i = f
        .intervals
        .ok_or_else(|| err(method, "no prediction interval"))?;
    let clamp = |v: Vec<f64>| v.into_iter().map(|x| x.max(0.0)).collect();
    Ok(Band {
        point: clamp(f.point),
        lower: clamp(i.lower),
        upper: clamp(i.upper),
    })
}

/// The seasonal-naive forecast over the longest season (the last value without one);
/// its band is normal with the seasonal differences' spread growing with the square
/// root of the seasons ahead (Hyndman & Athanasopoulos, 5.5).
fn seasonal_naive(y: &[f64], periods: &[usize], horizon: usize, level: f64) -> Band {
    let m = periods.iter().copied().max().unwrap_or(1).min(y.len() - 1);
    let n = y.len();
    let diffs: Vec<f64> = (m..n).map(|t| y[t] - y[t - m]).collect();
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let sd = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>()
        / (diffs.len().saturating_sub(1)).max(1) as f64)
        .sqrt();
    let z = normal_quantile(0.5 + level / 2.0);
    let mut b = Band {
        point: Vec::with_capacity(horizon),
        lower: Vec::with_capacity(horizon),
        upper: Vec::with_capacity(horizon),
    };
    for h in 0..horizon {
        let p = y[n - m + h % m];
        let w = z * sd * ((h / m + 1) as f64).sqrt();
        b.point.push(p);
        b.lower.push((p - w).max(0.0));
        b.upper.push(p + w);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hourly: a daily and a weekly season and a linear trend, no noise.
    fn seasonal(hours: usize) -> Vec<f64> {
        (0..hours)
            .map(|t| {
                let day = (2.0 * std::f64::consts::PI * t as f64 / 24.0).sin();
                let week = (2.0 * std::f64::consts::PI * t as f64 / 168.0).cos();
                500.0 + 0.5 * t as f64 + 150.0 * day + 80.0 * week
            })
            .collect()
    }

    fn hourly(values: Vec<f64>) -> Traffic {
        Traffic {
            start: 0,
            step_s: 3600,
            values,
            repairs: Default::default(),
        }
    }

    #[test]
    fn daily_and_weekly_seasons_are_found() {
        let s = seasons(&hourly(seasonal(24 * 35)), None).unwrap();
        assert_eq!(s.periods, vec![24, 168], "{s:?}");
        assert_eq!(s.source, "detected");
    }

    #[test]
    fn a_daily_season_with_noise_has_no_weekly_one() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let noise = Normal::new(0.0, 40.0).unwrap();
        for weekend in [false, true] {
            let y: Vec<f64> = (0..24 * 35)
                .map(|t| {
                    let day = (2.0 * std::f64::consts::PI * t as f64 / 24.0).sin();
                    let dip = if weekend && (t / 24) % 7 >= 5 {
                        0.6
                    } else {
                        1.0
                    };
                    (400.0 + 150.0 * day) * dip + noise.sample(&mut rng)
                })
                .collect();
            let s = seasons(&hourly(y), None).unwrap();
            let want = if weekend { vec![24, 168] } else { vec![24] };
            assert_eq!(s.periods, want, "weekend dip {weekend}");
        }
    }

    #[test]
    fn a_season_held_once_is_left_out_and_said() {
        let s = seasons(&hourly(seasonal(24 * 10)), Some(&[86_400, 7 * 86_400])).unwrap();
        assert_eq!(s.periods, vec![24]);
        assert!(
            s.notes[0].contains("the 7d season needs two seasons (14d)"),
            "{s:?}"
        );
        let e = seasons(&hourly(seasonal(48)), Some(&[5400])).unwrap_err();
        assert!(
            e.to_string()
                .contains("--season: 90m is not a whole number"),
            "{e}"
        );
    }

    #[test]
    fn season_plus_trend_is_forecast_within_5_percent() {
        let y = seasonal(24 * 42);
        let (train, test) = y.split_at(24 * 35);
        let b = forecast(Method::MstlEts, train, &[24, 168], test.len(), 0.9).unwrap();
        let worst = b
            .point
            .iter()
            .zip(test)
            .map(|(f, a)| (f - a).abs() / a)
            .fold(0.0, f64::max);
        assert!(worst < 0.05, "worst relative error {worst}");
        assert!(b.lower.iter().zip(&b.upper).all(|(l, u)| l <= u));
    }

    #[test]
    fn seasonal_naive_repeats_the_last_season() {
        let y: Vec<f64> = (0..48).map(|t| (t % 24) as f64).collect();
        let b = forecast(Method::SeasonalNaive, &y, &[24], 30, 0.9).unwrap();
        assert_eq!(b.point[0], 0.0);
        assert_eq!(b.point[25], 1.0);
        assert_eq!(b.upper, b.point, "no spread in a perfectly seasonal series");
    }
}
