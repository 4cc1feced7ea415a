//! `slo`: every SLO verdict of every point, as the run judged it.

use serde::Serialize;

use crate::report::html::{esc, table, verdict};
use crate::report::{Input, Page, Plugin};

/// One SLO at one point.
#[derive(Debug, Clone, Serialize)]
pub struct SloRow {
    /// The point.
    pub point: usize,
    /// The rule as written (`p95<100ms`).
    pub rule: String,
    /// What was measured, in the rule's unit.
    pub observed: String,
    /// Whether the point met it.
    pub pass: bool,
}

/// The SLO verdicts.
#[derive(Debug, Clone, Copy, Default)]
pub struct SloPlugin;

impl Plugin for SloPlugin {
    type Findings = Vec<SloRow>;
    fn name(&self) -> &'static str {
        "slo"
    }
    fn title(&self) -> &'static str {
        "SLO verdicts"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<SloRow>, String> {
        let details = input.details()?;
        if details.iter().all(|d| d.slo.is_empty()) {
            return Err("the run judged no SLOs".into());
        }
        Ok(details
            .iter()
            .flat_map(|d| {
                d.slo.iter().map(move |v| SloRow {
                    point: d.index,
                    rule: v.slo.rule.clone(),
                    observed: v.observed_text(),
                    pass: v.pass,
                })
            })
            .collect())
    }
    fn render(&self, rows: &Vec<SloRow>, _page: &Page<'_>) -> String {
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.point.to_string(),
                    esc(&r.rule),
                    esc(&r.observed),
                    verdict(r.pass),
                ]
            })
            .collect();
        table(&["point", "rule", "observed", "verdict"], &rows)
    }
}
