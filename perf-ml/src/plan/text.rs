//! The plan for the console.

use std::fmt::Write;

use super::forecast::period_label;
use super::traffic::format_time;
use super::{CapacityPlan, Level};

fn money(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |c| format!("{c:.2}"))
}

/// The plan as lines of text.
pub fn render(p: &CapacityPlan) -> String {
    let mut s = String::new();
    let t = &p.traffic;
    let _ = writeln!(
        s,
        "traffic: {} steps of {} from {} to {} (UTC); mean {:.1} req/s, peak {:.1}{}",
        t.points,
        period_label(t.step_s),
        format_time(t.start),
        format_time(t.end),
        t.mean,
        t.peak,
        if (t.scale - 1.0).abs() > 1e-12 {
            format!(" (scaled ×{})", t.scale)
        } else {
            String::new()
        }
    );
    let seasons: Vec<String> = p
        .seasons
        .periods
        .iter()
        .map(|k| period_label(*k as i64 * t.step_s))
        .collect();
    let _ = writeln!(
        s,
        "seasons ({}): {}",
        p.seasons.source,
        if seasons.is_empty() {
            "none".into()
        } else {
            seasons.join(", ")
        }
    );
    match &p.backtest {
        Some(b) => {
            let _ = writeln!(
                s,
                "backtest: {} origins a day apart, {} each ahead, {:.0}% band:",
                b.origins.len(),
                period_label(b.horizon as i64 * t.step_s),
                b.level * 100.0
            );
            for sc in &b.scores {
                let _ = writeln!(
                    s,
                    "  {:<15} WAPE {:>6.1}%   MAPE {:>6.1}%   band held {:>5.1}%, scaled ×{:.2} {:>5.1}% held out{}",
                    sc.method.as_str(),
                    sc.wape,
                    sc.mape,
                    sc.coverage * 100.0,
                    sc.factor,
                    sc.calibrated_coverage * 100.0,
                    if sc.method == b.better {
                        "   (better)"
                    } else {
                        ""
                    }
                );
            }
        }
        None => s.push_str("backtest: the series is too short for one\n"),
    }
    let last = p.forecast.point.len().saturating_sub(1);
    let _ = writeln!(
        s,
        "forecast: {} ({}), {} ahead; peak of the {:.0}% upper bound {:.1} req/s",
        p.method.as_str(),
        p.method_reason,
        period_label((last as i64 + 1) * t.step_s),
        p.confidence * 100.0,
        p.forecast.upper.iter().copied().fold(0.0, f64::max)
    );
    let c = &p.per_replica;
    let _ = writeln!(
        s,
        "one replica: {:.1} req/s at the SLO{}; sized with {:.1}",
        c.central,
        c.interval
            .map_or(" (no interval)".into(), |(lo, hi)| format!(
                ", 90% interval {lo:.1} .. {hi:.1}"
            )),
        c.used
    );
    let (lead, cool) = p.lead_cooldown_steps;
    let _ = writeln!(
        s,
        "schedule: scale out {} ahead of the need, in {} after it\n  {:<9} {:>5} {:>14} {:>10} {:>10} {:>12} {:>14}",
        period_label(lead as i64 * t.step_s),
        period_label(cool as i64 * t.step_s),
        "",
        "max",
        "replica-hours",
        "cost",
        "per day",
        "per 1M req",
        "hours at risk"
    );
    for v in &p.provisioning {
        let _ = writeln!(
            s,
            "  {:<9} {:>5} {:>14.1} {:>10} {:>10} {:>12} {:>14.1}",
            v.name,
            v.max_replicas,
            v.replica_hours,
            money(v.cost),
            money(v.cost_per_day),
            v.cost_per_million.map_or("-".into(), |c| format!("{c:.4}")),
            v.hours_at_risk
        );
    }
    if let Some(e) = &p.exhaustion {
        let when = match (e.at, e.days) {
            (Some(at), Some(d)) => format!(
                "on {} UTC, {d:.1} days from the end of the series",
                format_time(at)
            ),
            _ => "not within the horizon".into(),
        };
        let _ = writeln!(
            s,
            "exhaustion: {} replicas ({:.1} req/s) are exceeded by the upper bound {when}: {}",
            e.replicas,
            e.capacity,
            match e.level {
                Level::P1 => "P1",
                Level::P2 => "P2",
                Level::P3 => "P3",
            }
        );
    }
    for n in &p.notes {
        let _ = writeln!(s, "note: {n}");
    }
    s
}
