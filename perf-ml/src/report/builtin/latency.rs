//! `latency`: the measured latency and error rate per load, charted with the model's
//! curves, the SLO limits and the breaking point's interval when those plugins have them.

use serde::Serialize;

use super::{BreakingPoint, ModelView};
use crate::report::charts::{Chart, Series};
use crate::report::html::figure;
use crate::report::{load_of, Input, Page, Plugin};

/// One point as the curves show it.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// The point.
    pub point: usize,
    /// Its load (req/s or users).
    pub load: f64,
    /// Median latency of successes, µs.
    pub p50_us: u64,
    /// p95 of successes, µs.
    pub p95_us: u64,
    /// Failed share of requests.
    pub error_rate: f64,
}

/// Latency and errors vs load.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency;

fn latency_chart(m: &[Measured], page: &Page<'_>, open: bool) -> Chart {
    let mut c = Chart {
        title: "Latency vs load".into(),
        x_label: if open { "offered load, req/s" } else { "users" }.into(),
        y_label: "latency, ms".into(),
        ..Chart::default()
    };
    let measured = |label: &str, color, us: &dyn Fn(&Measured) -> u64| Series {
        label: label.into(),
        points: m.iter().map(|x| (x.load, us(x) as f64 / 1e3)).collect(),
        markers: true,
        color,
    };
    c.series.push(measured("p50 measured", 2, &|x| x.p50_us));
    c.series.push(measured("p95 measured", 1, &|x| x.p95_us));
    if let Some(model) = page.findings::<ModelView>("model") {
        if model.p95_interval {
            c.band = model
                .p95_curve
                .iter()
                .map(|x| (x.load, x.low_us / 1e3, x.high_us / 1e3))
                .collect();
        }
        c.series.push(Series {
            label: format!("p95 model ({})", model.chosen),
            points: model
                .p95_curve
                .iter()
                .map(|x| (x.load, x.p95_us / 1e3))
                .collect(),
            markers: false,
            color: 0,
        });
    }
    if let Some(l) = page.report.limits.filter(|l| l.p95_us.is_finite()) {
        c.hlines.push((
            l.p95_us / 1e3,
            format!("SLO p95 < {:.0} ms", l.p95_us / 1e3),
        ));
    }
    if let Some(b) = page.findings::<BreakingPoint>("breaking_point") {
        let top = m.iter().map(|x| x.load).fold(b.estimate, f64::max);
        c.spans.push((
            b.low,
            b.high.unwrap_or(f64::INFINITY).min(top * 1.2),
            3,
            format!("breaking point {:.0} ({})", b.estimate, b.label),
        ));
    }
    c
}

fn error_chart(m: &[Measured], page: &Page<'_>) -> Chart {
    let mut c = Chart {
        title: "Error rate vs load".into(),
        x_label: "offered load".into(),
        y_label: "failed requests, %".into(),
        ..Chart::default()
    };
    c.series.push(Series {
        label: "measured".into(),
        points: m.iter().map(|x| (x.load, x.error_rate * 100.0)).collect(),
        markers: true,
        color: 1,
    });
    if let Some(model) = page.findings::<ModelView>("model") {
        c.series.push(Series {
            label: "failure model".into(),
            points: model
                .failure_curve
                .iter()
                .map(|x| (x.load, x.probability * 100.0))
                .collect(),
            markers: false,
            color: 0,
        });
    }
    if let Some(l) = page.report.limits.filter(|l| l.error_rate < 1.0) {
        c.hlines.push((
            l.error_rate * 100.0,
            format!("SLO error rate < {:.2}%", l.error_rate * 100.0),
        ));
    }
    c
}

impl Plugin for Latency {
    type Findings = Vec<Measured>;
    fn name(&self) -> &'static str {
        "latency"
    }
    fn title(&self) -> &'static str {
        "Latency and errors vs load"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<Measured>, String> {
        Ok(input
            .points
            .iter()
            .enumerate()
            .map(|(point, p)| Measured {
                point,
                load: load_of(p),
                p50_us: p.p50_us,
                p95_us: p.p95_us,
                error_rate: p.error_rate,
            })
            .collect())
    }
    fn render(&self, m: &Vec<Measured>, page: &Page<'_>) -> String {
        let mut h = String::new();
        if m.len() < 2 {
            h.push_str("<p class=\"missing\">One load point: the curves need at least two.</p>");
        }
        let open = page.report.points.iter().any(|p| p.target_rps.is_some());
        let band = match page.findings::<ModelView>("model") {
            Some(model) if !model.p95_interval => format!(
                " (no 90% prediction interval: it needs at least {} training points)",
                crate::cv::conformal_minimum(crate::cv::ALPHA)
            ),
            _ => " with its 90% prediction interval".to_string(),
        };
        h.push_str(&figure(
            "chart-latency",
            &latency_chart(m, page, open),
            &format!("Measured p50/p95 per point; the fitted p95 curve{band}; the SLO; the breaking point's interval."),
        ));
        h.push_str(&figure(
            "chart-errors",
            &error_chart(m, page),
            "Measured error rate per point and the fitted failure curve.",
        ));
        h
    }
}
