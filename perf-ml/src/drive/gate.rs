//! The gates' runs: a scenario's gate profile as a plan ([`profile_plan`]), and
//! [`collect`], which runs it `k` times against the judged target — or, with a
//! reference, `k` times on each side interleaved in counterbalanced pairs
//! ([`crate::gate::interleave`]: A B, B A, …) — and reads each run as a
//! [`RunSample`] for [`crate::gate::Gate::compare`].

use std::path::PathBuf;
use std::time::Duration;

use perf_core::scenario::ScenarioSpec;
use perf_core::session::Plan;
use perf_core::{LoadModel, LoadPoint, Params, Slo};

use super::{DriveError, ExecOpts};
use crate::gate::interleave::{order, Side};
use crate::gate::RunSample;

/// The scenario's gate profile as a plan: open-model points at its rates, each for its
/// duration (or `duration`), with at most `max_users` users (else the engine's default
/// for the rate).
pub fn profile_plan(
    spec: &ScenarioSpec,
    params: Params,
    slos: Vec<Slo>,
    duration: Option<Duration>,
    max_users: Option<usize>,
) -> Plan {
    let profile = spec.gate_profile();
    let duration = duration.unwrap_or(profile.duration);
    let points = profile
        .rates
        .iter()
        .map(|&rate| LoadPoint {
            model: LoadModel::open(rate, max_users),
            duration,
            params: params.clone(),
        })
        .collect();
    Plan {
        scenario: spec.clone(),
        points,
        slos,
        stop_on_error_rate: None,
    }
}

/// The runs of a gate.
#[derive(Debug)]
pub enum Collected {
    /// Every run finished.
    Done {
        /// The reference's runs (none without a reference).
        reference: Vec<RunSample>,
        /// The judged target's runs.
        candidate: Vec<RunSample>,
        /// The results directory of the last run.
        dir: PathBuf,
    },
    /// A signal stopped a run; nothing is compared.
    Interrupted(i32),
}

/// Runs `plan` `k` times on `candidate`; with a `reference`, `2k` runs alternating
/// between the two in counterbalanced pairs. Each run is a session of its own (a
/// results directory, and a fresh embedded site when that is the target); a line of
/// progress goes to the candidate's observer before each.
pub fn collect(
    plan: &Plan,
    candidate: &ExecOpts,
    reference: Option<&ExecOpts>,
    k: usize,
) -> Result<Collected, DriveError> {
    let sides: Vec<Side> = match reference {
        Some(_) => order(k).collect(),
        None => vec![Side::Candidate; k],
    };
    let (mut runs_a, mut runs_b, mut last) = (Vec::new(), Vec::new(), None);
    for (i, side) in sides.iter().enumerate() {
        let (opts, runs, name) = match (side, reference) {
            (Side::Reference, Some(r)) => (r, &mut runs_a, ": A (reference)"),
            (Side::Reference, None) => unreachable!("no reference runs without a reference"),
            (Side::Candidate, Some(_)) => (candidate, &mut runs_b, ": B (judged)"),
            (Side::Candidate, None) => (candidate, &mut runs_b, ""),
        };
        candidate.note(&format!("gate run {} of {}{name}", i + 1, sides.len()));
        let done = opts.in_slot(i * plan.points.len(), plan).execute(plan)?;
        if let Some(signal) = done.interrupted {
            return Ok(Collected::Interrupted(signal));
        }
        runs.push(RunSample::from_dir(&done.dir)?);
        last = Some(done.dir);
    }
    Ok(Collected::Done {
        reference: runs_a,
        candidate: runs_b,
        dir: last.unwrap_or_else(|| candidate.out.clone()),
    })
}
