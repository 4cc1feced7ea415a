//! `fit`: results directories → every latency candidate scored by grouped
//! cross-validation, the best chosen, the failure model, the capacity, the scalability
//! law for closed-model data → a [`ModelFile`]; and [`predict`] from one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cv::{self, CvScore};
use crate::data::{levels, Dataset, Point};
use crate::failure::{self, FailureModel, FailureParams};
use crate::latency::{
    Fit, ForestParams, LatencyModel, Predict, QueueCurve, QueueCurveParams, RidgeParams,
};
use crate::model_file::{latest_version, EndpointModel, ModelFile, Training, SCHEMA_VERSION};
use crate::usl::fit_usl;
use crate::MlError;

/// Fits every model on a dataset.
pub fn fit(data: &Dataset, seed: u64) -> Result<ModelFile, MlError> {
    let pts = &data.points;
    if pts.len() < 4 {
        return Err(MlError::NotEnough {
            model: "fit",
            what: "usable load points",
            need: 4,
            got: pts.len(),
        });
    }
    let lv = levels(pts);
    if lv.len() == 1 {
        return Err(MlError::OneLoadLevel { load: lv[0] });
    }
    let (best, latency, scores, skipped, curve) = choose_latency(pts, seed)?;
    let endpoints = data
        .endpoints
        .iter()
        .filter_map(|(name, ep)| {
            let (chosen, latency, cv, _, curve) = choose_latency(ep, seed).ok()?;
            Some(EndpointModel {
                name: name.clone(),
                chosen,
                latency,
                cv,
                knee: curve.and_then(|c| c.capacity()),
            })
        })
        .collect();
    let fparams = FailureParams::default();
    let failure = FailureModel::fit(&fparams, pts)?;
    let failure_cv = failure::score(&fparams, pts).ok();
    let default_params = pts[0].params.clone();
    let (lo, hi) = (lv[0], lv[lv.len() - 1]);
    let failure_loads = (
        failure.load_at(0.01, &default_params, lo / 10.0, hi * 10.0),
        failure.load_at(0.5, &default_params, lo / 10.0, hi * 10.0),
    );
    let usl = if data.model == "closed" {
        fit_usl(
            &pts.iter().map(|p| (p.load, p.goodput)).collect::<Vec<_>>(),
            seed,
        )
        .ok()
    } else {
        None
    };
    Ok(ModelFile {
        schema_version: SCHEMA_VERSION,
        kind: crate::model_file::MODEL_KIND.into(),
        scenario: data.scenario.clone(),
        version: 0,
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        training: Training {
            runs: data.runs.clone(),
            points: pts.len(),
            skipped: data.skipped,
            load_levels: lv.len(),
            fingerprint: data.fingerprint(),
            load_model: data.model.clone(),
            param_names: data.param_names.clone(),
            fixed_params: data.fixed_params.clone(),
            default_params,
            load_range: (lo, hi),
        },
        chosen: best,
        latency,
        latency_cv: scores,
        latency_skipped: skipped,
        capacity: curve.and_then(|c| c.capacity()),
        failure,
        failure_cv,
        failure_loads,
        usl,
        endpoints,
    })
}

type Chosen = (
    String,
    LatencyModel,
    Vec<CvScore>,
    Vec<String>,
    Option<QueueCurve>,
);

/// Scores every latency candidate by grouped CV, refits the best on all points, and
/// fits the queueing curve for the capacity. Latency is that of successful requests: a
/// point where every request failed has none, and is left out here (the failure model
/// still uses it).
fn choose_latency(pts: &[Point], seed: u64) -> Result<Chosen, MlError> {
    let timed: Vec<Point> = pts
        .iter()
        .filter(|p| p.requests > p.failures)
        .cloned()
        .collect();
    let pts = timed.as_slice();
    let mut scores: Vec<CvScore> = Vec::new();
    let mut skipped = Vec::new();
    let mut record = |r: Result<CvScore, MlError>, name: &str| match r {
        Ok(s) => scores.push(s),
        Err(e) => skipped.push(format!("{name}: {e}")),
    };
    record(
        cv::score("queue_curve", &QueueCurveParams, pts),
        "queue_curve",
    );
    record(
        cv::score("ridge_poly2", &RidgeParams::default(), pts),
        "ridge_poly2",
    );
    record(
        cv::score("random_forest", &ForestParams { trees: 100, seed }, pts),
        "random_forest",
    );
    let best = scores
        .iter()
        .min_by(|a, b| a.mean_mape().total_cmp(&b.mean_mape()))
        .ok_or_else(|| {
            MlError::Data(format!(
                "no latency model could be fitted: {}",
                skipped.join("; ")
            ))
        })?
        .model
        .clone();
    let curve = QueueCurveParams.fit(pts).ok();
    let latency = match best.as_str() {
        "queue_curve" => LatencyModel::QueueCurve(
            curve
                .clone()
                .ok_or_else(|| MlError::Data("queue curve refit failed".into()))?,
        ),
        "ridge_poly2" => LatencyModel::Ridge(RidgeParams::default().fit(pts)?),
        _ => LatencyModel::Forest(ForestParams { trees: 100, seed }.fit(pts)?),
    };
    Ok((best, latency, scores, skipped, curve))
}

