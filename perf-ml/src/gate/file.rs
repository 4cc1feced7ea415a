//! `gate.json`, written into the last results directory of a gate: the latency gate's
//! [`GateReport`], or the breaking-point gate's [`CapacityGateFile`].

use std::path::{Path, PathBuf};

use perf_core::results::layout;
use serde::Serialize;

use super::capacity::CapacityFinding;
use super::{GateError, GateReport};
use crate::search::StopReason;

/// What the breaking-point gate writes.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityGateFile {
    /// The test and the search, in words.
    pub method: String,
    /// The change, its interval, the test and the verdict.
    pub finding: CapacityFinding,
    /// Why the gate's search stopped.
    pub stop: StopReason,
}

impl GateReport {
    /// Writes `<dir>/gate.json`; returns its path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, GateError> {
        write(self, dir)
    }

    /// Writes the report as JSON to `path` (anywhere: `compare --json`), creating its
    /// folder, whole or not at all.
    pub fn save(&self, path: &Path) -> Result<(), GateError> {
        super::baseline::save(self, path)
    }
}

impl CapacityGateFile {
    /// Writes `<dir>/gate.json`; returns its path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, GateError> {
        write(self, dir)
    }
}

fn write<T: Serialize>(value: &T, dir: &Path) -> Result<PathBuf, GateError> {
    let path = layout::gate_json(dir);
    super::baseline::save(value, &path)?;
    Ok(path)
}
