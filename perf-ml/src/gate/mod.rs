//! The regression gate: is this run worse than the baseline, beyond noise?
//!
//! [`RunSample`] holds what is compared (per point and endpoint: counts, failures and
//! per-second p50/p95), read from a results directory with [`RunSample::from_dir`] or
//! saved as a [`Baseline`] file. [`GateParams`] → [`GateParams::check`] → [`Gate`], whose
//! [`Gate::compare`] gives a [`GateReport`]: per point × endpoint × metric a
//! [`Verdict`], with the relative change, its bootstrap interval and a p-value.
//!
//! Latency: the samples are the per-second p50 and p95 values of an endpoint (a second
//! is the unit, so within-second correlation does not shrink the interval), tested with
//! a one-sided Mann–Whitney U; a regression also needs the whole bootstrap interval of
//! the change in their median beyond the noise threshold, as criterion does. Errors: a
//! one-sided two-proportion z-test and a minimum rise in percentage points.
//!
//! ```
//! use perf_ml::gate::{EndpointSample, GateParams, PointSample, RunSample, Second};
//! # use perf_core::summary::Environment;
//! let run = |ms: u64, failures: u64| RunSample {
//!     scenario: "api".into(),
//!     environment: Environment { tool_version: "0.1.0".into(), goose_version: "0.19".into(),
//!         git_sha: None, cores: 2, os: "linux".into(), target_in_process: true },
//!     points: vec![PointSample {
//!         config: "open 100 req/s for 10 s".into(),
//!         endpoints: [("ALL".to_string(), EndpointSample {
//!             requests: 1000,
//!             failures,
//!             seconds: (0..10).map(|i| Second { requests: 100, p50_us: ms * 1000 + i * 7, p95_us: ms * 1200 + i * 11 }).collect(),
//!         })].into(),
//!     }],
//! };
//! let gate = GateParams::default().check()?;
//! assert!(gate.compare(&run(5, 0), &run(5, 0))?.passed());
//! assert!(!gate.compare(&run(5, 0), &run(7, 0))?.passed()); // +40% latency
//! assert!(!gate.compare(&run(5, 0), &run(5, 20))?.passed()); // 2% errors
//! # Ok::<(), perf_ml::gate::GateError>(())
//! ```

use std::path::PathBuf;

mod baseline;
mod compare;
mod sample;
pub mod stats;

pub use baseline::{environment_differences, Baseline, BASELINE_SCHEMA};
pub use compare::{Finding, GateReport, Verdict};
pub use sample::{config_of, EndpointSample, PointSample, RunSample, Second};

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

/// The gate's settings; [`GateParams::check`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct GateParams {
    /// Noise threshold: a latency change must have its whole interval beyond ± this.
    pub threshold: f64,
    /// Significance level of the latency test.
    pub alpha: f64,
    /// Significance level of the error-rate test.
    pub error_alpha: f64,
    /// Smallest error-rate rise that fails the gate (a fraction: 0.005 = 0.5 points).
    pub min_error_rise: f64,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Seconds with fewer requests are not latency samples.
    pub min_requests_per_second: u64,
    /// Fewer usable seconds than this: not judged.
    pub min_seconds: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl Default for GateParams {
    fn default() -> Self {
        Self {
            threshold: 0.10,
            alpha: 0.05,
            error_alpha: 0.01,
            min_error_rise: 0.005,
            level: 0.95,
            resamples: 2000,
            min_requests_per_second: 3,
            min_seconds: 5,
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
        for (name, v) in [
            ("alpha", self.alpha),
            ("error-alpha", self.error_alpha),
            ("level", self.level),
        ] {
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
        if self.min_seconds < 3 {
            return bad("min-seconds", self.min_seconds as f64, "must be at least 3");
        }
        Ok(Gate { p: self })
    }
}

impl Gate {
    /// The settings.
    pub fn params(&self) -> &GateParams {
        &self.p
    }
}

#[cfg(test)]
mod tests;
