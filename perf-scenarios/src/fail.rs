//! The command line's failure: an error with its exit code (1 at run time, 2 for bad
//! input), and how a session's errors map to the option that caused them.

use anyhow::anyhow;
use perf_core::session::SessionError;

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
