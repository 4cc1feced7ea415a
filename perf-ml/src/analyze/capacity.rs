//! Capacity planning from a fitted model file: the highest load meeting a p95 limit and
//! an error limit, with a 90% interval from the latency model's conformal interval and
//! the failure curve's profile-likelihood interval; peak
//! concurrency and maximum throughput from the scalability law (closed-model data),
//! replicas for a target rate, and the date steady traffic growth breaks the SLO.

use perf_core::slo::SloMetric;
use perf_core::Slo;
use serde::{Deserialize, Serialize};

use crate::latency::Predict;
use crate::model_file::ModelFile;

/// Capacity at an SLO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// The p95 limit, µs.
    pub p95_limit_us: f64,
    /// The error-rate limit (fraction).
    pub error_limit: f64,
    /// Highest load meeting both by the models' central predictions.
    pub load: f64,
    /// What limits it: `p95`, `errors`, or `neither` (both hold up to the top of the
    /// range searched, 4× the highest trained load).
    pub limited_by: String,
    /// 90% interval: the lower ends and the upper ends of the two limits' intervals
    /// (each limit's load is the lower of the two). `None` when the limiting side has
    /// none; `note` says why. In JSON `{"low": .., "high": ..}`.
    #[serde(with = "low_high")]
    pub interval: Option<(f64, f64)>,
    /// What the interval leaves out, when anything.
    pub note: Option<String>,
    /// Whether the answer is above the highest trained load (an extrapolation).
    pub extrapolated: bool,
}

/// The highest load (log-spaced scan of 400 steps over a decade below to 4× above the
/// trained range, then bisection) at which `ok(load)` holds; `None` when the lowest fails.
fn highest(lo: f64, hi: f64, ok: impl Fn(f64) -> bool) -> Option<f64> {
    let steps = 400;
    let at = |i: usize| lo * (hi / lo).powf(i as f64 / steps as f64);
    if !ok(lo) {
        return None;
    }
    let first_fail = (1..=steps).find(|i| !ok(at(*i)));
    let Some(f) = first_fail else {
        return Some(hi);
    };
    let (mut a, mut b) = (at(f - 1), at(f));
    for _ in 0..40 {
        let m = (a * b).sqrt();
        if ok(m) {
            a = m;
        } else {
            b = m;
        }
    }
    Some(a)
}

/// One limit: its central load and its interval, if known.
struct Limit {
    load: f64,
    interval: Option<(f64, f64)>,
}

fn latency_limit(m: &ModelFile, p95_limit_us: f64, lo: f64, hi: f64) -> Option<Limit> {
    let params = &m.training.default_params;
    let under =
        |factor: f64| move |l: f64| m.latency.predict(l, params)[1] * factor <= p95_limit_us;
    let load = highest(lo, hi, under(1.0))?;
    let interval = m.chosen_cv().and_then(|c| c.log_resid_q).map(|q| {
        let (down, up) = q[1];
        (
            highest(lo, hi, under(up.exp())).unwrap_or(lo).min(load),
            highest(lo, hi, under(down.exp())).unwrap_or(hi).max(load),
        )
    });
    Some(Limit { load, interval })
}

fn error_limit(m: &ModelFile, limit: f64, lo: f64, hi: f64) -> Option<Limit> {
    let params = &m.training.default_params;
    let f = &m.failure;
    let load = highest(lo, hi, |l| f.model.probability(l, params) <= limit)?;
    let interval = if load >= hi {
        // Not reached in the range: the fitted curve stays under the limit throughout.
        Some((hi, hi))
    } else {
        f.load_interval(limit, params, (lo, hi), 0.9)
            .map(|i| (i.lo.unwrap_or(lo), i.hi.unwrap_or(hi)))
    };
    Some(Limit { load, interval })
}

