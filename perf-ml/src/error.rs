//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong when reading data, fitting or loading models.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    /// Result files could not be read.
    #[error(transparent)]
    Results(#[from] perf_core::ResultsError),
    /// Too few data points for a model.
    #[error("{model} needs at least {need} {what}, got {got}")]
    NotEnough {
        /// The model.
        model: &'static str,
        /// What is counted.
        what: &'static str,
        /// How many it needs.
        need: usize,
        /// How many there are.
        got: usize,
    },
    /// Every point is at the same load: nothing to fit a curve to.
    #[error(
        "every usable point is at the same load ({load}): a curve needs points at different loads"
    )]
    OneLoadLevel {
        /// The load.
        load: f64,
    },
    /// The data can't be used as it is.
    #[error("{0}")]
    Data(String),
    /// A CSV cell or line is bad.
    #[error("{path}:{line}: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line (with the column named in the reason).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The optimizer did not find a minimum.
    #[error("the {model} fit did not converge: {reason}")]
    NoConvergence {
        /// The model.
        model: &'static str,
        /// Why this is known.
        reason: String,
    },
    /// A smartcore model failed.
    #[error("the {model} fit failed: {reason}")]
    Fit {
        /// The model.
        model: &'static str,
        /// smartcore's message.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A model file is not valid JSON of the expected shape.
    #[error("{path}: not a model file")]
    Json {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A model file whose content cannot be trusted (edited or damaged).
    #[error("{path}: invalid model file: {reason}")]
    BadModel {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A model file of another schema version.
    #[error("{path}: model schema version {found}, this tool reads version {expected}; refit with `perf-scenarios fit`")]
    Schema {
        /// The file.
        path: PathBuf,
        /// What the file has.
        found: u64,
        /// What this tool reads.
        expected: u64,
    },
}
