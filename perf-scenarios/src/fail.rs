//! The command line's failure: an error with its exit code (1 at run time, 2 for bad
//! input), and how a session's errors map to the option that caused them.

use anyhow::anyhow;
use perf_core::session::{Executed, SessionError};
use perf_ml::drive::{DriveError, ProbeFailed};
use perf_ml::search::SearchError;

/// A failure with its exit code.
#[derive(Debug)]
pub struct Fail {
    /// Exit code.
    pub code: u8,
    /// What went wrong, with its causes.
    pub error: anyhow::Error,
}

/// Bad usage or input: exit 2.
pub fn usage(e: impl Into<anyhow::Error>) -> Fail {
    Fail {
        code: 2,
        error: e.into(),
    }
}

/// Runtime failure: exit 1.
pub fn runtime(e: impl Into<anyhow::Error>) -> Fail {
    Fail {
        code: 1,
        error: e.into(),
    }
}

/// Exit code when an SLO failed.
pub const SLO_FAILED: u8 = 99;

/// A session's error, named by the option it came from.
pub fn session(e: SessionError) -> Fail {
    match e {
        SessionError::BadHost(_) => usage(anyhow!("--host: {e}")),
        SessionError::NoSuchPid(pid) => usage(anyhow!("--target-pid {pid}: no such process")),
        SessionError::Out(e) => usage(anyhow::Error::new(e).context("--out")),
        SessionError::NoBrowserSteps(_) | SessionError::NoBrowserUsers => {
            usage(anyhow!("--browser-users: {e}"))
        }
        other if other.is_usage() => usage(other),
        other => runtime(other),
    }
}

/// A library error from driving load, named by the option it came from.
pub fn drive(e: DriveError) -> Fail {
    match e {
        DriveError::Site(e) => usage(e.with_option_prefix("site-")),
        DriveError::PidWithEmbedded => usage(anyhow!("--target-pid: {e}")),
        DriveError::Session(e) => session(e),
        DriveError::Search(SearchError::Invalid { name, .. }) => usage(anyhow!("--{name}: {e}")),
        DriveError::Probe(p) => {
            let ProbeFailed { error, cause } = *p;
            Fail {
                code: cause.map_or(1, |f| session(f).code),
                error: error.into(),
            }
        }
        DriveError::NoBreakingPoint { lo, hi, .. } => usage(anyhow!("--range {lo}..{hi}: {e}")),
        other if other.is_usage() => usage(other),
        other => runtime(other),
    }
}

/// The exit code of a run or sweep: 130/143 when interrupted; when `slo_decides` (a
/// single run), 99 when an SLO failed; else 0.
pub fn exit_code(done: &Executed, slo_decides: bool) -> u8 {
    match done.interrupted {
        Some(sig) => perf_core::engine::signals::exit_code(sig),
        None if slo_decides && done.slo_failed() => SLO_FAILED,
        None => 0,
    }
}
