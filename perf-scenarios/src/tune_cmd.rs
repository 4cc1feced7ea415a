//! `tune`: the cheapest configuration meeting the SLOs at a rate
//! ([`perf_ml::drive::tune`]): the arguments into a [`TunePlan`], the report printed, and
//! the exit code — 0 with a configuration found, 99 when none met the SLOs, 1 when a
//! configuration could not be applied (the point is named; `tune.json` keeps what was
//! measured), 130/143 when interrupted.

use std::time::Duration;

use anyhow::anyhow;
use perf_core::Params;
use perf_ml::drive::tune::{self as drive, Apply, TunePlan};
use perf_ml::tune::{Knob, TuneParams, TuneStop};

use crate::cli::TuneArgs;
use crate::fail::{self, runtime, usage, Fail, SLO_FAILED};
use crate::{plan, registry};

/// `tune` from the command line.
pub fn run(a: &TuneArgs) -> Result<u8, Fail> {
    plan::no_segments(&a.common, "tune")?;
    let scenario = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
    let fixed = plan::overrides(&a.params)?;
    let params = Params::resolve(scenario.name, &scenario.params, &fixed).map_err(usage)?;
    let slos = plan::slos(&scenario, &a.common.slo)?;
    perf_ml::search::check_slos(&slos).map_err(|e| usage(anyhow!("--slo: {e}")))?;
    let knobs = a
        .knobs
        .iter()
        .map(|k| k.parse::<Knob>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    let tuner = TuneParams {
        knobs,
        cost: a.cost.clone(),
        strategy: a.strategy,
        max_runs: a.max_runs,
        stop_chance: a.stop_chance,
        seed: a.common.seed,
    }
    .check()
    .map_err(usage)?;
    if a.apply.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return Err(usage(anyhow!("--apply: the command is empty")));
    }
    if a.settle.is_some() && a.apply.is_none() {
        return Err(usage(anyhow!(
            "--settle: only with --apply (the time a target is given after the command)"
        )));
    }
    let plan = TunePlan {
        scenario,
        params,
        slos,
        rate: a.rate,
        duration: a.common.duration.unwrap_or(Duration::from_secs(10)),
        max_users: a.common.max_users,
        tuner,
        apply: a.apply.as_ref().map(|command| Apply {
            command: command.clone(),
            settle: a.settle.unwrap_or_default(),
        }),
    };
    let run = drive::run(&plan, &plan::exec_opts(&a.common)).map_err(fail::drive)?;
    print!("{}", run.report);
    println!("tune written to {}", run.file.display());
    match (run.report.stop.clone(), run.interrupted) {
        (_, Some(sig)) | (TuneStop::Interrupted { signal: sig }, _) => {
            Ok(perf_core::engine::signals::exit_code(sig))
        }
        (TuneStop::Failed { point, why }, _) => Err(runtime(anyhow!(
            "point {point} failed: {why} (tune.json keeps the points measured before it)"
        ))),
        _ if run.report.best.is_none() => Ok(SLO_FAILED),
        _ => Ok(0),
    }
}
