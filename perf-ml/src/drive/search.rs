//! The breaking-point search over real load: [`crate::search::Search`] chooses each
//! arrival rate, perf-core's [`EngineProbe`] runs it as a point of one session (so every
//! point lands in `runs.csv` like a sweep's), and the answer is written to
//! `search.json` with what it was about.

use std::path::PathBuf;
use std::time::Duration;

use perf_core::scenario::ScenarioSpec;
use perf_core::session::EngineProbe;
use perf_core::{Params, Slo};

use super::{DriveError, ExecOpts, ProbeFailed};
use crate::search::{file, Search, SearchError, SearchReport};

/// Everything a search needs, checked.
#[derive(Debug, Clone)]
pub struct SearchPlan {
    /// The scenario.
    pub scenario: ScenarioSpec,
    /// Fixed parameter values.
    pub params: Params,
    /// SLOs that define "breaks".
    pub slos: Vec<Slo>,
    /// Length of each point.
    pub duration: Duration,
    /// Open-model user cap (the engine's default for the rate when `None`).
    pub max_users: Option<usize>,
    /// The search.
    pub search: Search,
}

/// A finished search.
#[derive(Debug)]
pub struct SearchRun {
    /// The answer.
    pub report: SearchReport,
    /// The signal that stopped it.
    pub interrupted: Option<i32>,
    /// The results directory.
    pub dir: PathBuf,
    /// Its `search.json`.
    pub file: PathBuf,
}

/// Runs the search of `plan` in one session on `opts`, and writes `search.json` into
/// its results directory.
pub fn run(plan: &SearchPlan, opts: &ExecOpts) -> Result<SearchRun, DriveError> {
    let p = plan.search.params();
    let mut session = opts.open(&plan.scenario, &plan.slos, p.max_runs, plan.duration)?;
    session.note(&format!(
        "searching {:.1} .. {:.1} req/s for the highest rate meeting the SLOs (strategy {}, ±{:.1}%, at most {} runs)",
        p.lo,
        p.hi,
        p.strategy,
        p.tolerance * 100.0,
        p.max_runs
    ));
    let mut probe = EngineProbe::new(
        &mut session,
        plan.slos.clone(),
        plan.params.clone(),
        plan.duration,
        plan.max_users,
    );
    let result = plan.search.run(&mut probe);
    let failure = probe.failure();
    let done = session.finish();
    let report = match result {
        Ok(r) => r,
        Err(error @ SearchError::Probe { .. }) => {
            let cause = if done.interrupted.is_some() {
                None
            } else {
                failure
            };
            return Err(DriveError::Probe(Box::new(ProbeFailed { error, cause })));
        }
        Err(e) => return Err(DriveError::Search(e)),
    };
    // What the search was about travels with it, so that a warm start can check it.
    let file = file::write(
        &done.dir,
        &report,
        plan.scenario.name,
        &plan.slos,
        &plan.params,
    )?;
    Ok(SearchRun {
        report,
        interrupted: done.interrupted,
        dir: done.dir,
        file,
    })
}
