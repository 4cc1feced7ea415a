//! `search`: the breaking-point search against the embedded site or a host. perf-ml
//! chooses each arrival rate; [`EngineProbe`] runs it as a real load point through the
//! session, so every point lands in `runs.csv` like a sweep's, and the search's answer
//! is printed and written to `search.json`.

use std::time::Duration;

use anyhow::anyhow;
use perf_core::probe::{LoadProbe, ProbeOutcome};
use perf_core::{LoadModel, LoadPoint, Params, Slo};
use perf_ml::search::{SearchError, SearchParams, SearchReport, StopReason, Strategy};

use crate::cli::SearchArgs;
use crate::runner::{runtime, usage, ExecOpts, Fail, Session, SLO_FAILED};
use crate::{registry, runner};

/// Runs load points at the rates the search asks for.
#[derive(Debug)]
pub struct EngineProbe<'a> {
    session: &'a mut Session,
    slos: Vec<Slo>,
    params: Params,
    duration: Duration,
    max_users: Option<usize>,
    /// The exit code of a point that could not be run.
    failed: Option<u8>,
}

/// A point could not be run; the session's failure is kept for its exit code.
#[derive(Debug)]
pub struct PointFailed(anyhow::Error);

impl std::fmt::Display for PointFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for PointFailed {}

impl LoadProbe for EngineProbe<'_> {
    type Error = PointFailed;

    fn probe(&mut self, rate: f64) -> Result<ProbeOutcome, PointFailed> {
        if let Some(sig) = self.session.interrupted() {
            return Err(PointFailed(anyhow!("interrupted by signal {sig}")));
        }
        let point = LoadPoint {
            model: LoadModel::Open {
                rate,
                max_users: self
                    .max_users
                    .unwrap_or_else(|| LoadModel::default_max_users(rate)),
            },
            duration: self.duration,
            params: self.params.clone(),
        };
        match self.session.run_point(&point) {
            Ok(o) => Ok(ProbeOutcome::from_point(
                rate,
                &o.detail,
                &o.timeline,
                o.interrupted,
            )),
            Err(f) => {
                self.failed = Some(f.code);
                Err(PointFailed(f.error))
            }
        }
    }

    fn slos(&self) -> &[Slo] {
        &self.slos
    }
}

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
    let fixed = runner::overrides(&a.params)?;
    let params = Params::resolve(scenario.name, &scenario.params, &fixed).map_err(usage)?;
    let slos = runner::slos(&scenario, &a.common.slo)?;
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
            Some(path) => Some(crate::prior::load(
                path,
                &crate::prior::Expect {
                    scenario: scenario.name,
                    params: &params,
                    slos: &slos,
                },
            )?),
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
    let mut session = Session::open(&plan.scenario, &plan.slos, p.max_runs, plan.duration, opts)?;
    session.ui().note(&format!(
        "searching {:.1} .. {:.1} req/s for the highest rate meeting the SLOs (strategy {}, ±{:.1}%, at most {} runs)",
        p.lo,
        p.hi,
        p.strategy,
        p.tolerance * 100.0,
        p.max_runs
    ));
    let mut probe = EngineProbe {
        session: &mut session,
        slos: plan.slos.clone(),
        params: plan.params.clone(),
        duration: plan.duration,
        max_users: plan.max_users,
        failed: None,
    };
    let result = plan.search.run(&mut probe);
    let failed = probe.failed;
    let dir = session.dir().to_path_buf();
    let done = session.finish();
    let report = match result {
        Ok(r) => r,
        Err(SearchError::Probe { source, .. }) if done.interrupted.is_some() => {
            return Err(runtime(anyhow!("{source}")))
        }
        Err(e @ SearchError::Probe { .. }) => {
            return Err(Fail {
                code: failed.unwrap_or(1),
                error: e.into(),
            })
        }
        Err(e) => return Err(invalid(e)),
    };
    print!("{report}");
    // What the search was about travels with it, so that `--prior` can check it.
    let mut value = serde_json::to_value(&report).expect("serialisable");
    if let Some(obj) = value.as_object_mut() {
        obj.insert("scenario".into(), plan.scenario.name.into());
        obj.insert(
            "slos".into(),
            plan.slos.iter().map(|s| s.rule.clone()).collect(),
        );
        obj.insert("params".into(), plan.params.to_string().into());
    }
    let json = serde_json::to_string_pretty(&value).expect("serialisable");
    let path = perf_core::results::layout::search_json(&dir);
    perf_core::atomic::write(&path, (json + "\n").as_bytes())
        .map_err(|e| runtime(anyhow!(e).context(format!("cannot write {}", path.display()))))?;
    println!("search written to {}", path.display());
    Ok((report, done.interrupted, dir))
}

/// Parses `LOW..HIGH` in requests per second.
pub fn range(s: &str) -> Result<(f64, f64), String> {
    let (lo, hi) = s
        .split_once("..")
        .ok_or("must be LOW..HIGH in requests per second, such as 10..5000")?;
    let num = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("'{}' is not a number of requests per second", v.trim()))
    };
    Ok((num(lo)?, num(hi)?))
}

/// Parses a tolerance: `5%` or `0.05`.
pub fn tolerance(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| "not a number or percentage, such as 5%".to_string())?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err("not a number or percentage, such as 5%".into())
    }
}

/// Parses a strategy name.
pub fn strategy(s: &str) -> Result<Strategy, String> {
    s.parse()
}
