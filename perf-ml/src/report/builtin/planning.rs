//! `planning`: capacity at the SLO from the model, the queueing curve's saturation, the
//! scalability law, replicas for a target rate, and the runway at a growth rate.

use std::fmt::Write;

use serde::Serialize;

use crate::analyze::capacity::{capacity_at_slo, replicas_for, runway, Capacity, Replicas, Runway};
use crate::report::html::esc;
use crate::report::{Input, Page, Plugin};

/// The Universal Scalability Law's headline figures (closed-model data).
#[derive(Debug, Clone, Serialize)]
pub struct Usl {
    /// Concurrency of peak throughput.
    pub peak_concurrency: f64,
    /// That throughput, per second.
    pub max_throughput: f64,
}

/// Capacity planning.
#[derive(Debug, Clone, Serialize)]
pub struct Planning {
    /// At the SLO, from the model (`None`: broken even at the lowest load).
    pub capacity: Option<Capacity>,
    /// Where the queueing curve saturates.
    pub queue_capacity: Option<f64>,
    /// Peak concurrency and maximum throughput.
    pub usl: Option<Usl>,
    /// For the report's target rate.
    pub replicas: Option<Replicas>,
    /// For the report's current traffic and growth.
    pub runway: Option<Runway>,
}

/// Capacity planning.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanningPlugin;

impl Plugin for PlanningPlugin {
    type Findings = Planning;
    fn name(&self) -> &'static str {
        "planning"
    }
    fn title(&self) -> &'static str {
        "Capacity planning"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Planning, String> {
        let (_, m) = input.model()?;
        let l = input
            .limits
            .ok_or("the run has no p95 or error-rate SLO to plan against")?;
        let capacity = capacity_at_slo(m, l.p95_us, l.error_rate);
        let per = capacity.as_ref().map(|c| c.load);
        let p = input.params;
        Ok(Planning {
            queue_capacity: m.capacity,
            usl: m.usl.as_ref().map(|u| Usl {
                peak_concurrency: u.n_star,
                max_throughput: u.x_max,
            }),
            replicas: p.target_rate.zip(per).map(|(t, c)| replicas_for(t, c)),
            runway: match (p.current, p.growth, per) {
                (Some(cur), Some(g), Some(c)) => Some(runway(cur, g, c, p.today)),
                _ => None,
            },
            capacity,
        })
    }
    fn summary(&self, p: &Planning) -> Option<String> {
        let c = p.capacity.as_ref()?;
        let interval = match (c.interval, &c.note) {
            (Some((lo, hi)), _) => format!(", 90% interval {lo:.1} .. {hi:.1}"),
            (None, Some(note)) => format!(", interval {note}"),
            (None, None) => String::new(),
        };
        Some(format!(
            "capacity at the SLO (p95 < {:.1} ms, errors < {}%): {:.1} req/s{interval}, limited by {}",
            c.p95_limit_us / 1000.0,
            c.error_limit * 100.0,
            c.load,
            c.limited_by
        ))
    }
    fn render(&self, p: &Planning, _page: &Page<'_>) -> String {
        let mut h = String::from("<ul>");
        match &p.capacity {
            Some(c) => {
                let range = c.interval.map_or_else(
                    || "no 90% interval".to_string(),
                    |(lo, hi)| format!("90% interval {lo:.1} .. {hi:.1}"),
                );
                let note = c
                    .note
                    .as_deref()
                    .map_or(String::new(), |n| format!(" ({})", esc(n)));
                let _ = write!(
                    h,
                    "<li>Capacity at the SLO (p95 &lt; {:.1} ms, errors &lt; {:.2}%): <b>{:.1}</b>, limited by {}, {range}{note}{}</li>",
                    c.p95_limit_us / 1e3,
                    c.error_limit * 100.0,
                    c.load,
                    esc(&c.limited_by),
                    if c.extrapolated { " (above the tested loads: an extrapolation)" } else { "" }
                );
            }
            None => {
                h.push_str("<li>The model predicts the SLO is broken even at the lowest load.</li>")
            }
        }
        if let Some(q) = p.queue_capacity {
            let _ = write!(h, "<li>Queueing curve saturates at {q:.1}.</li>");
        }
        if let Some(u) = &p.usl {
            let _ = write!(
                h,
                "<li>Scalability law: peak concurrency N* = {:.1}, maximum throughput {:.1}/s.</li>",
                u.peak_concurrency, u.max_throughput
            );
        }
        if let Some(rp) = &p.replicas {
            let _ = write!(
                h,
                "<li>For {:.0} req/s: <b>{} replica(s)</b> of {:.1} req/s each.</li>",
                rp.target, rp.replicas, rp.per_replica
            );
        }
        if let Some(w) = &p.runway {
            let _ = write!(
                h,
                "<li>At {:.0} req/s growing {:.1}%/week, the SLO breaks in {:.1} weeks{}.</li>",
                w.current,
                w.weekly_growth * 100.0,
                w.weeks,
                w.date
                    .as_ref()
                    .map_or(String::new(), |d| format!(", on <b>{}</b>", esc(d)))
            );
        }
        h.push_str("</ul>");
        h
    }
}
