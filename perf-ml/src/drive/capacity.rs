//! The breaking-point gate over real load: [`CapacityGatePlan::record`] runs a cold
//! search and turns its breaking point into a [`CapacityBaseline`];
//! [`CapacityGatePlan::judge`] runs a search warm-started from a baseline's breaking
//! point and judges the two ([`crate::gate::capacity_search`], tested there on synthetic
//! targets of every family), writing the finding to `gate.json`.

use std::path::PathBuf;
use std::time::Duration;

use perf_core::scenario::ScenarioSpec;
use perf_core::{Params, Slo};

use super::search::{self, SearchPlan, SearchRun};
use super::{DriveError, ExecOpts};
use crate::gate::capacity::{Capacity, CapacityFinding, Searched};
use crate::gate::capacity_search::{baseline_search, gate_search, method, verdict};
use crate::gate::{CapacityBaseline, CapacityGateFile};
use crate::search::{SearchParams, SearchReport};

/// What the breaking-point gate searches: a scenario with fixed parameters, judged on
/// its SLOs, with points of one length.
#[derive(Debug, Clone)]
pub struct CapacityGatePlan {
    /// The scenario.
    pub scenario: ScenarioSpec,
    /// Fixed parameter values.
    pub params: Params,
    /// SLOs that define "breaks".
    pub slos: Vec<Slo>,
    /// Length of each point.
    pub duration: Duration,
    /// Open-model user cap.
    pub max_users: Option<usize>,
}

/// A finished step of the gate, or the signal that stopped it.
#[derive(Debug)]
pub enum Outcome<T> {
    /// It finished.
    Done(T),
    /// A signal stopped its search.
    Interrupted(i32),
}

/// What the gate found against a baseline.
#[derive(Debug)]
pub struct Judged {
    /// The finding (`gate.json`'s).
    pub finding: CapacityFinding,
    /// What the gate's search said about the capacity.
    pub searched: Searched,
    /// The test in words.
    pub method: String,
    /// The search's report.
    pub report: SearchReport,
    /// The results directory (holding `search.json` and `gate.json`).
    pub dir: PathBuf,
}

impl CapacityGatePlan {
    /// What a baseline records to be checked against later: scenario, SLO rules,
    /// parameters and point length.
    pub fn what(&self) -> (&str, Vec<String>, String, f64) {
        (
            self.scenario.name,
            self.slos.iter().map(|s| s.rule.clone()).collect(),
            self.params.to_string(),
            self.duration.as_secs_f64(),
        )
    }

    fn search(&self, search: SearchParams, opts: &ExecOpts) -> Result<SearchRun, DriveError> {
        let plan = SearchPlan {
            scenario: self.scenario.clone(),
            params: self.params.clone(),
            slos: self.slos.clone(),
            duration: self.duration,
            max_users: self.max_users,
            search: search.check().map_err(DriveError::Search)?,
        };
        search::run(&plan, opts)
    }

    /// A cold search over `range` (seeded by `opts.seed`) and the baseline of its
    /// breaking point — refused when it found none inside the range, or when its interval
    /// alone spans more than `threshold` (a baseline that could never show a drop).
    pub fn record(
        &self,
        opts: &ExecOpts,
        range: (f64, f64),
        threshold: f64,
    ) -> Result<Outcome<CapacityBaseline>, DriveError> {
        let run = self.search(baseline_search(range.0, range.1, opts.seed), opts)?;
        if let Some(signal) = run.interrupted {
            return Ok(Outcome::Interrupted(signal));
        }
        let stop = run.report.stop.to_string();
        let Searched::Found(capacity) = Searched::of(&run.report) else {
            return Err(DriveError::NoBreakingPoint {
                lo: range.0,
                hi: range.1,
                stop,
            });
        };
        if capacity.spans_more_than(threshold) {
            return Err(DriveError::BaselineTooWide {
                lo: capacity.interval.0,
                hi: capacity.interval.1,
                threshold: threshold * 100.0,
                stop,
            });
        }
        let (environment, target) = opts.described();
        Ok(Outcome::Done(CapacityBaseline::new(
            capacity,
            environment,
            target,
            self.what(),
        )))
    }

    /// A search warm-started from `base` (read from `source`), judged against it at
    /// `threshold` and `alpha`; the finding is written to `gate.json` in the search's
    /// results directory.
    pub fn judge(
        &self,
        opts: &ExecOpts,
        base: &Capacity,
        source: &str,
        threshold: f64,
        alpha: f64,
    ) -> Result<Outcome<Judged>, DriveError> {
        let run = self.search(gate_search(base, source, opts.seed), opts)?;
        if let Some(signal) = run.interrupted {
            return Ok(Outcome::Interrupted(signal));
        }
        let searched = Searched::of(&run.report);
        let finding =
            verdict(base, searched, threshold, alpha).map_err(|why| DriveError::CannotJudge {
                why: why.to_string(),
                stop: run.report.stop.to_string(),
            })?;
        let method = method(finding.bracket, threshold, alpha, run.report.range);
        CapacityGateFile {
            method: method.clone(),
            finding: finding.clone(),
            stop: run.report.stop,
        }
        .write(&run.dir)?;
        Ok(Outcome::Done(Judged {
            finding,
            searched,
            method,
            report: run.report,
            dir: run.dir,
        }))
    }
}
