//! The baseline file: a gate's runs ([`RunSample`], one per repetition) with the schema
//! version, the time they were taken and a description of the target, so a later gate
//! can refuse to compare across different machines, versions or target settings.

use std::path::Path;

use perf_core::summary::Environment;
use serde::{Deserialize, Serialize};

use super::{GateError, RunSample};

/// The baseline schema this build reads and writes.
/// Version 2: several runs (`runs`), each endpoint with its p50 and p95; version 1 kept
/// one run's seconds.
pub const BASELINE_SCHEMA: u32 = 2;

/// A saved gate: its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// [`BASELINE_SCHEMA`] when written.
    pub schema: u32,
    /// When it was taken (RFC 3339).
    pub created_at: String,
    /// The target: `{"host": URL}` or the embedded dummy site's settings.
    pub target: serde_json::Value,
    /// The runs, in the order they ran.
    pub runs: Vec<RunSample>,
}

impl Baseline {
    /// A baseline of `runs`, taken now.
    pub fn new(runs: Vec<RunSample>, target: serde_json::Value) -> Self {
        Self {
            schema: BASELINE_SCHEMA,
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            target,
            runs,
        }
    }

    /// Reads and checks a baseline file: unreadable, not JSON, another schema version, or
    /// not a baseline are each a distinct error naming the file.
    pub fn load(path: &Path) -> Result<Self, GateError> {
        let text = std::fs::read_to_string(path).map_err(|source| GateError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let corrupted = |reason: String| GateError::Corrupted {
            path: path.to_path_buf(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| corrupted(format!("invalid JSON: {e}")))?;
        let schema = value
            .get("schema")
            .ok_or_else(|| corrupted("no 'schema' field (not a baseline file)".into()))?;
        match schema.as_u64() {
            Some(v) if v == u64::from(BASELINE_SCHEMA) => {}
            Some(v) => {
                return Err(GateError::Schema {
                    path: path.to_path_buf(),
                    found: v,
                })
            }
            None => {
                return Err(corrupted(format!(
                    "'schema' is {schema}, expected a whole number"
                )))
            }
        }
        let b: Baseline = serde_json::from_value(value).map_err(|e| corrupted(e.to_string()))?;
        if b.runs.is_empty() || b.runs.iter().any(|r| r.points.is_empty()) {
            return Err(GateError::Empty {
                what: format!(
                    "baseline {}: no runs, or a run with no load points",
                    path.display()
                ),
            });
        }
        Ok(b)
    }

    /// Writes the file (pretty JSON), creating its folder.
    pub fn save(&self, path: &Path) -> Result<(), GateError> {
        let write = |source| GateError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(write)?;
        }
        let body = serde_json::to_string_pretty(self).expect("a baseline serializes");
        perf_core::atomic::write(path, (body + "\n").as_bytes()).map_err(write)
    }

    /// What differs between the baseline's environment and target and the current ones
    /// (known before any load), one line each (empty when nothing does).
    pub fn differences(&self, now: &Environment, target: &serde_json::Value) -> Vec<String> {
        let mut out = environment_differences(&self.runs[0].environment, now);
        match (self.target.as_object(), target.as_object()) {
            (Some(x), Some(y)) => {
                for (k, v) in y {
                    if x.get(k) != Some(v) {
                        let before = x.get(k).map_or("(unset)".to_string(), ToString::to_string);
                        out.push(format!("target {k}: baseline {before}, now {v}"));
                    }
                }
            }
            _ if self.target != *target => {
                out.push(format!("target: baseline {}, now {target}", self.target));
            }
            _ => {}
        }
        out
    }
}

/// What differs between two environments that can move latency: cores, processor model
/// (when both know it), tool and Goose versions, operating system (not its kernel
/// release: a patched host is the same kind of machine), and whether the target ran
/// in-process.
pub fn environment_differences(a: &Environment, b: &Environment) -> Vec<String> {
    let mut out = Vec::new();
    let mut diff = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{what}: baseline {x}, now {y}"));
        }
    };
    diff("cores", a.cores.to_string(), b.cores.to_string());
    diff(
        "tool version",
        a.tool_version.clone(),
        b.tool_version.clone(),
    );
    diff(
        "goose version",
        a.goose_version.clone(),
        b.goose_version.clone(),
    );
    let os = |e: &Environment| {
        e.os.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    diff("os", os(a), os(b));
    if !a.cpu_model.is_empty() && !b.cpu_model.is_empty() {
        diff("cpu", a.cpu_model.clone(), b.cpu_model.clone());
    }
    diff(
        "target in process",
        a.target_in_process.to_string(),
        b.target_in_process.to_string(),
    );
    out
}
