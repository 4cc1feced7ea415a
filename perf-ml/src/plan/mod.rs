//! The capacity plan: from a series of production request rates and one replica's
//! capacity at the SLO (a fitted model's) to a forecast, replicas per step, a scaling
//! schedule, its cost, and the days until today's replicas run out.
//!
//! - [`traffic`]: the series ([`Traffic::read`]: CSV `timestamp,rps` or a Prometheus
//!   `query_range` response; duplicates and short gaps repaired and counted).
//! - [`forecast`]: MSTL + AutoETS (augurs) and seasonal-naive forecasts with a band;
//!   seasons given or detected.
//! - [`backtest`]: both methods from rolling origins: MAPE and the band's coverage.
//! - [`schedule`]: replicas, the schedule, pricing, hours at risk, exhaustion.
//! - [`text`]: the plan for the console.
//!
//! [`PlanParams`] → [`PlanParams::check`] → [`Planner`] → [`Planner::plan`] →
//! [`CapacityPlan`] (serialized as `plan --json` prints it).
//!
//! ```
//! use perf_ml::plan::{PlanParams, Traffic};
//!
//! // Four weeks of hourly traffic with a daily season, growing 1 req/s a day.
//! let values = (0..24 * 28)
//!     .map(|t| 300.0 + t as f64 / 24.0 + 100.0 * (t as f64 * std::f64::consts::TAU / 24.0).sin())
//!     .collect();
//! let traffic = Traffic { start: 1_700_000_000, step_s: 3600, values, repairs: Default::default() };
//! let mut p = PlanParams::default();
//! p.set("replicas", "2")?;
//! p.set("replica_cost", "0.096/h")?;
//! let plan = p.check()?.plan(&traffic, 250.0, None)?;
//! assert!(plan.provisioning[0].max_replicas >= 2);
//! assert!(plan.exhaustion.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod backtest;
pub mod forecast;
pub mod schedule;
pub mod text;
pub mod traffic;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use backtest::Backtest;
pub use forecast::{Band, Method, Seasons};
pub use schedule::{Exhaustion, Level, Provisioning};
pub use traffic::{Repairs, Traffic};

/// What goes wrong in a capacity plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The traffic file cannot be used.
    #[error("traffic file {}: {reason}", path.display())]
    Traffic {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An option's value is wrong.
    #[error("--{name}: {reason}")]
    Option {
        /// The option, as on the command line.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A forecasting method failed on the series.
    #[error("the {method} forecast failed: {reason}")]
    Forecast {
        /// The method.
        method: &'static str,
        /// Its error.
        reason: String,
    },
}

/// The p95 (µs) and error-rate (fraction) limits of an SLO text such as
/// `p95<100ms,error-rate<1%`: what a plan sizes against.
pub fn slo_limits_of(slo: &str) -> Result<(f64, f64), String> {
    let slos = perf_core::parse_slos(slo).map_err(|e| e.to_string())?;
    crate::analyze::capacity::slo_limits(&slos).ok_or_else(|| {
        format!("'{slo}' has no p95 or error-rate rule on all requests to plan against")
    })
}

/// One replica's capacity at the limits `(p95 µs, error fraction)` from a fitted model,
/// with its 90% interval; why there is none (a model of users, or one that predicts the
/// SLO broken at its lowest load).
pub fn per_replica(
    model: &crate::model_file::ModelFile,
    (p95_us, error_rate): (f64, f64),
) -> Result<(f64, Option<(f64, f64)>), String> {
    if model.training.load_model != perf_core::ModelKind::Open {
        return Err("was fitted on closed-model data (users); a plan needs an arrival-rate model (a sweep of --rate)".into());
    }
    crate::analyze::capacity::capacity_at_slo(model, p95_us, error_rate)
        .map(|c| (c.load, c.interval))
        .ok_or_else(|| {
            "predicts the SLO broken even at its lowest load: no capacity to plan with".into()
        })
}

/// The plan's options, as `plan` takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanParams {
    /// How far ahead to forecast.
    pub horizon: Duration,
    /// The band's level and the risk threshold (0.9: a 90% band; a step is at risk when
    /// the traffic exceeds capacity with probability above 10%).
    pub confidence: f64,
    /// Cost of a replica-hour.
    pub replica_cost: Option<f64>,
    /// The fewest replicas at any time.
    pub min_replicas: u32,
    /// How long before the need replicas are added (start-up and autoscaler lag).
    pub scale_lead: Duration,
    /// How long after the need has passed replicas are removed.
    pub cooldown: Duration,
    /// Today's replicas (for the days to exhaustion and the `current` row).
    pub replicas: Option<u32>,
    /// The seasons, in seconds [default: detected].
    pub seasons: Option<Vec<i64>>,
    /// Multiplies the series (what if the traffic were twice as high).
    pub scale: f64,
    /// Days to exhaustion that make P1 and P2.
    pub alert_days: (f64, f64),
    /// The forecasting method [default: the better one in the backtest].
    pub method: Option<Method>,
}