/// What `fit` did: the model file written, and how it differs from the previous version.
#[derive(Debug)]
pub struct FitReport {
    /// The new file.
    pub model: ModelFile,
    /// Where it was written.
    pub path: PathBuf,
    /// The previous version, if any.
    pub previous: Option<ModelFile>,
}

/// Loads the data, fits, writes the next version under `models_root`.
pub fn fit_and_save(
    dirs: &[PathBuf],
    scenario: Option<&str>,
    models_root: &Path,
    seed: u64,
) -> Result<FitReport, MlError> {
    let data = Dataset::load(dirs, scenario)?;
    let mut model = fit(&data, seed)?;
    let previous = latest_version(&models_root.join(&data.scenario))
        .and_then(|(_, p)| ModelFile::load(&p).ok());
    let path = model.save_next(models_root)?;
    Ok(FitReport {
        model,
        path,
        previous,
    })
}

fn unit(m: &ModelFile) -> &'static str {
    if m.training.load_model == "closed" {
        "users"
    } else {
        "req/s"
    }
}

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(
        || "not reached in the data's range".to_string(),
        |v| format!("{v:.0} {unit}"),
    )
}

impl FitReport {
    /// The console summary.
    pub fn summary(&self) -> String {
        let m = &self.model;
        let u = unit(m);
        let t = &m.training;
        let mut o = format!(
            "fitted {} v{} on {} points at {} load levels ({} left out), {} to {} {u}; written to {}\n",
            m.scenario, m.version, t.points, t.load_levels, t.skipped, t.load_range.0, t.load_range.1, self.path.display()
        );
        o.push_str("latency candidates (grouped k-fold cross-validation, MAPE of p50 / p95 / p99, RMSE of p95):\n");
        for c in &m.latency_cv {
            let _ = writeln!(
                o,
                "  {:<14} {:>6.1}% / {:>6.1}% / {:>6.1}%   RMSE {:>9.0} µs  ({} folds){}",
                c.model,
                c.mape[0] * 100.0,
                c.mape[1] * 100.0,
                c.mape[2] * 100.0,
                c.rmse_us[1],
                c.folds,
                if c.model == m.chosen {
                    "  <- chosen"
                } else {
                    ""
                }
            );
        }
        for s in &m.latency_skipped {
            let _ = writeln!(o, "  skipped: {s}");
        }
        let _ = writeln!(
            o,
            "predicted capacity (queueing curve): {}",
            m.capacity.map_or_else(
                || "not identified: the data show no saturation".to_string(),
                |c| format!("{c:.0} {u}")
            )
        );
        let _ = writeln!(
            o,
            "failure curve: 1% of requests fail at {}, 50% at {}",
            opt(m.failure_loads.0, u),
            opt(m.failure_loads.1, u)
        );
        if let Some(s) = &m.failure_cv {
            let _ = writeln!(o, "failure model held-out: log-loss {:.4} per request, calibration error {:.2} points", s.log_loss, s.calibration_error * 100.0);
        }
        for e in &m.endpoints {
            let _ = writeln!(
                o,
                "  endpoint {:<24} {:<14} CV MAPE p95 {:>6.1}%   knee {}",
                e.name,
                e.chosen,
                e.chosen_cv().map_or(f64::NAN, |c| c.mape[1] * 100.0),
                e.knee
                    .map_or_else(|| "not identified".to_string(), |k| format!("{k:.0} {u}"))
            );
        }
        if let Some(usl) = &m.usl {
            let _ = writeln!(
                o,
                "scalability law: σ {:.4}, κ {:.6}, λ {:.1}, peak N* {:.1} users at {:.0} req/s",
                usl.sigma, usl.kappa, usl.lambda, usl.n_star, usl.x_max
            );
        }
        if let Some(p) = &self.previous {
            let (a, b) = (
                p.chosen_cv().map(CvScore::mean_mape),
                m.chosen_cv().map(CvScore::mean_mape),
            );
            let _ = writeln!(
                o,
                "versus v{}: chosen {} → {}, mean CV MAPE {} → {}, capacity {} → {}",
                p.version,
                p.chosen,
                m.chosen,
                a.map_or("-".into(), |v| format!("{:.1}%", v * 100.0)),
                b.map_or("-".into(), |v| format!("{:.1}%", v * 100.0)),
                p.capacity.map_or("-".into(), |c| format!("{c:.0}")),
                m.capacity.map_or("-".into(), |c| format!("{c:.0}"))
            );
        }
        o
    }
}

