//! `search`: the breaking-point search against the embedded site or a host. perf-ml
//! chooses each arrival rate; perf-core's `EngineProbe` runs it as a real load point of
//! the session, so every point lands in `runs.csv` like a sweep's, and the search's
//! answer is printed and written to `search.json`.

use std::time::Duration;

use anyhow::anyhow;
use perf_core::session::EngineProbe;
use perf_core::{Params, Slo};
use perf_ml::search::{evidence, SearchError, SearchParams, SearchReport, StopReason};

use crate::cli::SearchArgs;
use crate::fail::{self, runtime, usage, Fail, SLO_FAILED};
use crate::plan::{self, ExecOpts};
use crate::{registry, session};

/// Everything a search needs, checked.
#[derive(Debug)]
pub struct SearchPlan {
    /// The scenario.
    pub scenario: perf_core::scenario::ScenarioSpec,
    /// Fixed parameter values.
    pub params: Params,
    /// SLOs that define "breaks".
    pub slos: Vec<Slo>,
    /// Length of each point.
    pub duration: Duration,
    /// Open-model user cap.
    pub max_users: Option<usize>,
    /// The search.
    pub search: perf_ml::search::Search,
}

pub(crate) fn invalid(e: SearchError) -> Fail {
    match e {
        SearchError::Invalid { name, .. } => usage(anyhow!("--{name}: {e}")),
        other => usage(other),
    }
}

/// `search` from the command line.
pub fn run(a: &SearchArgs) -> Result<u8, Fail> {
    let scenario = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
    let fixed = plan::overrides(&a.params)?;
    let params = Params::resolve(scenario.name, &scenario.params, &fixed).map_err(usage)?;
    let slos = plan::slos(&scenario, &a.common.slo)?;
    perf_ml::search::check_slos(&slos).map_err(|e| usage(anyhow!("--slo: {e}")))?;
    let search = SearchParams {
        lo: a.range.0,
        hi: a.range.1,
        tolerance: a.tolerance,
        max_runs: a.max_runs,
        strategy: a.strategy,
        confidence: 0.9,
        noise: a.noise,
        seed: a.common.seed,
        prior: match &a.prior {
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
        },
    }
    .check()
    .map_err(invalid)?;
    let plan = SearchPlan {
        scenario,
        params,
        slos,
        duration: a.common.duration.unwrap_or(Duration::from_secs(15)),
        max_users: a.common.max_users,
        search,
    };
    let (report, done, _) = execute(&plan, &ExecOpts::from_common(&a.common))?;
    Ok(exit_code(&report, done))
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

/// Runs a search, prints its report and writes `search.json`; returns the report, the
/// signal that stopped it, and the results directory.
pub fn execute(
    plan: &SearchPlan,
    opts: &ExecOpts,
) -> Result<(SearchReport, Option<i32>, std::path::PathBuf), Fail> {
    let p = plan.search.params();
    let mut session = session::open(&plan.scenario, &plan.slos, p.max_runs, plan.duration, opts)?;
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
        Err(SearchError::Probe { source, .. }) if done.interrupted.is_some() => {
            return Err(runtime(anyhow!("{source}")))
        }
        Err(e @ SearchError::Probe { .. }) => {
            return Err(Fail {
                code: failure.map_or(1, |f| fail::session(f).code),
                error: e.into(),
            })
        }
        Err(e) => return Err(invalid(e)),
    };
    print!("{report}");
    // What the search was about travels with it, so that `--prior` can check it.
    let path = perf_ml::search::file::write(
        &done.dir,
        &report,
        plan.scenario.name,
        &plan.slos,
        &plan.params,
    )
    .map_err(runtime)?;
    println!("search written to {}", path.display());
    Ok((report, done.interrupted, done.dir))
}