impl Default for PlanParams {
    fn default() -> Self {
        Self {
            horizon: Duration::from_secs(14 * 86_400),
            confidence: 0.9,
            replica_cost: None,
            min_replicas: 1,
            scale_lead: Duration::from_secs(600),
            cooldown: Duration::from_secs(900),
            replicas: None,
            seasons: None,
            scale: 1.0,
            alert_days: (7.0, 30.0),
            method: None,
        }
    }
}

/// The keys [`PlanParams::set`] takes, with what each means and its default.
pub const KEYS: [(&str, &str); 11] = [
    ("horizon", "how far ahead to forecast: 14d (default), 36h"),
    (
        "confidence",
        "the forecast band's level and the risk threshold: 90% (default)",
    ),
    (
        "replica_cost",
        "cost of a replica: 0.096/h, 2.3/day, 70/month [default: none]",
    ),
    (
        "min_replicas",
        "the fewest replicas at any time [default: 1]",
    ),
    (
        "scale_lead",
        "how long before the need replicas are added [default: 10m]",
    ),
    (
        "cooldown",
        "how long after the need replicas are removed [default: 15m]",
    ),
    (
        "replicas",
        "today's replicas, for the days to exhaustion [default: none]",
    ),
    ("season", "the seasons: 1d,7d [default: detected]"),
    ("scale", "multiplies the traffic (a what-if) [default: 1]"),
    (
        "alert_days",
        "days to exhaustion that make P1 and P2: 7,30 (default)",
    ),
    (
        "method",
        "mstl-ets or seasonal-naive [default: the better in the backtest]",
    ),
];

fn duration(s: &str) -> Result<Duration, String> {
    perf_core::parse_duration(s)
        .ok_or_else(|| format!("'{s}' is not a duration such as 10m, 36h or 14d"))
}

/// Parses a confidence: `90%` or `0.9`, strictly between 50% and 100%.
pub fn parse_confidence(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("'{s}' is not a confidence such as 90%"))?;
    if v > 0.5 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("'{s}' must be above 50% and below 100%"))
    }
}

/// Parses a replica's cost per hour: `0.096/h`, `2.3/day`, `70/month` (730 h), or a
/// bare number per hour. Not negative.
pub fn parse_cost(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, hours) = match t.split_once('/') {
        None => (t, 1.0),
        Some((n, unit)) => (
            n,
            match unit.trim() {
                "h" | "hour" => 1.0,
                "d" | "day" => 24.0,
                "month" => 730.0,
                u => {
                    return Err(format!(
                        "'{s}': unknown unit '/{u}'; use /h, /day or /month"
                    ))
                }
            },
        ),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a cost such as 0.096/h"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("'{s}': a cost cannot be negative"));
    }
    Ok(v / hours)
}

/// Parses seasons: `1d,7d` (each a duration).
pub fn parse_seasons(s: &str) -> Result<Vec<i64>, String> {
    s.split(',')
        .map(|p| {
            let d = duration(p.trim())?;
            if d.as_secs() == 0 || d.subsec_nanos() != 0 {
                return Err(format!(
                    "season '{}' must be a whole number of seconds above 0",
                    p.trim()
                ));
            }
            Ok(d.as_secs() as i64)
        })
        .collect()
}

