//! The baseline files: a gate's runs ([`Baseline`]: one [`RunSample`] per repetition), or
//! a breaking point ([`CapacityBaseline`]), each with the schema version, the time it was
//! taken and a description of the target, so a later gate can refuse to compare across
//! different machines, versions or target settings.

use std::path::Path;

use perf_core::summary::Environment;
use serde::{Deserialize, Serialize};

use super::capacity::Capacity;
use super::{Gate, GateError, RunSample};

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

    /// Reads and checks a baseline file: unreadable, not JSON, another schema version, a
    /// breaking-point baseline, or not a baseline are each a distinct error naming the
    /// file.
    pub fn load(path: &Path) -> Result<Self, GateError> {
        let value = read(path, Kind::Runs)?;
        let b: Baseline = serde_json::from_value(value).map_err(|e| GateError::Corrupted {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
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
        save(self, path)
    }

    /// What differs between the baseline's environment and target and the current ones
    /// (known before any load), one line each (empty when nothing does).
    pub fn differences(&self, now: &Environment, target: &serde_json::Value) -> Vec<String> {
        differences((&self.runs[0].environment, &self.target), (now, target))
    }

    /// Whether this baseline can judge `repeat` new runs of a plan, known before any
    /// load: as many runs as `gate` needs, each of `scenario` with the points `configs`
    /// ([`super::config_of`] of each), and so many runs on both sides that the exact test
    /// could find a latency regression at all ([`Gate::detectable`]).
    pub fn check_for(
        &self,
        gate: &Gate,
        scenario: &str,
        configs: &[&str],
        repeat: usize,
    ) -> Result<(), GateError> {
        let need = gate.params().min_runs;
        if self.runs.len() < need {
            return Err(GateError::TooFewRuns {
                side: "the baseline",
                found: self.runs.len(),
                need,
            });
        }
        for r in &self.runs {
            r.check_plan(scenario, configs)?;
        }
        let m = gate.primary_comparisons_of(&self.runs[0]);
        gate.detectable(self.runs.len(), repeat, m)
    }
}

/// What a baseline file holds: runs of the gate profile, or a breaking point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Runs,
    BreakingPoint,
}

impl Kind {
    const BREAKING_POINT: &'static str = "breaking-point";

    fn of(v: &serde_json::Value) -> Self {
        match v.get("kind").and_then(|k| k.as_str()) {
            Some(Self::BREAKING_POINT) => Self::BreakingPoint,
            _ => Self::Runs,
        }
    }
}

/// Reads a baseline file as JSON and checks its schema version and kind.
fn read(path: &Path, want: Kind) -> Result<serde_json::Value, GateError> {
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
    match (Kind::of(&value), want) {
        (Kind::BreakingPoint, Kind::Runs) => Err(GateError::Kind {
            path: path.to_path_buf(),
            found: "a breaking point",
            hint: "gate --breaking-point",
        }),
        (Kind::Runs, Kind::BreakingPoint) => Err(GateError::Kind {
            path: path.to_path_buf(),
            found: "runs of the gate profile (no breaking point)",
            hint: "gate without --breaking-point, or record one with gate --breaking-point --save-baseline",
        }),
        _ => Ok(value),
    }
}

/// Writes `value` as pretty JSON to `path`, creating its folder, whole or not at all.
pub(super) fn save<T: Serialize>(value: &T, path: &Path) -> Result<(), GateError> {
    let write = |source| GateError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write)?;
    }
    let body = serde_json::to_string_pretty(value).expect("gate files serialize");
    perf_core::atomic::write(path, (body + "\n").as_bytes()).map_err(write)
}

/// A saved breaking point: the baseline of `gate --breaking-point`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityBaseline {
    /// [`BASELINE_SCHEMA`] when written.
    pub schema: u32,
    /// `breaking-point`.
    pub kind: String,
    /// When it was taken (RFC 3339).
    pub created_at: String,
    /// The target: `{"host": URL}` or the embedded dummy site's settings.
    pub target: serde_json::Value,
    /// Where it was taken.
    pub environment: Environment,
    /// The scenario searched.
    pub scenario: String,
    /// The SLOs that define "breaks", as given.
    pub slos: Vec<String>,
    /// The scenario's parameters.
    pub params: String,
    /// Length of each point, seconds.
    pub point_duration_s: f64,
    /// The breaking point and its interval.
    pub capacity: Capacity,
}

impl CapacityBaseline {
    /// A breaking-point baseline taken now.
    pub fn new(
        capacity: Capacity,
        environment: Environment,
        target: serde_json::Value,
        what: (&str, Vec<String>, String, f64),
    ) -> Self {
        let (scenario, slos, params, point_duration_s) = what;
        Self {
            schema: BASELINE_SCHEMA,
            kind: Kind::BREAKING_POINT.into(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            target,
            environment,
            scenario: scenario.into(),
            slos,
            params,
            point_duration_s,
            capacity,
        }
    }

    /// Reads and checks a breaking-point baseline (errors as [`Baseline::load`]'s).
    pub fn load(path: &Path) -> Result<Self, GateError> {
        let value = read(path, Kind::BreakingPoint)?;
        let corrupted = |reason: String| GateError::Corrupted {
            path: path.to_path_buf(),
            reason,
        };
        let b: CapacityBaseline =
            serde_json::from_value(value).map_err(|e| corrupted(e.to_string()))?;
        if let Some(why) = b.capacity.problem() {
            return Err(corrupted(why));
        }
        Ok(b)
    }

    /// Writes the file (pretty JSON), creating its folder.
    pub fn save(&self, path: &Path) -> Result<(), GateError> {
        save(self, path)
    }

    /// What differs from the current environment and target (as
    /// [`Baseline::differences`]).
    pub fn differences(&self, now: &Environment, target: &serde_json::Value) -> Vec<String> {
        differences((&self.environment, &self.target), (now, target))
    }

    /// Whether this breaking point was searched for what the gate searches: the first of
    /// scenario, SLO rules, parameters and point length that differs, as `searched with
    /// <what> <then>, this gate has <now>`.
    pub fn check_for(
        &self,
        scenario: &str,
        slos: &[String],
        params: &str,
        point_duration_s: f64,
    ) -> Result<(), String> {
        let mismatch = [
            ("scenario", self.scenario.clone(), scenario.to_string()),
            ("SLOs", self.slos.join(","), slos.join(",")),
            ("parameters", self.params.clone(), params.to_string()),
            (
                "point duration",
                format!("{} s", self.point_duration_s),
                format!("{point_duration_s} s"),
            ),
        ];
        match mismatch.into_iter().find(|(_, was, now)| was != now) {
            Some((name, was, now)) => {
                Err(format!("searched with {name} {was}, this gate has {now}"))
            }
            None => Ok(()),
        }
    }
}

/// What differs between a baseline's environment and target and the current ones.
fn differences(
    (env, base_target): (&Environment, &serde_json::Value),
    (now, target): (&Environment, &serde_json::Value),
) -> Vec<String> {
    let mut out = environment_differences(env, now);
    match (base_target.as_object(), target.as_object()) {
        (Some(x), Some(y)) => {
            for (k, v) in y {
                if x.get(k) != Some(v) {
                    let before = x.get(k).map_or("(unset)".to_string(), ToString::to_string);
                    out.push(format!("target {k}: baseline {before}, now {v}"));
                }
            }
        }
        _ if base_target != target => {
            out.push(format!("target: baseline {base_target}, now {target}"));
        }
        _ => {}
    }
    out
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