/// A prediction with its 90% interval.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    /// Load asked for.
    pub load: f64,
    /// p50, p95, p99 in µs.
    pub latency_us: [f64; 3],
    /// 90% interval of each, from the chosen model's cross-validated residuals.
    pub latency_interval_us: [(f64, f64); 3],
    /// Failure probability.
    pub failure_probability: f64,
    /// Its interval: ± the held-out calibration error.
    pub failure_interval: (f64, f64),
    /// The load is above the predicted capacity.
    pub above_capacity: bool,
    /// The load is outside the trained range (extrapolation).
    pub extrapolated: bool,
    /// Per endpoint: name, p95 in µs and its 90% interval.
    pub endpoints_p95_us: Vec<(String, f64, (f64, f64))>,
}

/// Predicts at `load` with parameter overrides by name.
pub fn predict(
    m: &ModelFile,
    load: f64,
    overrides: &[(String, f64)],
) -> Result<Prediction, MlError> {
    if !(load.is_finite() && load > 0.0) {
        return Err(MlError::Data(format!(
            "--rate must be a number above 0, got {load}"
        )));
    }
    let mut params = m.training.default_params.clone();
    for (k, v) in overrides {
        if let Some((_, fixed)) = m.training.fixed_params.iter().find(|(n, _)| n == k) {
            if fixed != v {
                return Err(MlError::Data(format!(
                    "parameter '{k}' was {fixed} in every training point: the model can't predict {k}={v}; sweep it to learn its effect"
                )));
            }
            continue;
        }
        let i = m
            .training
            .param_names
            .iter()
            .position(|n| n == k)
            .ok_or_else(|| {
                let mut known: Vec<&str> =
                    m.training.param_names.iter().map(String::as_str).collect();
                known.extend(m.training.fixed_params.iter().map(|(n, _)| n.as_str()));
                MlError::Data(format!(
                    "the model has no parameter '{k}'; it has: {}",
                    known.join(", ")
                ))
            })?;
        params[i] = *v;
    }
    let lat = m.latency.predict(load, &params);
    let q = m.chosen_cv().map_or([(0.0, 0.0); 3], |c| c.log_resid_q);
    let p = m.failure.probability(load, &params);
    let cal = m.failure_cv.as_ref().map_or(0.0, |s| s.calibration_error);
    Ok(Prediction {
        load,
        latency_us: lat,
        latency_interval_us: [0, 1, 2].map(|i| (lat[i] * q[i].0.exp(), lat[i] * q[i].1.exp())),
        failure_probability: p,
        failure_interval: ((p - cal).max(0.0), (p + cal).min(1.0)),
        above_capacity: m.capacity.is_some_and(|c| load >= c),
        extrapolated: load < m.training.load_range.0 || load > m.training.load_range.1,
        endpoints_p95_us: m
            .endpoints
            .iter()
            .map(|e| {
                let v = e.latency.predict(load, &params)[1];
                let (lo, hi) = e.chosen_cv().map_or((0.0, 0.0), |c| c.log_resid_q[1]);
                (e.name.clone(), v, (v * lo.exp(), v * hi.exp()))
            })
            .collect(),
    })
}