fn positive(s: &str, what: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not {what} above 0")),
    }
}

fn count(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a whole number of replicas of at least 1"
        )),
    }
}

impl PlanParams {
    /// Sets one option from its text (`report --plugin-param capacity_plan.KEY=VALUE`
    /// and the command line share these).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "horizon" => self.horizon = duration(value)?,
            "confidence" => self.confidence = parse_confidence(value)?,
            "replica_cost" => self.replica_cost = Some(parse_cost(value)?),
            "min_replicas" => self.min_replicas = count(value)?,
            "scale_lead" => self.scale_lead = duration(value)?,
            "cooldown" => self.cooldown = duration(value)?,
            "replicas" => self.replicas = Some(count(value)?),
            "season" => self.seasons = Some(parse_seasons(value)?),
            "scale" => self.scale = positive(value, "a factor")?,
            "alert_days" => {
                let (a, b) = value
                    .split_once(',')
                    .ok_or_else(|| format!("'{value}' is not two day counts such as 7,30"))?;
                self.alert_days = (positive(a, "a day count")?, positive(b, "a day count")?);
            }
            "method" => self.method = Some(value.trim().parse()?),
            _ => return Err(format!("has no parameter '{key}'")),
        }
        Ok(())
    }

    /// Checks the options together.
    pub fn check(self) -> Result<Planner, PlanError> {
        let bad = |name, reason: String| Err(PlanError::Option { name, reason });
        if self.horizon.as_secs() < 60 || self.horizon.as_secs() > 366 * 86_400 {
            return bad("horizon", "must be between 1 minute and 366 days".into());
        }
        if !(self.confidence > 0.5 && self.confidence < 1.0) {
            return bad("confidence", "must be above 50% and below 100%".into());
        }
        if let Some(c) = self.replica_cost.filter(|c| !c.is_finite() || *c < 0.0) {
            return bad("replica-cost", format!("{c} is negative; a cost cannot be"));
        }
        if self.min_replicas == 0 || self.replicas == Some(0) {
            return bad("min-replicas", "replicas must be at least 1".into());
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return bad("scale", format!("{} is not a factor above 0", self.scale));
        }
        let (p1, p2) = self.alert_days;
        if !(p1 > 0.0 && p2 > p1) {
            return bad(
                "alert-days",
                format!("P1 ({p1}) must be above 0 and below P2 ({p2})"),
            );
        }
        Ok(Planner { p: self })
    }
}

/// Validated options that make plans.
#[derive(Debug, Clone)]
pub struct Planner {
    p: PlanParams,
}

/// One replica's capacity as the plan uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerReplica {
    /// The model's central capacity at the SLO, req/s.
    pub central: f64,
    /// Its interval, when the model gives one.
    pub interval: Option<(f64, f64)>,
    /// What the plan sizes with: the interval's low end, else the central value.
    pub used: f64,
}

/// The series the plan read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrafficSummary {
    /// First timestamp, Unix seconds.
    pub start: i64,
    /// The first time after the series (where the forecast starts).
    pub end: i64,
    /// Seconds per step.
    pub step_s: i64,
    /// Steps.
    pub points: usize,
    /// The factor the series was multiplied by.
    pub scale: f64,
    /// Its mean and peak, req/s (after scaling).
    pub mean: f64,
    /// Its peak.
    pub peak: f64,
    /// What reading it repaired.
    pub repairs: Repairs,
}

