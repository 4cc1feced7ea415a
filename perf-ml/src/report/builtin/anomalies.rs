//! `anomalies`: stalls, error bursts and degradation inside each point's per-second
//! timeline ([`crate::analyze::anomaly`]).

use crate::analyze::anomaly::{Anomaly, AnomalyParams, Severity};
use crate::report::html::{esc, table};
use crate::report::{ticks, Input, Page, Plugin};

/// The anomaly detectors over every point's timeline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Anomalies;

impl Plugin for Anomalies {
    type Findings = Vec<Anomaly>;
    fn name(&self) -> &'static str {
        "anomalies"
    }
    fn title(&self) -> &'static str {
        "Anomalies"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<Anomaly>, String> {
        let t = input.timeline().map_err(|e| format!("no timeline: {e}"))?;
        let p = AnomalyParams::default();
        Ok((0..input.points.len())
            .flat_map(|i| p.detect(i, &ticks(t, i)))
            .collect())
    }
    fn summary(&self, found: &Vec<Anomaly>) -> Option<String> {
        let count = |s: Severity| found.iter().filter(|a| a.severity == s).count();
        Some(format!(
            "anomalies: {} critical, {} warning, {} advisory",
            count(Severity::Critical),
            count(Severity::Warning),
            count(Severity::Advisory)
        ))
    }
    fn render(&self, found: &Vec<Anomaly>, _page: &Page<'_>) -> String {
        if found.is_empty() {
            return "<p>No anomaly in any point.</p>".into();
        }
        let rows: Vec<Vec<String>> = found
            .iter()
            .map(|a| {
                let sev = format!("{:?}", a.severity).to_lowercase();
                vec![
                    a.point.to_string(),
                    format!("{} – {}", a.from_s, a.to_s),
                    format!("<span class=\"{sev}\">{sev}</span>"),
                    esc(&a.metric),
                    format!("{:.1}", a.peak_z),
                    esc(&a.detectors.join(", ")),
                    esc(&a.evidence),
                ]
            })
            .collect();
        table(
            &[
                "point",
                "seconds",
                "severity",
                "metric",
                "peak z",
                "detectors",
                "evidence",
            ],
            &rows,
        )
    }
}
