//! A session: one results directory, one target, load points run one at a time.
//!
//! - [`Session`] checks the target, creates the results directory, starts the browser
//!   users, runs each [`LoadPoint`] through [`engine::run_point`] and writes it as it
//!   completes; [`Session::finish`] closes the browsers and returns what was run.
//! - [`Observer`] is told what happens (the command line's progress bar implements it;
//!   [`Silent`] prints nothing).
//! - [`plan`]: [`Plan`] and [`execute`], a fixed list of points (a run or a sweep).
//! - [`probe`]: [`EngineProbe`], the [`crate::probe::LoadProbe`] the breaking-point
//!   search drives: each rate it asks for becomes a real point of the session.
//!
//! ```no_run
//! use perf_core::prelude::*;
//! use perf_core::session::{Session, SessionParams, SessionTarget, Silent};
//!
//! async fn items(user: &mut GooseUser) -> TransactionResult {
//!     http::get(user, "/api/items").await?;
//!     Ok(())
//! }
//! let spec = ScenarioSpec::new("items", "GET /api/items", |_| {
//!     Ok(scenario!("items").register_transaction(transaction!(items)))
//! });
//!
//! let params = SessionParams::new(spec, vec![], "results".into());
//! let target = SessionTarget::Host { url: "http://127.0.0.1:8080".into(), pid: None };
//! let mut session = Session::open(params, target, Box::new(Silent))?;
//! let point = perf_core::LoadPoint {
//!     model: perf_core::LoadModel::Open { rate: 50.0, max_users: 20 },
//!     duration: std::time::Duration::from_secs(5),
//!     params: perf_core::Params::default(),
//! };
//! println!("p95 {} µs", session.run_point(&point)?.detail.row.p95_us);
//! let done = session.finish();
//! println!("written to {}", done.dir.display());
//! # Ok::<(), perf_core::session::SessionError>(())
//! ```

pub mod plan;
pub mod probe;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::browser::{BrowserError, BrowserParams};
use crate::engine::{self, signals, BrowserLoad, EngineError, PointOutcome, PointSpec, Target};
use crate::scenario::ScenarioSpec;
use crate::{LoadPoint, ResultsError, ResultsWriter, Slo};

pub use plan::{execute, Executed, Plan};
pub use probe::{EngineProbe, PointFailed};

/// Why a session could not open or run a point.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The host is not a usable URL.
    #[error(transparent)]
    BadHost(EngineError),
    /// Nothing answers at the host.
    #[error(transparent)]
    Unreachable(EngineError),
    /// The target's process id names no process.
    #[error("target pid {0}: no such process")]
    NoSuchPid(u32),
    /// The results directory cannot be created.
    #[error(transparent)]
    Out(ResultsError),
    /// Browser users were asked for and the scenario has no browser steps.
    #[error("scenario '{0}' has no browser steps (checkout and browse have)")]
    NoBrowserSteps(String),
    /// Browser steps alone were asked for and no browser users were started.
    #[error("no browser users: at least 1 is needed for browser checks")]
    NoBrowserUsers,
    /// The target was to change while browser users hold pages on the old one.
    #[error(
        "the target cannot change while browser users are open (tune without --browser-users)"
    )]
    RetargetWithBrowsers,
    /// The browser users could not start.
    #[error(transparent)]
    Browser(BrowserError),
    /// The async runtime or the signal handlers could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(String),
    /// A point could not be run.
    #[error(transparent)]
    Engine(EngineError),
    /// A point could not be written.
    #[error(transparent)]
    Write(ResultsError),
    /// The browser steps of a point could not be written.
    #[error("cannot write browser.csv: {0}")]
    BrowserCsv(#[source] std::io::Error),
}

impl SessionError {
    /// True when the input was wrong (a bad host, pid, output folder or scenario), false
    /// when something failed at run time.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::BadHost(_)
                | Self::NoSuchPid(_)
                | Self::Out(_)
                | Self::NoBrowserSteps(_)
                | Self::NoBrowserUsers
                | Self::RetargetWithBrowsers
        )
    }
}