/// A capacity plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityPlan {
    /// The series.
    pub traffic: TrafficSummary,
    /// The seasons used.
    pub seasons: Seasons,
    /// The backtest (`None` when the series is too short for one).
    pub backtest: Option<Backtest>,
    /// The method of the forecast below.
    pub method: Method,
    /// Why that method.
    pub method_reason: String,
    /// The band's level.
    pub confidence: f64,
    /// The forecast, one entry per step from `traffic.end`.
    pub forecast: Band,
    /// The factor the method's band was scaled by to hold its level in the backtest
    /// (`None`: no backtest, or no factor does).
    pub band_factor: Option<f64>,
    /// One replica's capacity.
    pub per_replica: PerReplica,
    /// Replicas each step needs at the band's upper bound.
    pub needed: Vec<u32>,
    /// The schedule.
    pub scheduled: Vec<u32>,
    /// The schedule's lead and cooldown, in steps.
    pub lead_cooldown_steps: (usize, usize),
    /// `schedule`, `static`, and `current` when today's replicas are known.
    pub provisioning: Vec<Provisioning>,
    /// When today's replicas run out (when they are known).
    pub exhaustion: Option<Exhaustion>,
    /// Things the reader should know: repairs, seasons left out, a narrow band.
    pub notes: Vec<String>,
}

impl Planner {
    /// The options.
    pub fn params(&self) -> &PlanParams {
        &self.p
    }

    /// The plan for `traffic` with one replica serving `capacity` req/s at the SLO
    /// (with its interval when known: the plan sizes with the interval's low end).
    pub fn plan(
        &self,
        traffic: &Traffic,
        capacity: f64,
        interval: Option<(f64, f64)>,
    ) -> Result<CapacityPlan, PlanError> {
        let p = &self.p;
        if !(capacity.is_finite() && capacity > 0.0) {
            return Err(PlanError::Option {
                name: "model",
                reason: format!("one replica's capacity is {capacity}; it must be above 0"),
            });
        }
        let step = traffic.step_s;
        let y: Vec<f64> = traffic.values.iter().map(|v| v * p.scale).collect();
        let mut notes = repair_notes(&traffic.repairs);
        let seasons = forecast::seasons(traffic, p.seasons.as_deref())?;
        notes.extend(seasons.notes.iter().cloned());
        let steps_of = |d: Duration| (d.as_secs() as i64 + step - 1) / step;
        let horizon = steps_of(p.horizon).max(1) as usize;
        let day = (86_400 / step).max(1) as usize;
        let bt = backtest::backtest(
            &y,
            &seasons.periods,
            horizon.min(7 * day),
            day,
            p.confidence,
        )?;
        let (method, method_reason) = match (p.method, &bt) {
            (Some(m), _) => (m, "chosen by --method".to_string()),
            (None, Some(b)) => (b.better, "the lower WAPE in the backtest".to_string()),
            (None, None) => (
                Method::MstlEts,
                "the series is too short for a backtest: MSTL + ETS by default".to_string(),
            ),
        };
        let mut band = forecast::forecast(method, &y, &seasons.periods, horizon, p.confidence)?;
        let score = bt.as_ref().and_then(|b| b.score(method));
        let band_factor = score.map(|s| s.factor).filter(|f| f.is_finite());
        match (score, band_factor) {
            (Some(s), Some(f)) => {
                scale_band(&mut band, f);
                notes.push(format!(
                    "the {:.0}% band is {}'s scaled ×{f:.2}, so that it holds its level in the backtest: unscaled it held {:.1}% of the actual values, scaled {:.1}% on origins it was not scaled on",
                    p.confidence * 100.0,
                    method.as_str(),
                    s.coverage * 100.0,
                    s.calibrated_coverage * 100.0
                ));
            }
            (Some(s), None) => notes.push(format!(
                "the {:.0}% band held {:.1}% of the backtest's actual values and no scaling makes it hold its level: it is too narrow, and the hours at risk are understated",
                p.confidence * 100.0,
                s.coverage * 100.0
            )),
            (None, _) => notes.push(format!(
                "without a backtest the {:.0}% band is {}'s own, not checked against data",
                p.confidence * 100.0,
                method.as_str()
            )),
        }
        let used = interval
            .map_or(capacity, |(lo, _)| lo.min(capacity))
            .max(f64::MIN_POSITIVE);
        let needed = schedule::needed(&band, used, p.min_replicas);
        let lead_cooldown_steps = (
            steps_of(p.scale_lead) as usize,
            steps_of(p.cooldown) as usize,
        );
        let scheduled = schedule::schedule(&needed, lead_cooldown_steps.0, lead_cooldown_steps.1);
        let pricing = schedule::Pricing {
            band: &band,
            level: p.confidence,
            step_s: step,
            capacity: used,
            cost_per_hour: p.replica_cost,
        };
        let peak = needed.iter().copied().max().unwrap_or(p.min_replicas);
        let mut provisioning = vec![
            pricing.price("schedule", &scheduled),
            pricing.price("static", &vec![peak; horizon]),
        ];
        let exhaustion = p.replicas.map(|r| {
            provisioning.push(pricing.price("current", &vec![r; horizon]));
            schedule::exhaustion(&band, traffic.end(), step, r, used, p.alert_days)
        });
        if p.replicas.is_none() {
            notes.push("today's replicas are not given (--replicas): no days to exhaustion".into());
        }
        Ok(CapacityPlan {
            traffic: TrafficSummary {
                start: traffic.start,
                end: traffic.end(),
                step_s: step,
                points: y.len(),
                scale: p.scale,
                mean: y.iter().sum::<f64>() / y.len() as f64,
                peak: y.iter().copied().fold(0.0, f64::max),
                repairs: traffic.repairs.clone(),
            },
            seasons,
            backtest: bt,
            method,
            method_reason,
            confidence: p.confidence,
            forecast: band,
            band_factor,
            per_replica: PerReplica {
                central: capacity,
                interval,
                used,
            },
            needed,
            scheduled,
            lead_cooldown_steps,
            provisioning,
            exhaustion,
            notes,
        })
    }
}

