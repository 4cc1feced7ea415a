//! The regression gate: are these runs worse than the baseline's, beyond noise?
//!
//! [`RunSample`] holds what one run measured (per point and endpoint: counts, failures
//! and the point's p50/p95), read from a results directory with
//! [`RunSample::from_dir`]; a [`Baseline`] file keeps several runs. [`GateParams`] →
//! [`GateParams::check`] → [`Gate`], whose [`Gate::compare`] of the baseline's runs with
//! the current runs gives a [`GateReport`]: per point × endpoint × metric a [`Verdict`],
//! with the change, its interval, a p-value and the same after Holm's adjustment.
//!
//! The run is the sampling unit (Kalibera & Jones 2013): the seconds inside one run are
//! correlated, and the noise that matters — run to run, machine drift — is between runs.
//! Latency: each run's p50 and p95 of the point, an exact one-sided Mann–Whitney U on
//! those values, a bootstrap over runs for the interval of the change in their median.
//! Errors: Fisher's exact test (mid-p) on the failures pooled over runs, Newcombe's
//! interval of the difference. Holm's step-down adjustment across the comparisons that
//! decide the gate ([`Primary`]) keeps the chance of any false alarm at most α.
//!
//! [`capacity`] gates the breaking point instead: a [`CapacityBaseline`] keeps a
//! search's breaking point and interval, and [`capacity::judge`] tests whether a later
//! search's breaking point fell by more than a threshold; [`capacity_search`] sets up the
//! baseline's cold search and the gate's warm one, and gives the verdict.
//!
//! ```
//! use perf_ml::gate::{EndpointSample, GateParams, PointSample, RunSample};
//! # use perf_core::summary::Environment;
//! let run = |ms: u64, jitter: u64, failures: u64| RunSample {
//!     scenario: "api".into(),
//!     environment: Environment { tool_version: "0.1.0".into(), goose_version: "0.19".into(),
//!         git_sha: None, cores: 2, os: "linux".into(), cpu_model: String::new(),
//!         target_in_process: true },
//!     points: vec![PointSample {
//!         config: "open 100 req/s for 10 s".into(),
//!         endpoints: [("ALL".to_string(), EndpointSample {
//!             requests: 1000,
//!             failures,
//!             p50_us: ms * 1000 + jitter * 30,
//!             p95_us: ms * 1200 + jitter * 50,
//!         })].into(),
//!     }],
//! };
//! let runs = |ms: u64, failures: u64| -> Vec<RunSample> {
//!     (0..5).map(|j| run(ms, j, failures)).collect()
//! };
//! let gate = GateParams::default().check()?;
//! assert!(gate.compare(&runs(5, 0), &runs(5, 0))?.passed());
//! assert!(!gate.compare(&runs(5, 0), &runs(7, 0))?.passed()); // +40% latency
//! assert!(!gate.compare(&runs(5, 0), &runs(5, 20))?.passed()); // 2% errors
//! # Ok::<(), perf_ml::gate::GateError>(())
//! ```

use std::path::PathBuf;

mod baseline;
pub mod capacity;
pub mod capacity_search;
mod compare;
pub mod criterion;
mod file;
pub mod interleave;
mod sample;

pub use baseline::{environment_differences, Baseline, CapacityBaseline, BASELINE_SCHEMA};
pub use compare::{Finding, GateReport, Verdict};
pub use file::CapacityGateFile;
pub use sample::{config_of, EndpointSample, PointSample, RunSample};

/// What can go wrong in the gate. Every variant but [`GateError::Write`] is bad input.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// A baseline or result file cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The baseline cannot be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The baseline file is not a readable baseline.
    #[error("{path}: corrupted baseline: {reason}")]
    Corrupted {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The baseline was written with another schema.
    #[error("{path}: baseline schema version {found}, this build reads version {}; re-create it with --save-baseline", BASELINE_SCHEMA)]
    Schema {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u64,
    },
    /// A baseline of the other kind (runs, or a breaking point).
    #[error("{path}: the baseline holds {found}; use {hint}")]
    Kind {
        /// The file.
        path: PathBuf,
        /// What it holds.
        found: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// The two runs are not of the same thing.
    #[error("cannot compare: {0}")]
    Mismatch(String),
    /// An endpoint of the baseline did not appear in the current run.
    #[error("point {point}: endpoint '{endpoint}' is in the baseline but not in this run")]
    MissingEndpoint {
        /// The point.
        point: usize,
        /// The endpoint.
        endpoint: String,
    },
    /// Fewer runs than the gate needs on one side.
    #[error(
        "{side} has {found} run(s); the gate needs at least {need} (the run is the sampling unit)"
    )]
    TooFewRuns {
        /// `the baseline` or `this gate`.
        side: &'static str,
        /// Runs there.
        found: usize,
        /// Runs needed.
        need: usize,
    },
    /// So few runs that no latency regression could pass Holm's first bar.
    #[error("{base} reference (baseline) run(s) against {current}: the exact test's smallest p-value, 1/{splits} = {p_min:.4}, cannot pass Holm's first bar {alpha} / {comparisons} = {bar:.4}; give both sides more runs (--repeat)")]
    Underpowered {
        /// Baseline runs.
        base: usize,
        /// Current runs.
        current: usize,
        /// Ways to split the pooled runs.
        splits: u64,
        /// Its reciprocal.
        p_min: f64,
        /// The family-wise level.
        alpha: f64,
        /// Primary comparisons.
        comparisons: usize,
        /// α over them.
        bar: f64,
    },
    /// Nothing to compare.
    #[error("empty run: {what}")]
    Empty {
        /// What is empty.
        what: String,
    },
    /// A result file is bad.
    #[error(transparent)]
    Results(#[from] perf_core::ResultsError),
    /// A gate setting is out of range.
    #[error("gate setting {name}: {reason}, got {value}")]
    Param {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The valid range.
        reason: &'static str,
    },
}

