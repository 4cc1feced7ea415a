//! `capacity_plan`: with a traffic series (`report --traffic FILE`), the plan of
//! [`crate::plan`] at the run's SLO and the scenario's model: the series and its forecast
//! band with the capacity of today's and of the scheduled replicas, the schedule as a
//! step chart, the cost table, the backtest, and the days to exhaustion with their alert
//! level. Its parameters are `plan`'s options (`capacity_plan.replicas=3`).

use std::fmt::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::plan::forecast::period_label;
use crate::plan::traffic::format_time;
use crate::plan::{per_replica, slo_limits_of, CapacityPlan, Level, PlanParams, Traffic, KEYS};
use crate::report::charts::{Chart, Series};
use crate::report::html::{esc, figure, table};
use crate::report::{Input, Page, Plugin};

/// The plan and the end of the series it was made from, for the chart.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSection {
    /// The traffic file.
    pub traffic: String,
    /// The plan.
    pub plan: CapacityPlan,
    /// The series' last two weeks (req/s, after scaling), one per step, ending where
    /// the forecast starts.
    pub recent: Vec<f64>,
}

/// The capacity plan section.
#[derive(Debug, Clone, Default)]
pub struct CapacityPlanPlugin {
    traffic: Option<PathBuf>,
    /// (p95 µs, error fraction) of an SLO given as a parameter.
    slo: Option<(f64, f64)>,
    params: PlanParams,
}

impl Plugin for CapacityPlanPlugin {
    type Findings = PlanSection;
    fn name(&self) -> &'static str {
        "capacity_plan"
    }
    fn title(&self) -> &'static str {
        "Capacity plan"
    }
    fn params(&self) -> Vec<(&'static str, &'static str)> {
        let mut p = vec![
            ("traffic", "the traffic series (what report --traffic sets)"),
            (
                "slo",
                "the SLO to plan for: p95<100ms,error-rate<1% [default: the run's]",
            ),
        ];
        p.extend(KEYS);
        p
    }
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        if key == "traffic" {
            self.traffic = Some(PathBuf::from(value));
            return Ok(());
        }
        if key == "slo" {
            self.slo = Some(slo_limits_of(value)?);
            return Ok(());
        }
        self.params.set(key, value)
    }
    fn analyze(&self, input: &Input<'_>) -> Result<PlanSection, String> {
        let path = self
            .traffic
            .as_ref()
            .ok_or("no traffic series: give one with report --traffic FILE")?;
        let (model_path, model) = input.model()?;
        let limits = self
            .slo
            .or(input.limits.map(|l| (l.p95_us, l.error_rate)))
            .ok_or(
                "the run has no p95 or error-rate SLO to plan against (capacity_plan.slo=...)",
            )?;
        let (capacity, interval) = per_replica(model, limits)
            .map_err(|e| format!("the model {} {e}", model_path.display()))?;
        let planner = self.params.clone().check().map_err(|e| e.to_string())?;
        let traffic = Traffic::read(path).map_err(|e| e.to_string())?;
        let plan = planner
            .plan(&traffic, capacity, interval)
            .map_err(|e| e.to_string())?;
        let keep = (14 * 86_400 / traffic.step_s).max(1) as usize;
        let from = traffic.values.len().saturating_sub(keep);
        Ok(PlanSection {
            traffic: path.display().to_string(),
            recent: traffic.values[from..]
                .iter()
                .map(|v| v * plan.traffic.scale)
                .collect(),
            plan,
        })
    }
    fn summary(&self, s: &PlanSection) -> Option<String> {
        let p = &s.plan;
        let sched = p.provisioning.first()?;
        let cost = sched
            .cost_per_day
            .map_or(String::new(), |c| format!(", {c:.2} a day"));
        let alert = p
            .exhaustion
            .as_ref()
            .map_or(String::new(), |e| match e.days {
                Some(d) => format!(
                    "; {} replicas run out in {d:.1} days ({:?})",
                    e.replicas, e.level
                ),
                None => format!("; {} replicas last the horizon ({:?})", e.replicas, e.level),
            });
        Some(format!(
            "capacity plan ({}): at most {} replicas on the schedule{cost}{alert}",
            p.method.as_str(),
            sched.max_replicas
        ))
    }
    fn render(&self, s: &PlanSection, _page: &Page<'_>) -> String {
        let p = &s.plan;
        let mut h = String::new();
        if let Some(e) = &p.exhaustion {
            let (class, word) = match e.level {
                Level::P1 => ("fail", "P1"),
                Level::P2 => ("fail", "P2"),
                Level::P3 => ("pass", "P3"),
            };
            let when = match (e.at, e.days) {
                (Some(at), Some(d)) => format!(
                    "the forecast's upper bound exceeds them on <b>{}</b> UTC, {d:.1} days after the series ends",
                    esc(&format_time(at))
                ),
                _ => "they hold through the horizon".into(),
            };
            let _ = write!(
                h,
                "<p><span class=\"{class}\">{word}</span> Today's {} replicas serve {:.1} req/s: {when}.</p>",
                e.replicas, e.capacity
            );
        }
        let _ = write!(
            h,
            "<p>Traffic {} ({} steps of {}); forecast by <b>{}</b> ({}). One replica: {:.1} req/s at the SLO{}; the plan sizes with {:.1}.</p>",
            esc(&s.traffic),
            p.traffic.points,
            period_label(p.traffic.step_s),
            p.method.as_str(),
            esc(&p.method_reason),
            p.per_replica.central,
            p.per_replica
                .interval
                .map_or(String::new(), |(lo, hi)| format!(" (90% interval {lo:.1} .. {hi:.1})")),
            p.per_replica.used
        );
        h.push_str(&figure("capacity-plan-forecast", &forecast_chart(s), &format!(
            "The series' last two weeks and the {} forecast with its {:.0}% band; lines at the capacity of today's and of the scheduled peak's replicas.",
            p.method.as_str(),
            p.confidence * 100.0
        )));
        h.push_str(&figure("capacity-plan-replicas", &replica_chart(p), &format!(
            "Replicas needed at the band's upper bound, and the schedule: out {} ahead of the need, in {} after it.",
            period_label(p.lead_cooldown_steps.0 as i64 * p.traffic.step_s),
            period_label(p.lead_cooldown_steps.1 as i64 * p.traffic.step_s)
        )));
        let money = |v: Option<f64>, d: usize| v.map_or("-".into(), |c| format!("{c:.d$}"));
        let rows: Vec<Vec<String>> = p
            .provisioning
            .iter()
            .map(|v| {
                vec![
                    esc(&v.name),
                    v.max_replicas.to_string(),
                    format!("{:.1}", v.replica_hours),
                    money(v.cost, 2),
                    money(v.cost_per_day, 2),
                    money(v.cost_per_million, 4),
                    format!("{:.1}", v.hours_at_risk),
                ]
            })
            .collect();
        h.push_str(&table(
            &[
                "provisioning",
                "max replicas",
                "replica-hours",
                "cost",
                "per day",
                "per 1M requests",
                "hours at risk",
            ],
            &rows,
        ));
        if let Some(b) = &p.backtest {
            let rows: Vec<Vec<String>> = b
                .scores
                .iter()
                .map(|sc| {
                    vec![
                        format!(
                            "{}{}",
                            sc.method.as_str(),
                            if sc.method == b.better {
                                " (better)"
                            } else {
                                ""
                            }
                        ),
                        format!("{:.1}%", sc.wape),
                        format!("{:.1}%", sc.mape),
                        format!("{:.1}%", sc.coverage * 100.0),
                        format!("{:.2}", sc.factor),
                        format!("{:.1}%", sc.calibrated_coverage * 100.0),
                    ]
                })
                .collect();
            let _ = write!(
                h,
                "<p>Backtest: {} origins a day apart, {} ahead each; the band's nominal level {:.0}%.</p>",
                b.origins.len(),
                period_label(b.horizon as i64 * p.traffic.step_s),
                b.level * 100.0
            );
            h.push_str(&table(
                &[
                    "method",
                    "WAPE",
                    "MAPE",
                    "band held",
                    "scaled by",
                    "scaled, held out",
                ],
                &rows,
            ));
        }
        if !p.notes.is_empty() {
            h.push_str("<ul>");
            for n in &p.notes {
                let _ = write!(h, "<li>{}</li>", esc(n));
            }
            h.push_str("</ul>");
        }
        h
    }
}