/// Where the load goes.
pub enum SessionTarget {
    /// Any server; `pid` is its process on this machine, for resource sampling.
    Host {
        /// Base URL.
        url: String,
        /// Its process id, when local.
        pid: Option<u32>,
    },
    /// A server in this process (the embedded dummy site): `keep` is its handle, held
    /// until the session finishes.
    InProcess {
        /// Base URL.
        url: String,
        /// Dropped by [`Session::finish`].
        keep: Box<dyn std::any::Any + Send>,
    },
}

impl std::fmt::Debug for SessionTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Host { url, pid } => write!(f, "Host({url}, pid {pid:?})"),
            Self::InProcess { url, .. } => write!(f, "InProcess({url})"),
        }
    }
}

/// How a session runs its points.
#[derive(Debug, Clone)]
pub struct SessionParams {
    /// The scenario.
    pub scenario: ScenarioSpec,
    /// SLOs judged on every point.
    pub slos: Vec<Slo>,
    /// Parent folder of the results directory.
    pub out: PathBuf,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Grace period for requests in flight at the end of a point.
    pub grace: Duration,
    /// Seed of the scenario's random draws.
    pub seed: u64,
    /// Write Goose's HTML report per point.
    pub goose_report: bool,
    /// Browser users during each point.
    pub browser: Option<BrowserParams>,
    /// Points planned (at most, for a search): for the observer.
    pub planned_points: usize,
    /// Length of each point: for the observer.
    pub point_duration: Duration,
    /// This process's share of the test ([`crate::segment`]).
    pub segment: crate::segment::Segment,
    /// The wall-clock start of point 0's schedule; point `k` starts at its slot
    /// ([`crate::segment::StartAt::point`]).
    pub start_at: Option<crate::segment::StartAt>,
    /// Columns of `runs.csv` after the scenario's parameters, read from each point's
    /// [`Params`](crate::Params) like them: settings that vary between points without
    /// being scenario parameters (a tuned site option, `site-workers`).
    pub extra_params: Vec<String>,
}

impl SessionParams {
    /// Per-request timeout unless given.
    pub const TIMEOUT: Duration = Duration::from_secs(30);
    /// Grace period unless given.
    pub const GRACE: Duration = Duration::from_secs(5);
    /// Seed unless given.
    pub const SEED: u64 = 42;

    /// The defaults of the command line: 30-s timeout, 5-s grace, seed 42, no browsers.
    pub fn new(scenario: ScenarioSpec, slos: Vec<Slo>, out: PathBuf) -> Self {
        Self {
            scenario,
            slos,
            out,
            timeout: Self::TIMEOUT,
            grace: Self::GRACE,
            seed: Self::SEED,
            goose_report: false,
            browser: None,
            planned_points: 0,
            point_duration: Duration::ZERO,
            segment: crate::segment::Segment::WHOLE,
            start_at: None,
            extra_params: Vec::new(),
        }
    }
}

/// What the observer is told when the session opens.
#[derive(Debug)]
pub struct Opened<'a> {
    /// The scenario.
    pub scenario: &'a str,
    /// SLOs judged.
    pub slos: &'a [Slo],
    /// Points planned.
    pub points: usize,
    /// Length of each.
    pub duration: Duration,
    /// Target URL.
    pub host: &'a str,
    /// Whether the target runs in this process.
    pub in_process: bool,
    /// The results directory.
    pub dir: &'a Path,
}