/// The p95 limit (µs) and error-rate limit (a fraction) among SLO rules on all
/// requests: what a model can plan against. A missing one is no limit; `None` when both
/// are missing.
pub fn slo_limits(slos: &[Slo]) -> Option<(f64, f64)> {
    let (mut p95, mut err) = (None, None);
    for s in slos.iter().filter(|s| s.endpoint.is_none()) {
        match s.metric {
            SloMetric::Percentile(p) if (p - 95.0).abs() < 1e-9 => p95 = Some(s.limit),
            SloMetric::ErrorRate => err = Some(s.limit / 100.0),
            _ => {}
        }
    }
    match (p95, err) {
        (None, None) => None,
        (p, e) => Some((p.unwrap_or(f64::INFINITY), e.unwrap_or(1.0))),
    }
}

/// Capacity of the model's scenario at `p95_limit_us` and `error_limit`.
pub fn capacity_at_slo(m: &ModelFile, p95_limit_us: f64, error_limit: f64) -> Option<Capacity> {
    let (lo, hi) = m.training.load_range;
    let (lo, hi) = (lo / 10.0, hi * 4.0);
    let lat = latency_limit(m, p95_limit_us, lo, hi)?;
    let err = self::error_limit(m, error_limit, lo, hi)?;
    let load = lat.load.min(err.load);
    let limited_by = if load >= hi {
        "neither"
    } else if lat.load <= err.load {
        "p95"
    } else {
        "errors"
    };
    let (interval, note) = match (lat.interval, err.interval) {
        (Some(a), Some(b)) => (Some((a.0.min(b.0), a.1.min(b.1))), None),
        // The latency side has no interval: its central crossing stands for it when it
        // does not limit (then only the error side's interval is known).
        (None, Some(b)) if limited_by == "errors" => (
            Some((b.0.min(lat.load), b.1.min(lat.load))),
            Some(format!(
                "the latency model has no 90% interval (fewer than {} points): the range is the error limit's",
                crate::cv::conformal_minimum(crate::cv::ALPHA)
            )),
        ),
        (None, _) => (
            None,
            Some(format!(
                "not available: the latency model's interval needs at least {} training points",
                crate::cv::conformal_minimum(crate::cv::ALPHA)
            )),
        ),
        (Some(_), None) => (
            None,
            Some("not available: the failure curve gives no interval for this limit".into()),
        ),
    };
    Some(Capacity {
        p95_limit_us,
        error_limit,
        load,
        limited_by: limited_by.into(),
        interval,
        note,
        extrapolated: load > m.training.load_range.1,
    })
}

/// Replicas needed for a target rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replicas {
    /// The rate to serve.
    pub target: f64,
    /// One replica's capacity at the SLO.
    pub per_replica: f64,
    /// Replicas needed, assuming replicas add capacity linearly (a load balancer in
    /// front, no shared bottleneck).
    pub replicas: u32,
}

/// `ceil(target / per_replica)`, at least 1.
pub fn replicas_for(target: f64, per_replica: f64) -> Replicas {
    Replicas {
        target,
        per_replica,
        replicas: ((target / per_replica).ceil() as u32).max(1),
    }
}

/// When steady growth reaches the capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Runway {
    /// Today's traffic.
    pub current: f64,
    /// Growth per week (0.05 = 5%).
    pub weekly_growth: f64,
    /// The capacity it grows into.
    pub capacity: f64,
    /// Weeks until the capacity is reached (0 when already there).
    pub weeks: f64,
    /// That date (YYYY-MM-DD), `None` when the traffic does not grow.
    pub date: Option<String>,
}

/// `weeks = ln(capacity / current) / ln(1 + growth)` from `today`.
pub fn runway(current: f64, weekly_growth: f64, capacity: f64, today: chrono::NaiveDate) -> Runway {
    let weeks = if current >= capacity {
        0.0
    } else if weekly_growth <= 0.0 {
        f64::INFINITY
    } else {
        (capacity / current).ln() / (1.0 + weekly_growth).ln()
    };
    let date = weeks.is_finite().then(|| {
        (today + chrono::Duration::days((weeks * 7.0).floor() as i64))
            .format("%Y-%m-%d")
            .to_string()
    });
    Runway {
        current,
        weekly_growth,
        capacity,
        weeks,
        date,
    }
}

