//! From a forecast band and one replica's capacity to replicas: the replicas each step
//! needs at the band's upper bound, a schedule that scales out a lead time before the
//! need and in only after a cooldown, what each way of provisioning costs and how many
//! hours it leaves at risk, and when today's replicas run out.

use serde::{Deserialize, Serialize};

use super::forecast::{normal_quantile, Band};

/// Replicas needed at each step: `ceil(upper / capacity)`, at least `min`.
pub fn needed(band: &Band, capacity: f64, min: u32) -> Vec<u32> {
    band.upper
        .iter()
        .map(|u| ((u / capacity).ceil() as u32).max(min))
        .collect()
}

/// The schedule: at each step the most any step from `cooldown` steps before to `lead`
/// steps after needs (replicas arrive `lead` steps early and leave `cooldown` steps
/// after the need has passed).
pub fn schedule(need: &[u32], lead: usize, cooldown: usize) -> Vec<u32> {
    (0..need.len())
        .map(|t| {
            let from = t.saturating_sub(cooldown);
            let to = (t + lead + 1).min(need.len());
            need[from..to].iter().copied().max().unwrap_or(0)
        })
        .collect()
}

/// One way of provisioning over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provisioning {
    /// `schedule`, `static` (the peak all the time) or `current` (today's replicas).
    pub name: String,
    /// The most replicas at once.
    pub max_replicas: u32,
    /// Replica-hours over the horizon.
    pub replica_hours: f64,
    /// Cost over the horizon, when a replica's cost is known.
    pub cost: Option<f64>,
    /// Cost per day.
    pub cost_per_day: Option<f64>,
    /// Cost per million requests (of the central forecast).
    pub cost_per_million: Option<f64>,
    /// Hours in which the traffic exceeds the provisioned capacity with a probability
    /// above 1 − the confidence.
    pub hours_at_risk: f64,
}

/// What pricing needs: the forecast, the step, the replica's capacity and cost.
#[derive(Debug, Clone, Copy)]
pub struct Pricing<'a> {
    /// The forecast.
    pub band: &'a Band,
    /// Its level (the band's two-sided coverage) and the plan's confidence.
    pub level: f64,
    /// Seconds per step.
    pub step_s: i64,
    /// One replica's capacity, req/s.
    pub capacity: f64,
    /// Cost of a replica-hour.
    pub cost_per_hour: Option<f64>,
}

impl Pricing<'_> {
    /// The probability that the traffic at step `t` exceeds `capacity`: normal around
    /// the central forecast, its spread read off the band.
    pub fn exceed(&self, t: usize, capacity: f64) -> f64 {
        let z = normal_quantile(0.5 + self.level / 2.0);
        let (p, u) = (self.band.point[t], self.band.upper[t]);
        let sd = (u - p) / z;
        if sd <= 0.0 {
            return if p > capacity { 1.0 } else { 0.0 };
        }
        statrs::function::erf::erfc((capacity - p) / sd / std::f64::consts::SQRT_2) / 2.0
    }

    /// The figures of provisioning `replicas` per step.
    pub fn price(&self, name: &str, replicas: &[u32]) -> Provisioning {
        let hours = self.step_s as f64 / 3600.0;
        let replica_hours = replicas.iter().map(|r| f64::from(*r) * hours).sum::<f64>();
        let at_risk = (0..replicas.len())
            .filter(|t| self.exceed(*t, f64::from(replicas[*t]) * self.capacity) > 1.0 - self.level)
            .count();
        let days = replicas.len() as f64 * hours / 24.0;
        let requests = self.band.point.iter().sum::<f64>() * self.step_s as f64;
        let cost = self.cost_per_hour.map(|c| c * replica_hours);
        Provisioning {
            name: name.into(),
            max_replicas: replicas.iter().copied().max().unwrap_or(0),
            replica_hours,
            cost,
            cost_per_day: cost.map(|c| c / days),
            cost_per_million: cost.filter(|_| requests > 0.0).map(|c| c / requests * 1e6),
            hours_at_risk: at_risk as f64 * hours,
        }
    }
}

/// The alert level of a number of days to exhaustion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    /// Within the first threshold (7 days by default).
    P1,
    /// Within the second (30 days).
    P2,
    /// Later, or not within the horizon.
    P3,
}