/// Told what a session does, as it does it.
pub trait Observer {
    /// The browser users started: how many sessions, and the median start time.
    fn browsers_started(&mut self, _sessions: usize, _median_start_ms: f64) {}
    /// The session is open and its results directory exists.
    fn opened(&mut self, _o: &Opened<'_>) {}
    /// A point starts.
    fn start_point(&mut self, _index: usize, _point: &LoadPoint) {}
    /// A point ended and is written.
    fn end_point(&mut self, _outcome: &PointOutcome) {}
    /// A remark from whatever drives the session.
    fn note(&mut self, _msg: &str) {}
    /// The session finished.
    fn finish(&mut self, _outcomes: &[PointOutcome], _interrupted: Option<i32>) {}
    /// Where each second of a running point goes (a live view); `None`, the default,
    /// costs nothing.
    fn live(&self) -> Option<crate::engine::live::LiveSink> {
        None
    }
    /// A breaking-point search's state after each point: its measured points, the
    /// model's curve and the interval so far.
    fn search(&mut self, _view: &crate::probe::SearchView) {}
}

/// An observer that prints nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// An open results directory with its target and runtime: runs points one at a time and
/// writes each as it completes.
pub struct Session {
    params: SessionParams,
    host: String,
    keep: Option<Box<dyn std::any::Any + Send>>,
    target: Target,
    id: String,
    writer: ResultsWriter,
    rt: tokio::runtime::Runtime,
    observer: Box<dyn Observer>,
    outcomes: Vec<PointOutcome>,
    interrupted: Option<i32>,
    browsers: Option<BrowserLoad>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("host", &self.host)
            .field("points", &self.outcomes.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Checks the target, creates the results directory and starts the browser users.
    pub fn open(
        params: SessionParams,
        target: SessionTarget,
        mut observer: Box<dyn Observer>,
    ) -> Result<Self, SessionError> {
        signals::install().map_err(SessionError::Runtime)?;
        let (host, keep, target) = match target {
            SessionTarget::Host { url, pid } => {
                engine::check_target(&url).map_err(|e| match e {
                    EngineError::BadHost { .. } => SessionError::BadHost(e),
                    other => SessionError::Unreachable(other),
                })?;
                let target = match pid {
                    Some(pid) if !engine::resources::pid_exists(pid) => {
                        return Err(SessionError::NoSuchPid(pid))
                    }
                    Some(pid) => Target::Pid(pid),
                    None => Target::Remote,
                };
                (url, None, target)
            }
            SessionTarget::InProcess { url, keep } => (url, Some(keep), Target::InProcess),
        };
        let id = run_id(&params.out, params.scenario.name);
        let names: Vec<String> = params
            .scenario
            .params
            .iter()
            .map(|p| p.name.to_string())
            .chain(params.extra_params.iter().cloned())
            .collect();
        let writer = ResultsWriter::create(&params.out, &id, names).map_err(SessionError::Out)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| SessionError::Runtime(e.to_string()))?;
        let browsers = match &params.browser {
            None => None,
            Some(b) => {
                let journey = params.scenario.browser.ok_or_else(|| {
                    SessionError::NoBrowserSteps(params.scenario.name.to_string())
                })?;
                let started = rt.block_on(b.start(&host)).map_err(SessionError::Browser)?;
                observer.browsers_started(started.pages.len(), median(&started.start_ms));
                Some(BrowserLoad {
                    browsers: std::sync::Arc::new(started),
                    journey,
                })
            }
        };
        observer.opened(&Opened {
            scenario: params.scenario.name,
            slos: &params.slos,
            points: params.planned_points,
            duration: params.point_duration,
            host: &host,
            in_process: keep.is_some(),
            dir: writer.dir(),
        });
        Ok(Self {
            params,
            host,
            keep,
            target,
            id,
            writer,
            rt,
            observer,
            outcomes: Vec::new(),
            interrupted: signals::received(),
            browsers,
        })
    }

    /// Points the following points at `target` instead (a target started again with
    /// other settings, or a host reconfigured); the previous in-process target is dropped
    /// first. Refused while browser users are open on the old target.
    pub fn retarget(&mut self, target: SessionTarget) -> Result<(), SessionError> {
        if self.browsers.is_some() {
            return Err(SessionError::RetargetWithBrowsers);
        }
        let (host, keep) = match target {
            SessionTarget::Host { url, .. } => {
                engine::check_target(&url).map_err(SessionError::Unreachable)?;
                (url, None)
            }
            SessionTarget::InProcess { url, keep } => (url, Some(keep)),
        };
        drop(self.keep.take());
        self.host = host;
        self.keep = keep;
        Ok(())
    }

    /// The signal received so far, if any.
    pub fn interrupted(&self) -> Option<i32> {
        self.interrupted
    }

    /// The results directory.
    pub fn dir(&self) -> &Path {
        self.writer.dir()
    }

    /// Passes a remark to the observer.
    pub fn note(&mut self, msg: &str) {
        self.observer.note(msg);
    }

    /// Shows a search's state to the observer.
    pub fn show_search(&mut self, view: &crate::probe::SearchView) {
        self.observer.search(view);
    }

    /// The points run so far.
    pub fn outcomes(&self) -> &[PointOutcome] {
        &self.outcomes
    }

