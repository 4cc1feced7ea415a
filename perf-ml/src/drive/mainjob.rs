//! The main job's pipeline: the embedded dummy site with a known capacity, a short sweep
//! of a scenario that crosses it, models fitted to the sweep, and a Gaussian-process
//! search for the breaking point over a fixed range. The command line adds the browser
//! check and the report, and prints it all.

use std::path::PathBuf;
use std::time::Duration;

use dummy_site::SiteParams;
use perf_core::scenario::ScenarioSpec;
use perf_core::session::{Executed, Plan};
use perf_core::{parse_slos, LoadModel, LoadPoint, Params};

use super::search::{self, SearchPlan, SearchRun};
use super::{DriveError, ExecOpts, TargetChoice};
use crate::fit::{fit_and_save, FitReport};
use crate::search::SearchParams;
use crate::MlError;

/// Workers of the main job's site.
pub const WORKERS: usize = 4;
/// Service time of the main job's site, ms.
pub const SERVICE_MS: f64 = 10.0;
/// The SLO of the sweep.
pub const SLO: &str = "p95<100ms,error-rate<1%";
/// The SLO of the search: with a 16-request queue the knee is sharp, and p95 below three
/// service times breaks where the arrival rate passes the capacity (the queue starts to
/// fill), so the breaking point is the capacity formula's.
pub const SEARCH_SLO: &str = "p95<30ms,error-rate<1%";
/// Rates of the sweep, as fractions of the site's capacity.
pub const LOAD_FRACTIONS: [f64; 6] = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5];
/// The search's range, req/s: two decades a user might try, fixed rather than derived
/// from the capacity formula, so the search does not start on the answer (its first
/// point, the geometric middle, is 200).
pub const SEARCH_RANGE: (f64, f64) = (20.0, 2000.0);
/// Length of each point of the sweep.
pub const SWEEP_POINT: Duration = Duration::from_secs(4);
/// Length of each point of the search.
pub const SEARCH_POINT: Duration = Duration::from_secs(4);

/// The main job on one scenario (the command line's is `api`, reads only).
#[derive(Debug, Clone)]
pub struct MainJob {
    /// The scenario swept and searched.
    pub scenario: ScenarioSpec,
    /// Its parameters.
    pub params: Params,
    /// Where the models are written.
    pub models: PathBuf,
}

/// What the main job produced.
#[derive(Debug)]
pub struct MainJobRun {
    /// The sweep.
    pub sweep: Executed,
    /// The models fitted to it, or why none could be (none when a signal stopped the
    /// sweep).
    pub fit: Option<Result<FitReport, MlError>>,
    /// The search (none when a signal stopped the sweep).
    pub search: Option<SearchRun>,
}

/// The site's capacity by its formula, req/s (every request of cost 1).
pub fn capacity() -> f64 {
    dummy_site::capacity_rps(WORKERS, SERVICE_MS, 1.0)
}

/// The embedded site of the main job: [`WORKERS`] × [`SERVICE_MS`], a 16-request queue
/// with a 500-ms timeout.
pub fn site() -> SiteParams {
    SiteParams {
        workers: WORKERS,
        service_time_ms: SERVICE_MS,
        queue: 16,
        queue_timeout_ms: 500,
        ..SiteParams::default()
    }
}

/// The main job's options: the site above, results under `out`, 10-s request timeout,
/// seed 1.
pub fn opts(out: PathBuf) -> ExecOpts {
    ExecOpts {
        timeout: Duration::from_secs(10),
        seed: 1,
        ..ExecOpts::new(TargetChoice::Embedded(site()), out)
    }
}

impl MainJob {
    /// The sweep: open-model points at [`LOAD_FRACTIONS`] of the capacity.
    pub fn sweep_plan(&self) -> Plan {
        let points = LOAD_FRACTIONS
            .iter()
            .map(|f| {
                let rate = (capacity() * f).round();
                LoadPoint {
                    model: LoadModel::open(rate, None),
                    duration: SWEEP_POINT,
                    params: self.params.clone(),
                }
            })
            .collect();
        Plan {
            scenario: self.scenario.clone(),
            points,
            slos: parse_slos(SLO).expect("valid SLO"),
            stop_on_error_rate: None,
        }
    }

    /// The search: a Gaussian process over [`SEARCH_RANGE`] at [`SEARCH_SLO`].
    pub fn search_plan(&self) -> SearchPlan {
        SearchPlan {
            scenario: self.scenario.clone(),
            params: self.params.clone(),
            slos: parse_slos(SEARCH_SLO).expect("valid SLO"),
            duration: SEARCH_POINT,
            max_users: None,
            search: SearchParams::new(SEARCH_RANGE.0, SEARCH_RANGE.1)
                .check()
                .expect("valid search"),
        }
    }

    /// Sweeps, fits the models, then searches, each on `opts` (each with a site of its
    /// own when the target is embedded), telling `on` of each step as it ends; stops
    /// after the sweep when a signal stopped it.
    pub fn run(
        &self,
        opts: &ExecOpts,
        on: &mut dyn FnMut(Step<'_>),
    ) -> Result<MainJobRun, DriveError> {
        let sweep = opts.execute(&self.sweep_plan())?;
        on(Step::Swept(&sweep));
        if sweep.interrupted.is_some() {
            return Ok(MainJobRun {
                sweep,
                fit: None,
                search: None,
            });
        }
        let fit = fit_and_save(
            std::slice::from_ref(&sweep.dir),
            Some(self.scenario.name),
            &self.models,
            1,
        );
        on(Step::Fitted(&fit));
        let plan = self.search_plan();
        on(Step::Searching(&plan));
        let search = search::run(&plan, opts)?;
        Ok(MainJobRun {
            sweep,
            fit: Some(fit),
            search: Some(search),
        })
    }
}

/// A step of the main job that has just ended, or (`Searching`) begins.
#[derive(Debug)]
pub enum Step<'a> {
    /// The sweep ran.
    Swept(&'a Executed),
    /// The models were fitted, or why not.
    Fitted(&'a Result<FitReport, MlError>),
    /// The search starts.
    Searching(&'a SearchPlan),
}

/// The highest target rate of the points that met their SLOs.
pub fn highest_passing(sweep: &Executed) -> Option<f64> {
    sweep
        .outcomes
        .iter()
        .filter(|o| o.detail.row.slo_pass)
        .filter_map(|o| o.detail.row.target_rps)
        .reduce(f64::max)
}
