//! Versioned model files: `models/<scenario>/v<N>.json`. Each fit writes the next
//! version and keeps the older ones; loading a file of another schema version is an
//! error that says so.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cv::CvScore;
use crate::failure::{FailureFit, LoadInterval};
use crate::latency::LatencyModel;
use crate::usl::UslFit;
use crate::MlError;
use perf_core::ModelKind;

/// The schema this tool writes and reads.
pub const SCHEMA_VERSION: u64 = 2;

/// What [`ModelFile::kind`] says of a file `fit` wrote.
pub const MODEL_KIND: &str = "perf-ml latency+failure";

/// The latency candidates `fit` knows, by the name files use.
pub const LATENCY_KINDS: [&str; 3] = ["queue_curve", "ridge_poly2", "random_forest"];

/// The name of a latency model's kind.
fn kind_of(m: &LatencyModel) -> &'static str {
    match m {
        LatencyModel::QueueCurve(_) => LATENCY_KINDS[0],
        LatencyModel::Ridge(_) => LATENCY_KINDS[1],
        LatencyModel::Forest(_) => LATENCY_KINDS[2],
    }
}

/// Checks a chosen model against its kind and its cross-validated scores: the kind is
/// known and is the model's, its score is there, every interval factor is finite and
/// ordered.
fn check_chosen(what: &str, chosen: &str, m: &LatencyModel, cv: &[CvScore]) -> Result<(), String> {
    if !LATENCY_KINDS.contains(&chosen) {
        return Err(format!(
            "{what}: unknown model kind '{chosen}' (known: {})",
            LATENCY_KINDS.join(", ")
        ));
    }
    if kind_of(m) != chosen {
        return Err(format!(
            "{what}: chosen '{chosen}' but the model is a {}",
            kind_of(m)
        ));
    }
    let score = cv
        .iter()
        .find(|c| c.model == chosen)
        .ok_or_else(|| format!("{what}: no cross-validated error for '{chosen}' (its interval)"))?;
    let finite = score
        .mape
        .iter()
        .chain(&score.rmse_us)
        .all(|v| v.is_finite() && *v >= 0.0);
    let ordered = score
        .log_resid_q
        .iter()
        .flatten()
        .all(|(lo, hi)| lo.is_finite() && hi.is_finite() && lo <= hi);
    if !finite || !ordered || score.folds == 0 {
        return Err(format!(
            "{what}: the cross-validated error of '{chosen}' is not a set of finite numbers with ordered interval factors"
        ));
    }
    Ok(())
}

/// What the models were trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// Run ids.
    pub runs: Vec<String>,
    /// Points used.
    pub points: usize,
    /// Points left out (partial or generator-saturated).
    pub skipped: usize,
    /// Distinct load levels.
    pub load_levels: usize,
    /// Fingerprint of the points.
    pub fingerprint: String,
    /// `open` (load = req/s) or `closed` (load = users).
    pub load_model: ModelKind,
    /// Parameter names, in feature order (those that vary in the data).
    pub param_names: Vec<String>,
    /// Parameters with one value throughout the data.
    pub fixed_params: Vec<(String, f64)>,
    /// Parameter values used when a prediction gives none (the first point's).
    pub default_params: Vec<f64>,
    /// Lowest and highest load trained on.
    pub load_range: (f64, f64),
}

/// One model file.
#[derive(Debug, Serialize, Deserialize)]
pub struct ModelFile {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u64,
    /// What this file holds.
    pub kind: String,
    /// The scenario.
    pub scenario: String,
    /// Version within the scenario: 1, 2, ...
    pub version: u32,
    /// When it was fitted (RFC 3339).
    pub created: String,
    /// perf-ml version.
    pub tool_version: String,
    /// Training data.
    pub training: Training,
    /// The chosen latency model's name.
    pub chosen: String,
    /// The chosen latency model.
    pub latency: LatencyModel,
    /// Every candidate's cross-validated error.
    pub latency_cv: Vec<CvScore>,
    /// Why candidates could not be fitted.
    pub latency_skipped: Vec<String>,
    /// Capacity from the queueing curve (None when the data do not identify it).
    pub capacity: Option<f64>,
    /// Its 90% profile interval.
    pub capacity_interval: Option<LoadInterval>,
    /// What the capacity rests on, or why there is none.
    pub capacity_note: String,
    /// The failure model: the chosen curve, every candidate's held-out score, the counts.
    pub failure: FailureFit,
    /// Load where the failure probability reaches 1% and 50%.
    pub failure_loads: (Option<f64>, Option<f64>),
    /// Their 90% profile-likelihood intervals.
    pub failure_load_intervals: (Option<LoadInterval>, Option<LoadInterval>),
    /// The scalability law on users → goodput (closed-model data).
    pub usl: Option<UslFit>,
    /// Latency models per endpoint (empty when the results had no `points/*.json`).
    #[serde(default)]
    pub endpoints: Vec<EndpointModel>,
}

