//! `fit`: results directories → every latency candidate scored by grouped
//! cross-validation, the best chosen, the failure model, the capacity, the scalability
//! law for closed-model data → a [`ModelFile`]; and [`predict`] from one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cv::{self, CvScore};
use crate::data::{levels, Dataset, Point};
use crate::failure::{self, LoadInterval};
use crate::latency::{
    Fit, ForestParams, LatencyModel, Predict, QueueCurve, QueueCurveParams, RidgeParams,
};
use crate::model_file::{latest_version, EndpointModel, ModelFile, Training, SCHEMA_VERSION};
use crate::usl::fit_usl;
use crate::MlError;
use perf_core::ModelKind;

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
    let closed = data.model == ModelKind::Closed;
    let (best, latency, scores, skipped, curve) = choose_latency(pts, seed, closed)?;
    let endpoints = data
        .endpoints
        .iter()
        .filter_map(|(name, ep)| {
            let (chosen, latency, cv, _, curve) = choose_latency(ep, seed, closed).ok()?;
            Some(EndpointModel {
                name: name.clone(),
                chosen,
                latency,
                cv,
                knee: curve.ok().and_then(|c| c.capacity()),
            })
        })
        .collect();
    let failure = failure::fit(pts)?;
    let default_params = pts[0].params.clone();
    let (lo, hi) = (lv[0], lv[lv.len() - 1]);
    let range = (lo / 10.0, hi * 10.0);
    let at = |p: f64| failure.model.load_at(p, &default_params, range.0, range.1);
    let interval = |p: f64| failure.load_interval(p, &default_params, range, 0.9);
    let failure_loads = (at(0.01), at(0.5));
    let failure_load_intervals = (interval(0.01), interval(0.5));
    let usl = if data.model == ModelKind::Closed {
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
            load_model: data.model,
            param_names: data.param_names.clone(),
            fixed_params: data.fixed_params.clone(),
            default_params,
            load_range: (lo, hi),
        },
        chosen: best,
        latency,
        latency_cv: scores,
        latency_skipped: skipped,
        capacity: curve.as_ref().ok().and_then(Predict::capacity),
        capacity_interval: curve.as_ref().ok().and_then(|c| c.interval),
        capacity_note: capacity_note(&curve, closed),
        failure,
        failure_loads,
        failure_load_intervals,
        usl,
        endpoints,
    })
}

type Chosen = (
    String,
    LatencyModel,
    Vec<CvScore>,
    Vec<String>,
    Result<QueueCurve, MlError>,
);