/// Which comparisons decide the gate; the others are reported as secondary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Primary {
    /// p50, p95 and error rate of `ALL` at each point (few comparisons, so Holm's
    /// adjustment leaves the test its power with a handful of runs).
    #[default]
    Aggregate,
    /// Every point × endpoint × metric.
    All,
}

/// The gate's settings; [`GateParams::check`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct GateParams {
    /// A latency change must be larger than this (relative) to fail.
    pub threshold: f64,
    /// Family-wise significance level (Holm) of the primary comparisons.
    pub alpha: f64,
    /// Smallest error-rate rise that fails the gate (a fraction: 0.005 = 0.5 points).
    pub min_error_rise: f64,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Fewer runs than this on a side: not compared.
    pub min_runs: usize,
    /// A run's endpoint with fewer successful requests is not a latency sample.
    pub min_requests: u64,
    /// Which comparisons decide.
    pub primary: Primary,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl Default for GateParams {
    fn default() -> Self {
        Self {
            threshold: 0.10,
            alpha: 0.05,
            min_error_rise: 0.005,
            level: 0.95,
            resamples: 2000,
            min_runs: 3,
            min_requests: 20,
            primary: Primary::Aggregate,
            seed: 1,
        }
    }
}

/// A validated gate.
#[derive(Debug, Clone)]
pub struct Gate {
    p: GateParams,
}

impl GateParams {
    /// Checks every setting's range.
    pub fn check(self) -> Result<Gate, GateError> {
        let bad = |name, value, reason| {
            Err(GateError::Param {
                name,
                value,
                reason,
            })
        };
        let open01 = |v: f64| v > 0.0 && v < 1.0;
        if !(self.threshold.is_finite() && (0.0..10.0).contains(&self.threshold)) {
            return bad("threshold", self.threshold, "must be from 0 to 1000%");
        }
        for (name, v) in [("alpha", self.alpha), ("level", self.level)] {
            if !open01(v) {
                return bad(name, v, "must be strictly between 0 and 1");
            }
        }
        if !(0.0..1.0).contains(&self.min_error_rise) {
            return bad("min-error-rise", self.min_error_rise, "must be from 0 to 1");
        }
        if self.resamples < 100 {
            return bad("resamples", self.resamples as f64, "must be at least 100");
        }
        if self.min_runs < 2 {
            return bad("min-runs", self.min_runs as f64, "must be at least 2");
        }
        Ok(Gate { p: self })
    }
}

impl Gate {
    /// The settings.
    pub fn params(&self) -> &GateParams {
        &self.p
    }

    /// How many comparisons decide a gate of `points` points whose baseline has
    /// `endpoints` endpoints per point (`ALL` included; the largest count of a point).
    pub fn primary_comparisons(&self, points: usize, endpoints: usize) -> usize {
        3 * points
            * match self.p.primary {
                Primary::Aggregate => 1,
                Primary::All => endpoints,
            }
    }

    /// [`Gate::primary_comparisons`] of a gate against runs shaped like `reference`.
    pub fn primary_comparisons_of(&self, reference: &RunSample) -> usize {
        let endpoints = reference
            .points
            .iter()
            .map(|p| p.endpoints.len())
            .max()
            .unwrap_or(1);
        self.primary_comparisons(reference.points.len(), endpoints)
    }

    /// Whether `base` runs against `current` can detect a latency regression among
    /// `comparisons` primary ones at all: the exact Mann–Whitney test's smallest p-value,
    /// one over the ways to split the pooled runs, must be below Holm's first bar α/m.
    /// The gate checks it before any load is run.
    pub fn detectable(
        &self,
        base: usize,
        current: usize,
        comparisons: usize,
    ) -> Result<(), GateError> {
        let splits = statrs::function::factorial::binomial((base + current) as u64, current as u64);
        let bar = self.p.alpha / comparisons.max(1) as f64;
        if 1.0 / splits < bar {
            return Ok(());
        }
        Err(GateError::Underpowered {
            base,
            current,
            splits: splits.round() as u64,
            p_min: 1.0 / splits,
            alpha: self.p.alpha,
            comparisons: comparisons.max(1),
            bar,
        })
    }
}

#[cfg(test)]
mod tests;