/// Days from the end of the series.
fn days(i: f64, step_s: i64) -> f64 {
    i * step_s as f64 / 86_400.0
}

fn forecast_chart(s: &PlanSection) -> Chart {
    let p = &s.plan;
    let step = p.traffic.step_s;
    let n = s.recent.len() as f64;
    let f = &p.forecast;
    let mut hlines = Vec::new();
    if let Some(e) = &p.exhaustion {
        hlines.push((e.capacity, format!("today's {} replicas", e.replicas)));
    }
    let peak = p.scheduled.iter().copied().max().unwrap_or(0);
    hlines.push((
        f64::from(peak) * p.per_replica.used,
        format!("scheduled peak, {peak} replicas"),
    ));
    Chart {
        title: "Traffic and forecast".into(),
        x_label: "days from the end of the series".into(),
        y_label: "req/s".into(),
        series: vec![
            Series {
                label: "traffic".into(),
                points: s
                    .recent
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (days(i as f64 - n, step), *v))
                    .collect(),
                markers: false,
                color: 0,
            },
            Series {
                label: format!("forecast ({})", p.method.as_str()),
                points: f
                    .point
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (days(i as f64, step), *v))
                    .collect(),
                markers: false,
                color: 3,
            },
        ],
        band: (0..f.point.len())
            .map(|i| (days(i as f64, step), f.lower[i], f.upper[i]))
            .collect(),
        band_label: Some(format!("{:.0}% band", p.confidence * 100.0)),
        hlines,
        ..Chart::default()
    }
}

/// A step line through `r` (one value per step).
fn steps(r: &[u32], step_s: i64) -> Vec<(f64, f64)> {
    r.iter()
        .enumerate()
        .flat_map(|(i, v)| {
            let y = f64::from(*v);
            [
                (days(i as f64, step_s), y),
                (days(i as f64 + 1.0, step_s), y),
            ]
        })
        .collect()
}

fn replica_chart(p: &CapacityPlan) -> Chart {
    Chart {
        title: "Replicas".into(),
        x_label: "days from the end of the series".into(),
        y_label: "replicas".into(),
        series: vec![
            Series {
                label: "needed".into(),
                points: steps(&p.needed, p.traffic.step_s),
                markers: false,
                color: 5,
            },
            Series {
                label: "scheduled".into(),
                points: steps(&p.scheduled, p.traffic.step_s),
                markers: false,
                color: 2,
            },
        ],
        ..Chart::default()
    }
}