    /// Runs one point and writes it.
    pub fn run_point(&mut self, point: &LoadPoint) -> Result<&PointOutcome, SessionError> {
        let index = self.outcomes.len();
        self.observer.start_point(index, point);
        let spec = PointSpec {
            run_id: self.id.clone(),
            index,
            scenario: self.params.scenario.clone(),
            point: point.clone(),
            host: self.host.clone(),
            slos: self.params.slos.clone(),
            seed: self.params.seed,
            timeout: self.params.timeout,
            grace: self.params.grace,
            target: self.target,
            browser: self.browsers.clone(),
            goose_report_dir: self.params.goose_report.then(|| {
                crate::results::layout::points_dir(self.writer.dir()).join(format!("goose-{index}"))
            }),
            segment: self.params.segment,
            start_at: self
                .params
                .start_at
                .map(|s| s.point(index, point.duration, self.params.grace)),
            live: self.observer.live(),
        };
        let outcome = self
            .rt
            .block_on(engine::run_point(&spec))
            .map_err(SessionError::Engine)?;
        self.writer
            .write_point(&outcome.detail, &outcome.timeline, &outcome.histograms)
            .map_err(SessionError::Write)?;
        if self.browsers.is_some() {
            crate::browser::write_csv(self.writer.dir(), index, &outcome.browser)
                .map_err(SessionError::BrowserCsv)?;
        }
        self.observer.end_point(&outcome);
        self.interrupted = outcome.interrupted;
        self.outcomes.push(outcome);
        Ok(self.outcomes.last().expect("just pushed"))
    }

    /// Runs the browser steps alone (no load) `iterations` times per browser user, or
    /// until a signal, calling `on_step` after each step; writes them to `browser.csv`.
    pub fn run_browser_only(
        &mut self,
        iterations: u64,
        on_step: crate::browser::OnStep,
    ) -> Result<Vec<crate::browser::CheckRecord>, SessionError> {
        let load = self.browsers.clone().ok_or(SessionError::NoBrowserUsers)?;
        let records = self.rt.block_on(async {
            let (tx, rx) = tokio::sync::watch::channel(false);
            let watcher = tokio::spawn(async move {
                while signals::received().is_none() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let _ = tx.send(true);
            });
            let r = crate::browser::run_journeys(
                &load.browsers,
                load.journey,
                Some(iterations),
                rx,
                on_step,
            )
            .await;
            watcher.abort();
            r
        });
        drop(load);
        crate::browser::write_csv(self.writer.dir(), 0, &records)
            .map_err(SessionError::BrowserCsv)?;
        self.interrupted = self.interrupted.or(signals::received());
        Ok(records)
    }

    /// Tells the observer, closes the browsers, drops an in-process target, and returns
    /// what was run.
    pub fn finish(mut self) -> Executed {
        self.observer.finish(&self.outcomes, self.interrupted);
        if let Some(b) = self.browsers.take() {
            if let Ok(browsers) = std::sync::Arc::try_unwrap(b.browsers) {
                self.rt.block_on(browsers.close());
            }
        }
        drop(self.keep.take());
        Executed {
            dir: self.writer.dir().to_path_buf(),
            outcomes: self.outcomes,
            interrupted: self.interrupted,
        }
    }
}

/// `<date>-<time>-<scenario>`, with `-2`, `-3`... when that folder exists.
fn run_id(out: &Path, scenario: &str) -> String {
    let base = format!(
        "{}-{scenario}",
        chrono::Local::now().format("%Y%m%d-%H%M%S")
    );
    (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|id| !out.join(id).exists())
        .expect("a free name")
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_id_takes_the_next_free_name() {
        let d = tempfile::tempdir().unwrap();
        let first = run_id(d.path(), "api");
        assert!(first.ends_with("-api"), "{first}");
        std::fs::create_dir(d.path().join(&first)).unwrap();
        let second = run_id(d.path(), "api");
        assert!(
            second == format!("{first}-2") || second != first,
            "{second}"
        );
    }

    #[test]
    fn usage_errors_are_the_inputs() {
        assert!(SessionError::NoSuchPid(1).is_usage());
        assert!(SessionError::NoBrowserSteps("api".into()).is_usage());
        assert!(!SessionError::Runtime("x".into()).is_usage());
        assert!(!SessionError::Engine(EngineError::Goose("x".into())).is_usage());
    }
}
