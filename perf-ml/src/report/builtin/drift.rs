//! `drift`: has the target moved against earlier runs (`report --history DIR`)? Runs
//! are the unit: for each endpoint at each point of this run, the median latency of the
//! matching point (same load and parameters) of every history run
//! ([`crate::analyze::drift`]).

use perf_core::results::layout;
use perf_core::results::{read_point, read_runs};
use perf_core::PointDetail;

use crate::analyze::drift::{Drift, DriftParams};
use crate::report::html::{esc, table};
use crate::report::{load_of, Input, Page, Plugin};

/// Drift against history.
#[derive(Debug, Clone, Copy, Default)]
pub struct DriftPlugin;

/// A run's value at a point: its median latency of successful requests there.
fn value(d: &PointDetail, endpoint: &str) -> Option<f64> {
    d.endpoints
        .iter()
        .find(|e| e.name == endpoint && e.requests > e.failures)
        .map(|e| e.p50_us as f64)
}

fn history(input: &Input<'_>) -> Result<Vec<Vec<PointDetail>>, String> {
    input
        .params
        .history
        .iter()
        .map(|h| {
            let rows = read_runs(&layout::runs_csv(h))
                .map_err(|_| format!("cannot read the history in {}", h.display()))?;
            Ok((0..rows.len())
                .filter_map(|i| read_point(&layout::point_json(h, i)).ok())
                .collect())
        })
        .collect()
}

impl Plugin for DriftPlugin {
    type Findings = Vec<Drift>;
    fn name(&self) -> &'static str {
        "drift"
    }
    fn title(&self) -> &'static str {
        "Drift against history"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<Drift>, String> {
        if input.params.history.is_empty() {
            return Err("no history given (report --history DIR)".into());
        }
        let judge = DriftParams::default();
        let runs = history(input)?;
        let mut pairs = Vec::new();
        for d in input
            .details()
            .unwrap_or_default()
            .iter()
            .filter(|d| d.row.complete)
        {
            let load = load_of(&d.row);
            for e in d
                .endpoints
                .iter()
                .filter(|e| !perf_core::record::is_browser(&e.name))
            {
                let Some(now) = value(d, &e.name) else {
                    continue;
                };
                let past: Vec<f64> = runs
                    .iter()
                    .filter_map(|run| {
                        run.iter()
                            .filter(|h| h.row.complete)
                            .find(|h| {
                                (load_of(&h.row) - load).abs() < 1e-9
                                    && h.row.params == d.row.params
                            })
                            .and_then(|h| value(h, &e.name))
                    })
                    .collect();
                pairs.push((format!("{} at {load}, {}", e.name, d.row.params), past, now));
            }
        }
        let judged: Vec<_> = pairs
            .iter()
            .filter(|(_, h, _)| h.len() >= judge.min_history)
            .collect();
        let out: Vec<Drift> = judged
            .iter()
            .filter_map(|(what, h, now)| judge.judge(what.clone(), h, *now, judged.len()))
            .collect();
        if out.is_empty() {
            let most = pairs.iter().map(|(_, h, _)| h.len()).max().unwrap_or(0);
            return Err(format!(
                "not enough history: at most {most} history run(s) match a point of this run (same load and parameters), at least {} needed",
                judge.min_history
            ));
        }
        Ok(out)
    }
    fn render(&self, v: &Vec<Drift>, _page: &Page<'_>) -> String {
        let rows: Vec<Vec<String>> = v
            .iter()
            .map(|d| {
                let hist: Vec<String> = d
                    .history
                    .iter()
                    .map(|x| format!("{:.2}", x / 1e3))
                    .collect();
                vec![
                    esc(&d.what),
                    hist.join(", "),
                    format!("{:.2}", d.current / 1e3),
                    format!("{:+.1}%", d.change * 100.0),
                    format!("{:.4} (limit {:.4})", d.p, d.p_limit),
                    if d.drifted {
                        "<span class=\"fail\">drift</span>".into()
                    } else {
                        "stable".into()
                    },
                ]
            })
            .collect();
        table(
            &[
                "endpoint and load",
                "history p50 ms (one per run)",
                "this run p50 ms",
                "change",
                "p (prediction interval, Bonferroni limit)",
                "verdict",
            ],
            &rows,
        )
    }
}