/// Scores every latency candidate by grouped CV, refits the best on all points, and
/// fits the queueing curve for the capacity. Latency is that of successful requests: a
/// point where every request failed has none, and is left out here (the failure model
/// still uses it).
///
/// Closed-model data (load = users) have no queueing curve: latency over users rises
/// without a pole, and the scalability law gives their capacity.
fn choose_latency(pts: &[Point], seed: u64, closed: bool) -> Result<Chosen, MlError> {
    let timed: Vec<Point> = pts
        .iter()
        .filter(|p| p.requests > p.failures)
        .cloned()
        .collect();
    let pts = timed.as_slice();
    cv::three_levels(
        pts,
        "latency",
        "load levels with a successful request (at the others every request failed)",
    )?;
    let mut scores: Vec<CvScore> = Vec::new();
    let mut skipped = Vec::new();
    let mut record = |r: Result<CvScore, MlError>, name: &str| match r {
        Ok(s) => scores.push(s),
        Err(e) => skipped.push(format!("{name}: {e}")),
    };
    record(
        if closed {
            Err(MlError::Data(
                "closed-model data (latency over users has no pole; the scalability law gives the capacity)".into(),
            ))
        } else {
            cv::score("queue_curve", &QueueCurveParams, pts)
        },
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
    let curve = if closed {
        Err(MlError::Data("closed-model data".into()))
    } else {
        QueueCurveParams.fit(pts)
    };
    let latency = match best.as_str() {
        "queue_curve" => LatencyModel::QueueCurve(
            curve
                .as_ref()
                .map_err(|e| MlError::Data(format!("queue curve refit failed: {e}")))?
                .clone(),
        ),
        "ridge_poly2" => LatencyModel::Ridge(RidgeParams::default().fit(pts)?),
        "random_forest" => LatencyModel::Forest(ForestParams { trees: 100, seed }.fit(pts)?),
        other => {
            return Err(MlError::Data(format!(
                "unknown latency model kind '{other}' (known: {})",
                crate::model_file::LATENCY_KINDS.join(", ")
            )))
        }
    };
    Ok((best, latency, scores, skipped, curve))
}

/// Why there is no predicted capacity, or what it rests on.
fn capacity_note(curve: &Result<QueueCurve, MlError>, closed: bool) -> String {
    match curve {
        _ if closed => "closed-model data: see the scalability law".into(),
        Err(e) => format!("not identified: {e}"),
        Ok(c) if !c.identified => format!(
            "not identified; above {:.0} req/s: latency shows no saturation up to there (the queueing curve does no better than a straight line, F = {:.1})",
            c.x_max, c.f_statistic
        ),
        Ok(c) => format!(
            "queueing curve on the {} points where the target kept up (F = {:.1} against no saturation)",
            c.fitted, c.f_statistic
        ),
    }
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
    if m.training.load_model == ModelKind::Closed {
        "users"
    } else {
        "req/s"
    }
}

/// `408 req/s (90% interval 401 .. 415)`, or "not reached in the data's range".
pub fn with_interval(v: Option<f64>, i: Option<&LoadInterval>, unit: &str) -> String {
    let Some(v) = v else {
        return "not reached in the data's range".to_string();
    };
    let Some(i) = i else {
        return format!("{v:.0} {unit}");
    };
    let end = |e: Option<f64>, beyond: &str| e.map_or(beyond.to_string(), |e| format!("{e:.0}"));
    format!(
        "{v:.0} {unit} ({:.0}% interval {} .. {})",
        i.level * 100.0,
        end(i.lo, "below the range"),
        end(i.hi, "above the range")
    )
}

impl FitReport {
    /// The console summary: one block per model, in the order `fit` prints them (long,
    /// and flat on purpose: each block is its own few lines of text).
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
            "predicted capacity: {}",
            match m.capacity {
                Some(c) => format!(
                    "{}; {}",
                    with_interval(Some(c), m.capacity_interval.as_ref(), u),
                    m.capacity_note
                ),
                None => m.capacity_note.clone(),
            }
        );
        let f = &m.failure;
        let _ = writeln!(
            o,
            "failure model: {} curve, chosen by held-out log-likelihood{}",
            f.family,
            if f.candidates.is_empty() {
                " (fewer than 3 load levels: by AIC)".to_string()
            } else {
                f.candidates
                    .iter()
                    .map(|c| {
                        format!(
                            "\n  {:<14} log-loss {:.4} per request, calibration error {:.2} points{}",
                            c.model,
                            c.log_loss,
                            c.calibration_error * 100.0,
                            if c.model == f.family { "  <- chosen" } else { "" }
                        )
                    })
                    .collect()
            }
        );
        let _ = writeln!(
            o,
            "failure curve: 1% of requests fail at {}, 50% at {}{}",
            with_interval(m.failure_loads.0, m.failure_load_intervals.0.as_ref(), u),
            with_interval(m.failure_loads.1, m.failure_load_intervals.1.as_ref(), u),
            if f.dispersion > 1.0 {
                format!(
                    " (intervals widened by the points' dispersion {:.1})",
                    f.dispersion
                )
            } else {
                String::new()
            }
        );
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

/// One endpoint's predicted p95 (µs) and its 90% interval, when there is one.
pub type EndpointP95 = (String, f64, Option<(f64, f64)>);

/// A prediction with its 90% interval.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    /// Load asked for.
    pub load: f64,
    /// p50, p95, p99 in µs.
    pub latency_us: [f64; 3],
    /// 90% interval of each (conformal ranks of the chosen model's held-out residuals);
    /// `None` when the training had too few points for one.
    pub latency_interval_us: Option<[(f64, f64); 3]>,
    /// Failure probability.
    pub failure_probability: f64,
    /// Its 90% interval (profile likelihood of the failure curve).
    pub failure_interval: (f64, f64),
    /// The load is above the predicted capacity.
    pub above_capacity: bool,
    /// The load is outside the trained range (extrapolation).
    pub extrapolated: bool,
    /// Per endpoint: name, p95 in µs and its 90% interval (when there are enough points).
    pub endpoints_p95_us: Vec<EndpointP95>,
}

/// Predicts at `load` with parameter overrides by name.
pub fn predict(
    m: &ModelFile,
    load: f64,
    overrides: &[(String, f64)],
) -> Result<Prediction, MlError> {
    if !(load.is_finite() && load > 0.0) {
        return Err(MlError::Data(format!(
            "the load must be a number above 0, got {load}"
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
    let q = m.chosen_cv().and_then(|c| c.log_resid_q);
    let p = m.failure.model.probability(load, &params);
    Ok(Prediction {
        load,
        latency_us: lat,
        latency_interval_us: q
            .map(|q| [0, 1, 2].map(|i| (lat[i] * q[i].0.exp(), lat[i] * q[i].1.exp()))),
        failure_probability: p,
        failure_interval: m.failure.probability_interval(load, &params, 0.9),
        above_capacity: m.capacity.is_some_and(|c| load >= c),
        extrapolated: load < m.training.load_range.0 || load > m.training.load_range.1,
        endpoints_p95_us: m
            .endpoints
            .iter()
            .map(|e| {
                let v = e.latency.predict(load, &params)[1];
                let q = e.chosen_cv().and_then(|c| c.log_resid_q);
                (
                    e.name.clone(),
                    v,
                    q.map(|q| (v * q[1].0.exp(), v * q[1].1.exp())),
                )
            })
            .collect(),
    })
}
