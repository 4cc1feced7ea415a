//! `model`: the scenario's latest latency and failure models (from `fit`), as curves
//! over the trained range ±20%, with their cross-validated error; marked stale when the
//! drift plugin finds the target has moved.

use std::fmt::Write;

use serde::Serialize;

use crate::analyze::drift::Drift;
use crate::latency::Predict;
use crate::model_file::ModelFile;
use crate::report::html::esc;
use crate::report::{Input, Page, Plugin};

/// One point of the p95 curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    /// Load.
    pub load: f64,
    /// Predicted p95, µs.
    pub p95_us: f64,
    /// 90% prediction interval, µs (equal to `p95_us` without an interval).
    pub low_us: f64,
    /// Its upper end.
    pub high_us: f64,
}

/// One point of the failure curve.
#[derive(Debug, Clone, Serialize)]
pub struct FailurePoint {
    /// Load.
    pub load: f64,
    /// Predicted probability that a request fails.
    pub probability: f64,
}

/// The model as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelView {
    /// The file.
    pub path: String,
    /// Its version.
    pub version: u32,
    /// The chosen latency model.
    pub chosen: String,
    /// Its cross-validated mean absolute percentage error of p95, when known.
    pub cv_mape_p95: Option<f64>,
    /// The p95 curve.
    pub p95_curve: Vec<CurvePoint>,
    /// Whether the model has a 90% prediction interval (enough training points).
    pub p95_interval: bool,
    /// The failure probability curve.
    pub failure_curve: Vec<FailurePoint>,
}

impl ModelView {
    /// `m`'s curves over its trained range ±20%.
    pub fn of(path: &std::path::Path, m: &ModelFile) -> Self {
        let (lo, hi) = m.training.load_range;
        let (lo, hi) = (lo * 0.8, hi * 1.2);
        let interval = m.chosen_cv().and_then(|c| c.log_resid_q);
        let q = interval.map_or((0.0, 0.0), |q| q[1]);
        let params = &m.training.default_params;
        let loads: Vec<f64> = (0..=80)
            .map(|i| lo + (hi - lo) * f64::from(i) / 80.0)
            .collect();
        Self {
            path: path.display().to_string(),
            version: m.version,
            chosen: m.chosen.clone(),
            cv_mape_p95: m.chosen_cv().map(|c| c.mape[1]),
            p95_curve: loads
                .iter()
                .map(|l| {
                    let p = m.latency.predict(*l, params)[1];
                    CurvePoint {
                        load: *l,
                        p95_us: p,
                        low_us: p * q.0.exp(),
                        high_us: p * q.1.exp(),
                    }
                })
                .collect(),
            failure_curve: loads
                .iter()
                .map(|l| FailurePoint {
                    load: *l,
                    probability: m.failure.model.probability(*l, params),
                })
                .collect(),
            p95_interval: interval.is_some(),
        }
    }
}

/// The latency and failure models.
#[derive(Debug, Clone, Copy, Default)]
pub struct ModelPlugin;

impl Plugin for ModelPlugin {
    type Findings = ModelView;
    fn name(&self) -> &'static str {
        "model"
    }
    fn title(&self) -> &'static str {
        "Latency and failure models"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<ModelView, String> {
        let levels = input.load_levels();
        match input.model() {
            Ok((path, m)) => Ok(ModelView::of(path, m)),
            Err(why) if levels < 2 => Err(format!(
                "{why} ({levels} load level: a curve needs at least 2)"
            )),
            Err(why) => Err(why),
        }
    }
    fn render(&self, m: &ModelView, page: &Page<'_>) -> String {
        let mut h = format!(
            "<p>Model: <code>{}</code> (version {}, {}; cross-validated p95 error {})</p>",
            esc(&m.path),
            m.version,
            esc(&m.chosen),
            m.cv_mape_p95
                .map_or("unknown".into(), |v| format!("{:.1}%", v * 100.0))
        );
        let drifted: Vec<&str> = page
            .findings::<Vec<Drift>>("drift")
            .map(|d| {
                d.iter()
                    .filter(|x| x.drifted)
                    .map(|x| x.what.as_str())
                    .collect()
            })
            .unwrap_or_default();
        if !drifted.is_empty() {
            let _ = write!(
                h,
                "<p class=\"fail\">Model stale: latency drifted from the history in {}: retrain with <code>perf-scenarios fit</code> on recent results (it writes version {})</p>",
                esc(&drifted.join("; ")),
                m.version + 1
            );
        }
        h
    }
}
