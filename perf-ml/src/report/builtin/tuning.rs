//! `tuning`: what `perf-scenarios tune` found (`tune.json`): the cheapest configuration
//! meeting the SLOs and its runners-up, each knob's weight, why it stopped, and the
//! scatter of cost against the worst SLO's value over its limit with the feasible
//! frontier (the cheapest configuration at each level of headroom).

use serde::Serialize;

use crate::report::charts::{Chart, Series};
use crate::report::html::{esc, figure, table};
use crate::report::{Input, Page, Plugin};
use crate::tune::report::{setting, slo_values, trim, TuneFile};
use crate::tune::{Sensitivity, TunePoint};

/// One configuration as the section shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TunedConfig {
    /// Its index among the points.
    pub point: usize,
    /// `site-workers=12 site-queue=40`.
    pub setting: String,
    /// Its cost.
    pub cost: f64,
    /// `p95<50ms 21.3ms ok, ...`.
    pub slo: String,
}

/// A tuning, read back.
#[derive(Debug, Clone, Serialize)]
pub struct Tuning {
    /// The rate the configurations had to carry, req/s.
    pub rate: f64,
    /// The cost expression.
    pub cost: String,
    /// ego, grid or random.
    pub strategy: String,
    /// Points measured.
    pub runs: usize,
    /// The cheapest configuration that met the SLOs.
    pub best: Option<TunedConfig>,
    /// The next cheapest.
    pub runners_up: Vec<TunedConfig>,
    /// Each knob's weight in the margin's model.
    pub sensitivity: Vec<Sensitivity>,
    /// Why it stopped.
    pub stop: String,
    /// Every evidence point: (cost, worst SLO value over its limit, met the SLOs).
    pub scatter: Vec<(f64, f64, bool)>,
}

/// The worst rule's observed value over its limit, from the margin: `1 / (1 − m)` while
/// passing, `e^m` while failing (the inverse of [`crate::search::margin::margin_of`]).
fn ratio(margin: f64) -> f64 {
    if margin <= 0.0 {
        1.0 / (1.0 - margin)
    } else {
        margin.exp()
    }
}

fn config(f: &TuneFile, i: usize) -> TunedConfig {
    let p: &TunePoint = &f.tune.points[i];
    TunedConfig {
        point: i,
        setting: setting(&f.tune.knobs, &p.values),
        cost: p.cost,
        slo: slo_values(p),
    }
}

/// The tuning of the results directory.
#[derive(Debug, Clone, Copy, Default)]
pub struct TuningPlugin;

impl Plugin for TuningPlugin {
    type Findings = Tuning;
    fn name(&self) -> &'static str {
        "tuning"
    }
    fn title(&self) -> &'static str {
        "Tuning"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Tuning, String> {
        let path = perf_core::results::layout::tune_json(input.dir());
        if !path.exists() {
            return Err(format!(
                "no tuning in {}: run `perf-scenarios tune`",
                path.display()
            ));
        }
        let f = TuneFile::read(&path)?;
        let t = &f.tune;
        Ok(Tuning {
            rate: f.rate,
            cost: t.cost.clone(),
            strategy: t.strategy.to_string(),
            runs: t.points.len(),
            best: t.best.map(|b| config(&f, b)),
            runners_up: t.runners_up.iter().map(|i| config(&f, *i)).collect(),
            sensitivity: t.sensitivity.clone(),
            stop: t.stop.to_string(),
            scatter: t
                .points
                .iter()
                .filter(|p| p.evidence())
                .filter_map(|p| Some((p.cost, ratio(p.margin?), p.feasible())))
                .collect(),
        })
    }
    fn render(&self, t: &Tuning, _page: &Page<'_>) -> String {
        let mut html = match &t.best {
            Some(b) => format!(
                "<p>Cheapest configuration meeting the SLOs at {} req/s: <b>{}</b> (cost {}), found by {} in {} load run(s).</p>",
                trim(t.rate),
                esc(&b.setting),
                trim(b.cost),
                esc(&t.strategy),
                t.runs
            ),
            None => format!(
                "<p>No configuration of the {} measured met the SLOs at {} req/s.</p>",
                t.runs,
                trim(t.rate)
            ),
        };
        let rows: Vec<Vec<String>> = t
            .best
            .iter()
            .map(|b| ("best", b))
            .chain(t.runners_up.iter().map(|r| ("runner-up", r)))
            .map(|(what, c)| {
                vec![
                    what.to_string(),
                    esc(&c.setting),
                    trim(c.cost),
                    esc(&c.slo),
                    c.point.to_string(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            html.push_str(&table(
                &["", "configuration", "cost", "SLOs", "point"],
                &rows,
            ));
        }
        if !t.sensitivity.is_empty() {
            let s: Vec<String> = t
                .sensitivity
                .iter()
                .map(|s| format!("{} {:.0}%", esc(&s.knob), s.share * 100.0))
                .collect();
            html.push_str(&format!(
                "<p>How much the SLO margin depends on each knob (ARD weights of its Gaussian process): {}.</p>",
                s.join(", ")
            ));
        }
        let mut frontier: Vec<(f64, f64)> = Vec::new();
        let mut sorted = t.scatter.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (c, r, _) in sorted {
            if frontier.last().is_none_or(|l| r < l.1) {
                frontier.push((c, r));
            }
        }
        let shown = |ok: bool| -> Vec<(f64, f64)> {
            t.scatter
                .iter()
                .filter(|p| p.2 == ok)
                .map(|p| (p.0, p.1.min(20.0)))
                .collect()
        };
        let chart = Chart {
            title: format!("Cost against the worst SLO at {} req/s", trim(t.rate)),
            x_label: format!("cost ({})", t.cost),
            y_label: "worst SLO value / its limit".into(),
            series: vec![
                Series {
                    label: "met the SLOs".into(),
                    points: shown(true),
                    markers: true,
                    color: 2,
                },
                Series {
                    label: "failed".into(),
                    points: shown(false),
                    markers: true,
                    color: 1,
                },
                Series {
                    label: "frontier: cheapest at each headroom".into(),
                    points: frontier
                        .into_iter()
                        .map(|(c, r)| (c, r.min(20.0)))
                        .collect(),
                    markers: false,
                    color: 0,
                },
            ],
            hlines: vec![(1.0, "SLO limit".into())],
            ..Chart::default()
        };
        html.push_str(&figure(
            "chart-tuning",
            &chart,
            "Each measured configuration; below the line it met every SLO.",
        ));
        html.push_str(&format!("<p>Stopped: {}.</p>", esc(&t.stop)));
        html
    }
    fn summary(&self, t: &Tuning) -> Option<String> {
        t.best.as_ref().map(|b| {
            format!(
                "tuning: cheapest configuration meeting the SLOs {} (cost {})",
                b.setting,
                trim(b.cost)
            )
        })
    }
}