/// Scales the band's half-widths around the central forecast by `f` (not below 0).
fn scale_band(b: &mut Band, f: f64) {
    for i in 0..b.point.len() {
        let p = b.point[i];
        b.upper[i] = p + f * (b.upper[i] - p);
        b.lower[i] = (p - f * (p - b.lower[i])).max(0.0);
    }
}

fn repair_notes(r: &Repairs) -> Vec<String> {
    let mut notes = Vec::new();
    if r.duplicates > 0 {
        notes.push(format!(
            "{} duplicated timestamps: their values averaged",
            r.duplicates
        ));
    }
    if r.gaps > 0 {
        notes.push(format!(
            "{} gaps ({} steps) filled from a week or a day earlier, else linearly",
            r.gaps, r.filled
        ));
    }
    if r.series_summed > 1 {
        notes.push(format!(
            "{} Prometheus series summed per timestamp",
            r.series_summed
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_bad_values_are_named() {
        let mut p = PlanParams::default();
        p.set("replica_cost", "2.4/day").unwrap();
        assert!((p.replica_cost.unwrap() - 0.1).abs() < 1e-12);
        p.set("season", "1d,7d").unwrap();
        assert_eq!(p.seasons, Some(vec![86_400, 604_800]));
        p.set("confidence", "95%").unwrap();
        assert_eq!(p.confidence, 0.95);
        p.set("alert_days", "3,10").unwrap();
        assert_eq!(p.alert_days, (3.0, 10.0));
        for (k, v, want) in [
            ("replica_cost", "-0.1/h", "cannot be negative"),
            ("replica_cost", "1/week", "unknown unit '/week'"),
            ("confidence", "100%", "below 100%"),
            ("horizon", "soon", "not a duration"),
            ("replicas", "0", "at least 1"),
            ("season", "1d,,7d", "season '' must be"),
            ("alert_days", "30", "two day counts"),
            ("method", "prophet", "not a method"),
            ("scale", "-2", "above 0"),
            ("colour", "red", "has no parameter 'colour'"),
        ] {
            let e = PlanParams::default().set(k, v).unwrap_err();
            assert!(e.contains(want), "{k}={v}: {e}");
        }
        let p = PlanParams {
            alert_days: (30.0, 7.0),
            ..PlanParams::default()
        };
        assert!(p
            .check()
            .unwrap_err()
            .to_string()
            .starts_with("--alert-days: P1"));
        let p = PlanParams {
            horizon: Duration::from_secs(10),
            ..PlanParams::default()
        };
        assert!(p.check().unwrap_err().to_string().starts_with("--horizon"));
    }
}