/// Parses a growth rate: `5%/week`, `1%/day`, `10%/month` (30 days), `0.05` (per
/// week); returns it per week.
pub fn parse_growth(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, per_days) = match t.split_once('/') {
        Some((n, unit)) => {
            let days = match unit.trim() {
                "day" | "d" => 1.0,
                "week" | "w" | "wk" => 7.0,
                "month" | "mo" => 30.0,
                "year" | "y" => 365.0,
                other => {
                    return Err(format!(
                        "unknown period '{other}'; use /day, /week, /month or /year"
                    ))
                }
            };
            (n.trim(), days)
        }
        None => (t, 7.0),
    };
    let v = match num.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => num.parse::<f64>(),
    }
    .map_err(|_| format!("'{s}' is not a growth rate such as 5%/week"))?;
    if !(v.is_finite() && v > -1.0 && v <= 10.0) {
        return Err(format!(
            "'{s}': growth must be above -100% and at most 1000% per period"
        ));
    }
    Ok((1.0 + v).powf(7.0 / per_days) - 1.0)
}

/// Parses a rate such as `300rps`, `300 req/s` or `300`.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let num = t
        .strip_suffix("rps")
        .or_else(|| t.strip_suffix("req/s"))
        .unwrap_or(t)
        .trim();
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a rate such as 300rps")),
    }
}

/// An optional (low, high) pair as `{"low": .., "high": ..}` or `null` in JSON.
mod low_high {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct LowHigh {
        low: f64,
        high: f64,
    }

    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(v: &Option<(f64, f64)>, s: S) -> Result<S::Ok, S::Error> {
        v.map(|(low, high)| LowHigh { low, high }).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(f64, f64)>, D::Error> {
        Ok(Option::<LowHigh>::deserialize(d)?.map(|x| (x.low, x.high)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_and_rates_parse() {
        assert!((parse_growth("5%/week").unwrap() - 0.05).abs() < 1e-12);
        assert!((parse_growth("1%/day").unwrap() - (1.01f64.powi(7) - 1.0)).abs() < 1e-12);
        assert!((parse_growth("0.05").unwrap() - 0.05).abs() < 1e-12);
        assert!(parse_growth("5%/fortnight")
            .unwrap_err()
            .contains("unknown period"));
        assert!(parse_growth("fast").is_err());
        assert!(parse_growth("-100%/week").is_err());
        assert_eq!(parse_rate("300rps").unwrap(), 300.0);
        assert_eq!(parse_rate("300 req/s").unwrap(), 300.0);
        assert!(parse_rate("0rps").is_err() && parse_rate("lots").is_err());
    }

    #[test]
    fn runway_of_5_percent_a_week() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        // 300 → 400 at 5%/week: ln(4/3)/ln(1.05) = 5.896 weeks = 41 days after 23 Nov.
        let r = runway(300.0, 0.05, 400.0, today);
        assert!((r.weeks - 5.896).abs() < 1e-3);
        assert_eq!(r.date.as_deref(), Some("2027-01-03"));
        assert_eq!(runway(500.0, 0.05, 400.0, today).weeks, 0.0);
        assert_eq!(runway(300.0, 0.0, 400.0, today).date, None);
    }

    #[test]
    fn replicas_round_up() {
        assert_eq!(replicas_for(1000.0, 400.0).replicas, 3);
        assert_eq!(replicas_for(10.0, 400.0).replicas, 1);
    }

    #[test]
    fn highest_finds_the_edge() {
        let h = highest(1.0, 1000.0, |l| l <= 123.0).unwrap();
        assert!((h - 123.0).abs() < 1e-6);
        assert_eq!(highest(1.0, 1000.0, |_| true), Some(1000.0));
        assert_eq!(highest(1.0, 1000.0, |_| false), None);
    }
}
