//! `search`: the breaking-point search against the embedded site or a host
//! ([`perf_ml::drive::search`]): the arguments into a [`SearchPlan`], the answer printed,
//! and the exit code.

use std::time::Duration;

use anyhow::anyhow;
use perf_core::Params;
use perf_ml::drive::search::{self as drive, SearchPlan, SearchRun};
use perf_ml::drive::{DriveError, ExecOpts};
use perf_ml::search::{evidence, SearchParams, SearchReport, StopReason};

use crate::cli::SearchArgs;
use crate::fail::{self, usage, Fail, SLO_FAILED};
use crate::{plan, registry};

/// `search` from the command line.
pub fn run(a: &SearchArgs) -> Result<u8, Fail> {
    crate::plan::no_segments(&a.common, "search")?;
    let scenario = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
    let fixed = plan::overrides(&a.params)?;
    let params = Params::resolve(scenario.name, &scenario.params, &fixed).map_err(usage)?;
    let slos = plan::slos(&scenario, &a.common.slo)?;
    perf_ml::search::check_slos(&slos).map_err(|e| usage(anyhow!("--slo: {e}")))?;
    let prior = match &a.prior {
        Some(path) => Some(
            evidence::load(
                path,
                &evidence::Expect {
                    scenario: scenario.name,
                    params: &params,
                    slos: &slos,
                },
            )
            .map_err(|e| usage(anyhow!("--prior: {e}")))?,
        ),
        None => None,
    };
    let search = SearchParams {
        lo: a.range.0,
        hi: a.range.1,
        tolerance: a.tolerance,
        max_runs: a.max_runs,
        strategy: a.strategy,
        confidence: 0.9,
        noise: a.noise,
        seed: a.common.seed,
        prior,
    }
    .check()
    .map_err(|e| fail::drive(DriveError::Search(e)))?;
    let plan = SearchPlan {
        scenario,
        params,
        slos,
        duration: a.common.duration.unwrap_or(Duration::from_secs(15)),
        max_users: a.common.max_users,
        search,
    };
    let run = execute(&plan, &plan::exec_opts(&a.common))?;
    Ok(exit_code(&run.report, run.interrupted))
}

/// The exit code of a finished search: 99 when it breaks below the range, 130/143
/// when interrupted, else 0.
pub fn exit_code(report: &SearchReport, interrupted: Option<i32>) -> u8 {
    match (report.stop, interrupted) {
        (_, Some(sig)) | (StopReason::Interrupted { signal: sig }, _) => {
            perf_core::engine::signals::exit_code(sig)
        }
        (StopReason::BreaksBelow, _) => SLO_FAILED,
        _ => 0,
    }
}

/// Runs a search and prints its report and where `search.json` went.
pub fn execute(plan: &SearchPlan, opts: &ExecOpts) -> Result<SearchRun, Fail> {
    let run = drive::run(plan, opts).map_err(fail::drive)?;
    print!("{}", run.report);
    println!("search written to {}", run.file.display());
    Ok(run)
}