/// When today's replicas run out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exhaustion {
    /// Today's replicas.
    pub replicas: u32,
    /// Their capacity, req/s.
    pub capacity: f64,
    /// The first step whose upper bound exceeds it (Unix seconds), if any.
    pub at: Option<i64>,
    /// Days from the end of the series to then.
    pub days: Option<f64>,
    /// The alert level.
    pub level: Level,
}

/// The first step where the band's upper bound exceeds `replicas × capacity`, as days
/// after `start`; P1 within `p1` days, P2 within `p2`, P3 after or never.
pub fn exhaustion(
    band: &Band,
    start: i64,
    step_s: i64,
    replicas: u32,
    capacity: f64,
    (p1, p2): (f64, f64),
) -> Exhaustion {
    let total = f64::from(replicas) * capacity;
    let first = band.upper.iter().position(|u| *u > total);
    let days = first.map(|i| i as f64 * step_s as f64 / 86_400.0);
    let level = match days {
        Some(d) if d <= p1 => Level::P1,
        Some(d) if d <= p2 => Level::P2,
        _ => Level::P3,
    };
    Exhaustion {
        replicas,
        capacity: total,
        at: first.map(|i| start + i as i64 * step_s),
        days,
        level,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(point: Vec<f64>, width: f64) -> Band {
        Band {
            lower: point.iter().map(|p| p - width).collect(),
            upper: point.iter().map(|p| p + width).collect(),
            point,
        }
    }

    #[test]
    fn the_schedule_leads_the_need_and_lags_its_end() {
        let need = [1, 1, 1, 1, 3, 1, 1, 1, 1, 1];
        assert_eq!(schedule(&need, 2, 3), vec![1, 1, 3, 3, 3, 3, 3, 3, 1, 1]);
        assert_eq!(schedule(&need, 0, 0), need.to_vec());
    }

    #[test]
    fn replicas_cost_and_risk() {
        // Hourly, 100 req/s per replica; the upper bound is point + 50.
        let b = band(vec![120.0, 340.0, 90.0, 90.0], 50.0);
        assert_eq!(needed(&b, 100.0, 2), vec![2, 4, 2, 2]);
        let p = Pricing {
            band: &b,
            level: 0.9,
            step_s: 3600,
            capacity: 100.0,
            cost_per_hour: Some(0.5),
        };
        let s = p.price("static", &[4, 4, 4, 4]);
        assert_eq!((s.max_replicas, s.replica_hours), (4, 16.0));
        assert_eq!(s.cost, Some(8.0));
        assert!((s.cost_per_day.unwrap() - 48.0).abs() < 1e-9);
        let requests = 640.0 * 3600.0;
        assert!((s.cost_per_million.unwrap() - 8.0 / requests * 1e6).abs() < 1e-9);
        assert_eq!(s.hours_at_risk, 0.0);
        // Two replicas: 200 req/s; step 1 (340 ± 50) certainly exceeds it, the others
        // are 80..110 req/s under it.
        let c = p.price("current", &[2, 2, 2, 2]);
        assert_eq!(c.hours_at_risk, 1.0);
        assert!(p.exceed(1, 200.0) > 0.99 && p.exceed(0, 200.0) < 0.01);
        // At the upper bound itself the probability is (1 − level) / 2.
        assert!((p.exceed(0, 170.0) - 0.05).abs() < 1e-9);
    }

    #[test]
    fn days_to_exhaustion_and_levels() {
        // Daily steps growing by 10 req/s a day from 100; 2 replicas of 100.
        let b = band((0..60).map(|d| 100.0 + 10.0 * f64::from(d)).collect(), 0.0);
        let e = exhaustion(&b, 1_000, 86_400, 2, 100.0, (7.0, 30.0));
        assert_eq!(e.days, Some(11.0));
        assert_eq!(e.at, Some(1_000 + 11 * 86_400));
        assert_eq!(e.level, Level::P2);
        assert_eq!(
            exhaustion(&b, 0, 86_400, 1, 100.0, (7.0, 30.0)).level,
            Level::P1
        );
        let never = exhaustion(&b, 0, 86_400, 9, 100.0, (7.0, 30.0));
        assert_eq!((never.days, never.level), (None, Level::P3));
    }
}
