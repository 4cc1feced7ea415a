//! `bottlenecks`: what limited the run, with evidence and what to do
//! ([`crate::analyze::bottleneck::classify`]).

use std::fmt::Write;

use crate::analyze::bottleneck::{classify, Bottleneck, Limits};
use crate::report::html::esc;
use crate::report::{Input, Page, Plugin};

/// The bottleneck classification.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bottlenecks;

impl Plugin for Bottlenecks {
    type Findings = Vec<Bottleneck>;
    fn name(&self) -> &'static str {
        "bottlenecks"
    }
    fn title(&self) -> &'static str {
        "Bottlenecks and recommendations"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<Bottleneck>, String> {
        let cores = input
            .details()
            .ok()
            .and_then(|d| d.first().map(|d| d.environment.cores))
            .unwrap_or(1);
        let limits = input.limits.unwrap_or(Limits {
            p95_us: f64::INFINITY,
            error_rate: 1.0,
        });
        Ok(classify(input.points, limits, cores))
    }
    fn render(&self, found: &Vec<Bottleneck>, _page: &Page<'_>) -> String {
        let mut h = String::from("<ul>");
        for b in found {
            let _ = write!(
                h,
                "<li><b>{}</b>: {}. <i>{}</i></li>",
                esc(&format!("{:?}", b.kind)),
                esc(&b.evidence),
                esc(&b.recommendation)
            );
        }
        h.push_str("</ul>");
        h
    }
}
