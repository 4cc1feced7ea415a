//! Driving real load (feature `engine`): what the command line runs, as library calls
//! that tests make without spawning the binary.
//!
//! - [`ExecOpts`]: where the load goes ([`TargetChoice`]: a host, or the embedded dummy
//!   site started on a loopback port), the results folder, timeouts, seed, browser users
//!   and the [`Observer`](perf_core::session::Observer) told what happens; it opens
//!   sessions and executes plans.
//! - [`search`]: the breaking-point search over real points of one session, and its
//!   `search.json`.
//! - [`gate`]: the gate profile as a plan and the gates' runs — `k` runs against a
//!   baseline, or `k` of each side interleaved for an A/B gate.
//! - [`capacity`]: the breaking-point gate's two searches (record a baseline, judge
//!   against one).
//! - [`tune`]: auto-tuning over real points of one session (the site restarted, or an
//!   `--apply` command run, per configuration), and its `tune.json`.
//! - [`mainjob`]: the main job's pipeline (sweep, models, search, report).
//!
//! Every failure is a [`DriveError`]; [`DriveError::is_usage`] tells bad input (the
//! command line's exit 2) from a failure at run time.
//!
//! ```no_run
//! use perf_ml::drive::{gate, ExecOpts, TargetChoice};
//! use perf_core::prelude::*;
//!
//! async fn items(user: &mut GooseUser) -> TransactionResult {
//!     http::get(user, "/api/items").await?;
//!     Ok(())
//! }
//! let spec = ScenarioSpec::new("items", "GET /api/items", |_| {
//!     Ok(scenario!("items").register_transaction(transaction!(items)))
//! });
//! let opts = ExecOpts::new(TargetChoice::Embedded(Default::default()), "results".into());
//! let slos = perf_core::parse_slos("p95<50ms").expect("valid");
//! let plan = gate::profile_plan(&spec, perf_core::Params::default(), slos, None, None);
//! match gate::collect(&plan, &opts, None, 3)? {
//!     gate::Collected::Done { candidate, .. } => println!("{} runs", candidate.len()),
//!     gate::Collected::Interrupted(signal) => println!("stopped by signal {signal}"),
//! }
//! # Ok::<(), perf_ml::drive::DriveError>(())
//! ```

pub mod capacity;
pub mod gate;
pub mod mainjob;
pub mod search;
mod target;
pub mod tune;

pub use target::{ExecOpts, TargetChoice};

use perf_core::session::SessionError;

use crate::gate::GateError;
use crate::search::file::SearchFileError;
use crate::search::SearchError;

/// Why driving load failed.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// A setting of the embedded site is out of range.
    #[error(transparent)]
    Site(dummy_site::SiteError),
    /// The embedded site could not start.
    #[error("cannot start the embedded dummy site")]
    SiteStart(#[source] dummy_site::SiteError),
    /// A process id was given for the embedded site.
    #[error("a target pid is only for a host; the embedded site runs in this process and is measured already")]
    PidWithEmbedded,
    /// The session could not open or run a point.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The search's settings are invalid.
    #[error(transparent)]
    Search(SearchError),
    /// A point of the search failed.
    #[error(transparent)]
    Probe(Box<ProbeFailed>),
    /// `search.json` cannot be written.
    #[error(transparent)]
    SearchFile(#[from] SearchFileError),
    /// A gate's baseline, runs or report.
    #[error(transparent)]
    Gate(#[from] GateError),
    /// A baseline search over `range` found no breaking point inside it.
    #[error("the baseline search found no breaking point inside {lo}..{hi} ({stop}); give a range the target breaks in")]
    NoBreakingPoint {
        /// Lowest rate searched.
        lo: f64,
        /// Highest.
        hi: f64,
        /// Why the search stopped.
        stop: String,
    },
    /// A baseline search's interval is wider than the threshold it must resolve.
    #[error("the baseline search's interval {lo:.1}..{hi:.1} req/s spans more than the capacity threshold {threshold:.1}% ({stop}); no baseline written — give the points more time or the search a range the target breaks in")]
    BaselineTooWide {
        /// Interval's lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
        /// The threshold, percent.
        threshold: f64,
        /// Why the search stopped.
        stop: String,
    },
    /// A knob or `--apply` placeholder of a tuning that sets nothing, or is out of range.
    #[error("{0}")]
    Tune(String),
    /// The tuning's settings.
    #[error(transparent)]
    TuneSettings(#[from] crate::tune::TuneError),
    /// `tune.json` cannot be written.
    #[error("cannot write {}", path.display())]
    TuneFile {
        /// Where.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The gate's search ended without anything to judge.
    #[error("cannot judge the breaking point: {why} ({stop})")]
    CannotJudge {
        /// What is missing.
        why: String,
        /// Why the search stopped.
        stop: String,
    },
}

impl DriveError {
    /// Whether the input was bad (a setting, a file, a host), rather than something that
    /// went wrong while running.
    pub fn is_usage(&self) -> bool {
        match self {
            Self::Site(_)
            | Self::PidWithEmbedded
            | Self::Search(_)
            | Self::NoBreakingPoint { .. }
            | Self::Tune(_)
            | Self::TuneSettings(_) => true,
            Self::Session(e) => e.is_usage(),
            Self::Gate(e) => !matches!(e, GateError::Write { .. }),
            Self::SiteStart(_)
            | Self::Probe(_)
            | Self::SearchFile(_)
            | Self::TuneFile { .. }
            | Self::BaselineTooWide { .. }
            | Self::CannotJudge { .. } => false,
        }
    }
}

/// A point of the search failed: the search's error (which reads as the point's, with
/// its causes), and the session's error behind it when there was one (none when a signal
/// stopped the point).
#[derive(Debug)]
pub struct ProbeFailed {
    /// The search's error.
    pub error: SearchError,
    /// The session's.
    pub cause: Option<SessionError>,
}

impl std::fmt::Display for ProbeFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for ProbeFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_point_reads_as_the_point_with_its_cause() {
        let e = DriveError::Probe(Box::new(ProbeFailed {
            error: SearchError::Probe {
                rate: 120.0,
                source: "connection refused".into(),
            },
            cause: None,
        }));
        let mut chain = vec![e.to_string()];
        let mut next = std::error::Error::source(&e);
        while let Some(s) = next {
            chain.push(s.to_string());
            next = s.source();
        }
        assert_eq!(
            chain,
            ["load point at 120.0 req/s failed", "connection refused"]
        );
        assert!(!e.is_usage());
    }
}