/// One endpoint's latency model.
#[derive(Debug, Serialize, Deserialize)]
pub struct EndpointModel {
    /// `GET /api/items`.
    pub name: String,
    /// The chosen candidate.
    pub chosen: String,
    /// The model.
    pub latency: LatencyModel,
    /// Every candidate's CV score.
    pub cv: Vec<CvScore>,
    /// Total load at which this endpoint's latency curve reaches its capacity.
    pub knee: Option<f64>,
}

impl EndpointModel {
    /// The chosen model's CV score.
    pub fn chosen_cv(&self) -> Option<&CvScore> {
        self.cv.iter().find(|c| c.model == self.chosen)
    }
}

impl ModelFile {
    /// The chosen model's CV score.
    pub fn chosen_cv(&self) -> Option<&CvScore> {
        self.latency_cv.iter().find(|c| c.model == self.chosen)
    }

    /// Reads a model file, refusing other schema versions.
    pub fn load(path: &Path) -> Result<Self, MlError> {
        let text = std::fs::read(path).map_err(|source| MlError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let v: serde_json::Value =
            serde_json::from_slice(&text).map_err(|source| MlError::Json {
                path: path.to_path_buf(),
                source,
            })?;
        let Some(found) = v.get("schema_version").and_then(serde_json::Value::as_u64) else {
            return Err(MlError::BadModel {
                path: path.to_path_buf(),
                reason: "not a model file: it has no schema_version (files written by `fit` have)"
                    .into(),
            });
        };
        if found != SCHEMA_VERSION {
            return Err(MlError::Schema {
                path: path.to_path_buf(),
                found,
                expected: SCHEMA_VERSION,
            });
        }
        if v.get("kind").and_then(serde_json::Value::as_str) != Some(MODEL_KIND) {
            return Err(MlError::BadModel {
                path: path.to_path_buf(),
                reason: format!("its kind is not '{MODEL_KIND}' (not written by `fit`)"),
            });
        }
        let m: Self = serde_json::from_value(v).map_err(|source| MlError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        m.validate().map_err(|reason| MlError::BadModel {
            path: path.to_path_buf(),
            reason,
        })?;
        Ok(m)
    }

    /// Checks what a prediction relies on: known kinds, intervals present, finite and
    /// ordered numbers.
    pub fn validate(&self) -> Result<(), String> {
        check_chosen("latency", &self.chosen, &self.latency, &self.latency_cv)?;
        for e in &self.endpoints {
            check_chosen(
                &format!("endpoint '{}'", e.name),
                &e.chosen,
                &e.latency,
                &e.cv,
            )?;
        }
        let t = &self.training;
        let (lo, hi) = t.load_range;
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi) {
            return Err(format!(
                "training load range {lo} .. {hi} is not an ordered pair of finite loads"
            ));
        }
        if t.default_params.len() != t.param_names.len() {
            return Err(format!(
                "{} default parameter value(s) for {} parameter(s)",
                t.default_params.len(),
                t.param_names.len()
            ));
        }
        let positive = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v > 0.0);
        if !positive(self.capacity)
            || !positive(self.failure_loads.0)
            || !positive(self.failure_loads.1)
        {
            return Err("a capacity or failure load is not a finite number above 0".into());
        }
        Ok(())
    }

    /// Writes `<root>/<scenario>/v<N>.json` with the next free N and returns its path.
    pub fn save_next(&mut self, root: &Path) -> Result<PathBuf, MlError> {
        let dir = root.join(&self.scenario);
        std::fs::create_dir_all(&dir).map_err(|source| MlError::Io {
            path: dir.clone(),
            source,
        })?;
        self.version = latest_version(&dir).map_or(1, |(v, _)| v + 1);
        let path = dir.join(format!("v{}.json", self.version));
        let body = serde_json::to_vec_pretty(self).map_err(|source| MlError::Json {
            path: path.clone(),
            source,
        })?;
        perf_core::atomic::write(&path, &body).map_err(|source| MlError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}

/// The highest `v<N>.json` in a folder.
pub fn latest_version(dir: &Path) -> Option<(u32, PathBuf)> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let n = name
                .strip_prefix('v')?
                .strip_suffix(".json")?
                .parse::<u32>()
                .ok()?;
            Some((n, e.path()))
        })
        .max_by_key(|(n, _)| *n)
}
