//! `timeline`: each point's aggregate per-second p95 and failures, charted with the
//! anomalies the anomaly plugin found shaded.

use serde::Serialize;

use crate::analyze::anomaly::{Anomaly, Severity};
use crate::report::charts::{Chart, Series};
use crate::report::html::figure;
use crate::report::{load_label, ticks, Input, Page, Plugin};

/// One second of a point.
#[derive(Debug, Clone, Serialize)]
pub struct Second {
    /// Second of the point.
    pub second: u64,
    /// Requests that finished in it.
    pub requests: u64,
    /// Of them, failed.
    pub failures: u64,
    /// p95 of its successes, µs.
    pub p95_us: u64,
}

/// One point's aggregate timeline.
#[derive(Debug, Clone, Serialize)]
pub struct PointTimeline {
    /// The point.
    pub point: usize,
    /// Its load, as a label.
    pub load: String,
    /// Its seconds.
    pub seconds: Vec<Second>,
}

/// Per-second timelines.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeline;

/// Charts drawn at most (a long sweep has many points).
const MAX_CHARTS: usize = 12;

fn severity_color(s: Severity) -> usize {
    match s {
        Severity::Critical => 1,
        Severity::Warning => 3,
        Severity::Advisory => 5,
    }
}

impl Plugin for Timeline {
    type Findings = Vec<PointTimeline>;
    fn name(&self) -> &'static str {
        "timeline"
    }
    fn title(&self) -> &'static str {
        "Timelines"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<PointTimeline>, String> {
        let t = input.timeline()?;
        Ok(input
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| PointTimeline {
                point: i,
                load: load_label(p),
                seconds: ticks(t, i)
                    .iter()
                    .map(|k| Second {
                        second: k.second,
                        requests: k.requests,
                        failures: k.failures,
                        p95_us: k.p95_us,
                    })
                    .collect(),
            })
            .collect())
    }
    fn render(&self, timelines: &Vec<PointTimeline>, page: &Page<'_>) -> String {
        let anomalies = page
            .findings::<Vec<Anomaly>>("anomalies")
            .map_or(&[][..], Vec::as_slice);
        let mut h = String::new();
        if timelines.len() > MAX_CHARTS {
            h.push_str(&format!(
                "<p>The first {MAX_CHARTS} of {} points.</p>",
                timelines.len()
            ));
        }
        for t in timelines.iter().take(MAX_CHARTS) {
            let mut c = Chart {
                title: format!("Point {}: {} — p95 per second", t.point, t.load),
                x_label: "second".into(),
                y_label: "p95, ms".into(),
                ..Chart::default()
            };
            c.series.push(Series {
                label: "p95".into(),
                points: t
                    .seconds
                    .iter()
                    .filter(|s| s.requests > 0)
                    .map(|s| (s.second as f64, s.p95_us as f64 / 1e3))
                    .collect(),
                markers: false,
                color: 0,
            });
            c.series.push(Series {
                label: "failed requests".into(),
                points: t
                    .seconds
                    .iter()
                    .filter(|s| s.failures > 0)
                    .map(|s| (s.second as f64, 0.0))
                    .collect(),
                markers: true,
                color: 1,
            });
            for a in anomalies.iter().filter(|a| a.point == t.point) {
                c.spans.push((
                    a.from_s as f64 - 0.5,
                    a.to_s as f64 + 0.5,
                    severity_color(a.severity),
                    format!("{:?}: {}", a.severity, a.metric),
                ));
            }
            h.push_str(&figure(
                &format!("chart-timeline-{}", t.point),
                &c,
                "p95 of each second; shaded: anomalies (red critical, orange warning, grey advisory); dots: seconds with failures.",
            ));
        }
        h
    }
}
