//! `breaking_point`: the breaking point a search found (`search.json`, written by
//! `perf-scenarios search` and the main job), read back as typed fields.

use serde::Serialize;

use crate::report::html::esc;
use crate::report::{Input, Page, Plugin};
use crate::search::SearchFile;

/// A search's breaking point.
#[derive(Debug, Clone, Serialize)]
pub struct BreakingPoint {
    /// The estimate, req/s.
    pub estimate: f64,
    /// The interval's lower end, req/s.
    pub low: f64,
    /// Its upper end (`None`: it may lie above the searched range).
    pub high: Option<f64>,
    /// What the interval is ("90% posterior interval", "pass/fail bracket", ...).
    pub label: String,
    /// Load runs the search took.
    pub runs: usize,
    /// The SLO that broke first, when the search named one.
    pub breaking_slo: Option<String>,
}

/// The breaking point from a search.
#[derive(Debug, Clone, Copy, Default)]
pub struct BreakingPointPlugin;

impl Plugin for BreakingPointPlugin {
    type Findings = BreakingPoint;
    fn name(&self) -> &'static str {
        "breaking_point"
    }
    fn title(&self) -> &'static str {
        "Breaking point"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<BreakingPoint, String> {
        let path = input
            .params
            .search
            .clone()
            .unwrap_or_else(|| perf_core::results::layout::search_json(input.dir()));
        if !path.exists() {
            return Err(format!(
                "no search in {}: run `perf-scenarios search`",
                path.display()
            ));
        }
        let f = SearchFile::read(&path).map_err(|e| e.to_string())?;
        let (Some(estimate), Some((low, high))) = (f.estimate, f.bounds()) else {
            return Err(format!(
                "the search in {} found no breaking point",
                path.display()
            ));
        };
        let confidence = f.confidence.unwrap_or(0.9);
        Ok(BreakingPoint {
            estimate,
            low,
            high,
            label: f.interval_kind.map_or_else(
                || format!("{:.0}% interval", confidence * 100.0),
                |k| k.label(confidence),
            ),
            runs: f.points.len(),
            breaking_slo: f.breaking_slo,
        })
    }
    fn render(&self, b: &BreakingPoint, _page: &Page<'_>) -> String {
        let high = b
            .high
            .map_or("above the range".to_string(), |h| format!("{h:.1} req/s"));
        let slo = b.breaking_slo.as_deref().map_or(String::new(), |s| {
            format!(" The SLO that breaks first: <code>{}</code>.", esc(s))
        });
        format!(
            "<p>Breaking point: <b>{:.1} req/s</b>, {} {:.1} .. {high}, found in {} load run(s).{slo}</p>",
            b.estimate,
            esc(&b.label),
            b.low,
            b.runs
        )
    }
}
