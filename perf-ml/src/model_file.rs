//! Versioned model files: `models/<scenario>/v<N>.json`. Each fit writes the next
//! version and keeps the older ones; loading a file of another schema version is an
//! error that says so.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cv::CvScore;
use crate::failure::{FailureModel, FailureScore};
use crate::latency::LatencyModel;
use crate::usl::UslFit;
use crate::MlError;

/// The schema this tool writes and reads.
pub const SCHEMA_VERSION: u64 = 1;

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
    pub load_model: String,
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
    /// Capacity from the queueing curve (None when the data show no saturation).
    pub capacity: Option<f64>,
    /// The failure model.
    pub failure: FailureModel,
    /// Its held-out quality.
    pub failure_cv: Option<FailureScore>,
    /// Load where the failure probability reaches 1% and 50%.
    pub failure_loads: (Option<f64>, Option<f64>),
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
        let found = v
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if found != SCHEMA_VERSION {
            return Err(MlError::Schema {
                path: path.to_path_buf(),
                found,
                expected: SCHEMA_VERSION,
            });
        }
        serde_json::from_value(v).map_err(|source| MlError::Json {
            path: path.to_path_buf(),
            source,
        })
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
