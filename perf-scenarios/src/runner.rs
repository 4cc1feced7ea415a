//! `run` and `sweep`: turn arguments into a plan of load points, start or check the
//! target, run the points one after another, write the results directory, and choose
//! the exit code (0, 1, 2, 99, 130/143).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context};
use dummy_site::SiteParams;
use perf_core::engine::{self, signals, BrowserLoad, PointOutcome, PointSpec, Target};
use perf_core::params::{grid, split_assignment};
use perf_core::scenario::ScenarioSpec;
use perf_core::ResultsWriter;
use perf_core::{parse_slos, LoadModel, LoadPoint, Params, Slo};

use crate::cli::{Cli, Cmd, CommonArgs, RunArgs, SweepArgs};
use crate::{list, mainjob, models, output, registry, search};

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

/// Dispatches a parsed command line.
pub fn run(cli: Cli) -> Result<u8, Fail> {
    match cli.command {
        None => mainjob::run(),
        Some(Cmd::List) => {
            print!("{}", list::render());
            Ok(0)
        }
        Some(Cmd::Run(a)) => {
            let plan = plan_run(&a)?;
            let done = execute(&plan, &ExecOpts::from_common(&a.common))?;
            Ok(done.exit_code(true))
        }
        Some(Cmd::Sweep(a)) => {
            let plan = plan_sweep(&a)?;
            let done = execute(&plan, &ExecOpts::from_common(&a.common))?;
            Ok(done.exit_code(false))
        }
        Some(Cmd::Fit(a)) => models::fit(&a),
        Some(Cmd::Predict(a)) => models::predict(&a),
        Some(Cmd::Usl(a)) => models::usl(&a),
        Some(Cmd::Search(a)) => search::run(&a),
        Some(Cmd::Browser(a)) => crate::browser_cmd::run(&a),
        Some(Cmd::Gate(a)) => crate::gate_cmd::gate(&a),
        Some(Cmd::Compare(a)) => crate::gate_cmd::compare(&a),
        Some(Cmd::BenchGate(a)) => crate::bench_gate::run(&a),
        Some(Cmd::Report(a)) => crate::report_cmd::run(&a),
    }
}

/// What to run.
#[derive(Debug)]
pub struct Plan {
    /// The scenario.
    pub scenario: ScenarioSpec,
    /// The points, in order.
    pub points: Vec<LoadPoint>,
    /// SLOs judged on each.
    pub slos: Vec<Slo>,
    /// Stop after a point with an error rate above this.
    pub stop_on_error_rate: Option<f64>,
}

/// Where the target is.
#[derive(Debug, Clone)]
pub enum TargetChoice {
    /// Any server.
    Host(String),
    /// The dummy site, started in-process.
    Embedded(SiteParams),
}

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct ExecOpts {
    /// Target.
    pub target: TargetChoice,
    /// Results parent folder.
    pub out: PathBuf,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Grace period for requests in flight at the end of a point.
    pub grace: Duration,
    /// Scenario seed.
    pub seed: u64,
    /// Local target's pid.
    pub target_pid: Option<u32>,
    /// Write Goose's HTML report per point.
    pub goose_report: bool,
    /// Browser users during each point.
    pub browser: Option<perf_core::browser::BrowserParams>,
}

impl ExecOpts {
    pub(crate) fn from_common(c: &CommonArgs) -> Self {
        Self {
            target: match &c.host {
                Some(h) => TargetChoice::Host(h.trim_end_matches('/').to_string()),
                None => TargetChoice::Embedded(c.site.0.clone()),
            },
            out: c.out.clone(),
            timeout: c.timeout,
            grace: c.grace,
            seed: c.seed,
            target_pid: c.target_pid,
            goose_report: c.goose_report,
            browser: browser_params(c, 0),
        }
    }
}

/// Browser options from the command line: `None` without browser users (`default` is
/// the count when `--browser-users` is not given).
pub(crate) fn browser_params(
    c: &CommonArgs,
    default: u16,
) -> Option<perf_core::browser::BrowserParams> {
    let users = c.browser_users.unwrap_or(default);
    (users > 0).then(|| perf_core::browser::BrowserParams {
        users: users as usize,
        webdriver: c.webdriver.clone(),
        step_timeout: c.browser_step_timeout,
        ..perf_core::browser::BrowserParams::default()
    })
}

pub(crate) fn overrides(raw: &[String]) -> Result<Vec<(String, String)>, Fail> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in raw {
        let (k, v) = split_assignment(r).map_err(usage)?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(usage(anyhow!(
                "--param '{k}' is given more than once (to try several values, sweep with --param {k}=a,b)"
            )));
        }
        out.push((k, v));
    }
    Ok(out)
}

pub(crate) fn slos(spec: &ScenarioSpec, given: &Option<String>) -> Result<Vec<Slo>, Fail> {
    parse_slos(given.as_deref().unwrap_or(spec.default_slo))
        .map_err(|e| usage(anyhow!("--slo: {e}")))
}

pub(crate) fn open(spec: &ScenarioSpec, rate: Option<f64>, c: &CommonArgs) -> LoadModel {
    let rate = rate.unwrap_or(spec.default_rate);
    LoadModel::Open {
        rate,
        max_users: c
            .max_users
            .unwrap_or_else(|| LoadModel::default_max_users(rate)),
    }
}

fn closed(users: usize, c: &CommonArgs) -> LoadModel {
    LoadModel::Closed {
        users,
        think: c.think,
        ramp_up: c.ramp_up,
    }
}

fn plan_run(a: &RunArgs) -> Result<Plan, Fail> {
    let spec = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
    let params = Params::resolve(spec.name, &spec.params, &overrides(&a.params)?).map_err(usage)?;
    let model = match a.users {
        Some(u) => closed(u, &a.common),
        None => open(&spec, a.rate, &a.common),
    };
    let duration = a.common.duration.unwrap_or(spec.default_duration);
    let slos = slos(&spec, &a.common.slo)?;
    Ok(Plan {
        points: vec![LoadPoint {
            model,
            duration,
            params,
        }],
        scenario: spec,
        slos,
        stop_on_error_rate: None,
    })
}

fn plan_sweep(a: &SweepArgs) -> Result<Plan, Fail> {
    let spec = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
    let combos = grid(spec.name, &spec.params, &overrides(&a.params)?).map_err(usage)?;
    let models: Vec<LoadModel> = match (&a.rate, &a.users) {
        (_, Some(users)) => users.0.iter().map(|u| closed(*u, &a.common)).collect(),
        (Some(rates), None) => rates
            .0
            .iter()
            .map(|r| open(&spec, Some(*r), &a.common))
            .collect(),
        (None, None) => vec![open(&spec, None, &a.common)],
    };
    let duration = a.common.duration.unwrap_or(spec.default_duration);
    let mut points = Vec::new();
    for combo in &combos {
        let params = Params::resolve(spec.name, &spec.params, combo).map_err(usage)?;
        for m in &models {
            points.push(LoadPoint {
                model: m.clone(),
                duration,
                params: params.clone(),
            });
        }
    }
    let slos = slos(&spec, &a.common.slo)?;
    Ok(Plan {
        points,
        scenario: spec,
        slos,
        stop_on_error_rate: a.stop_on_error_rate,
    })
}

/// What a plan produced.
#[derive(Debug)]
pub struct Executed {
    /// The results directory.
    pub dir: PathBuf,
    /// Every point run (the last may be partial).
    pub outcomes: Vec<PointOutcome>,
    /// The signal that stopped it.
    pub interrupted: Option<i32>,
}

impl Executed {
    /// 130/143 when interrupted; for a single run, 99 when an SLO failed; else 0.
    pub fn exit_code(&self, slo_decides: bool) -> u8 {
        if let Some(sig) = self.interrupted {
            return signals::exit_code(sig);
        }
        let failed = self.outcomes.iter().any(|o| !o.detail.row.slo_pass);
        if slo_decides && failed {
            SLO_FAILED
        } else {
            0
        }
    }
}

fn run_id(out: &std::path::Path, scenario: &str) -> String {
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

/// An open results directory with its target and runtime: runs points one at a time and
/// writes each as it completes. `execute` runs a plan's points through it; the
/// breaking-point search runs the points its strategy asks for.
pub struct Session {
    scenario: ScenarioSpec,
    slos: Vec<Slo>,
    opts: ExecOpts,
    host: String,
    site: Option<dummy_site::SiteHandle>,
    target: Target,
    id: String,
    writer: ResultsWriter,
    rt: tokio::runtime::Runtime,
    ui: output::Progress,
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
    /// Checks or starts the target, creates the results directory and prints the header;
    /// `points` and `duration` are for the header and the progress bar.
    pub fn open(
        scenario: &ScenarioSpec,
        slos: &[Slo],
        points: usize,
        duration: Duration,
        opts: &ExecOpts,
    ) -> Result<Self, Fail> {
        signals::install().map_err(|e| runtime(anyhow!(e)))?;
        let (host, site, target) = match &opts.target {
            TargetChoice::Host(h) => {
                engine::check_target(h).map_err(|e| match e {
                    engine::EngineError::BadHost { .. } => usage(anyhow!("--host: {e}")),
                    other => runtime(other),
                })?;
                let target = match opts.target_pid {
                    Some(pid) if !engine::resources::pid_exists(pid) => {
                        return Err(usage(anyhow!("--target-pid {pid}: no such process")))
                    }
                    Some(pid) => Target::Pid(pid),
                    None => Target::Remote,
                };
                (h.clone(), None, target)
            }
            TargetChoice::Embedded(_) if opts.target_pid.is_some() => {
                return Err(usage(anyhow!(
                    "--target-pid: only with --host; the embedded site runs in this process and is measured already"
                )))
            }
            TargetChoice::Embedded(p) => {
                let cfg = p
                    .check()
                    .map_err(|e| usage(e.with_option_prefix("site-")))?;
                let site = cfg
                    .start("127.0.0.1:0".parse().expect("literal"))
                    .context("cannot start the embedded dummy site")
                    .map_err(runtime)?;
                (site.url(), Some(site), Target::InProcess)
            }
        };
        let id = run_id(&opts.out, scenario.name);
        let names: Vec<String> = scenario.params.iter().map(|p| p.name.to_string()).collect();
        let writer = ResultsWriter::create(&opts.out, &id, names)
            .map_err(|e| usage(anyhow::Error::new(e).context("--out")))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the runtime")
            .map_err(runtime)?;
        let browsers = match &opts.browser {
            None => None,
            Some(b) => {
                let journey = scenario.browser.ok_or_else(|| {
                    usage(anyhow!(
                        "--browser-users: scenario '{}' has no browser steps (checkout and browse have)",
                        scenario.name
                    ))
                })?;
                let started = rt.block_on(b.start(&host)).map_err(runtime)?;
                println!(
                    "browser users: {} headless Chromium session(s), started in {:.0} ms each (median)",
                    started.pages.len(),
                    median(&started.start_ms)
                );
                Some(BrowserLoad {
                    browsers: std::sync::Arc::new(started),
                    journey,
                })
            }
        };
        let ui = output::Progress::new(
            output::Header {
                scenario: scenario.name,
                slos,
                points,
                duration,
            },
            &host,
            site.is_some(),
            writer.dir(),
        );
        Ok(Self {
            scenario: scenario.clone(),
            slos: slos.to_vec(),
            opts: opts.clone(),
            host,
            site,
            target,
            id,
            writer,
            rt,
            ui,
            outcomes: Vec::new(),
            interrupted: signals::received(),
            browsers,
        })
    }

    /// The signal received so far, if any.
    pub fn interrupted(&self) -> Option<i32> {
        self.interrupted
    }

    /// The results directory.
    pub fn dir(&self) -> &std::path::Path {
        self.writer.dir()
    }

    /// The console.
    pub fn ui(&self) -> &output::Progress {
        &self.ui
    }

    /// Runs one point and writes it.
    pub fn run_point(&mut self, point: &LoadPoint) -> Result<&PointOutcome, Fail> {
        let index = self.outcomes.len();
        self.ui.start_point(index, point);
        let spec = PointSpec {
            run_id: self.id.clone(),
            index,
            scenario: self.scenario.clone(),
            point: point.clone(),
            host: self.host.clone(),
            slos: self.slos.clone(),
            seed: self.opts.seed,
            timeout: self.opts.timeout,
            grace: self.opts.grace,
            target: self.target,
            browser: self.browsers.clone(),
            goose_report_dir: self.opts.goose_report.then(|| {
                perf_core::results::layout::points_dir(self.writer.dir())
                    .join(format!("goose-{index}"))
            }),
        };
        let outcome = self
            .rt
            .block_on(engine::run_point(&spec))
            .map_err(runtime)?;
        self.writer
            .write_point(&outcome.detail, &outcome.timeline)
            .map_err(runtime)?;
        if self.browsers.is_some() {
            perf_core::browser::write_csv(self.writer.dir(), index, &outcome.browser)
                .context("cannot write browser.csv")
                .map_err(runtime)?;
        }
        self.ui.end_point(&outcome);
        self.interrupted = outcome.interrupted;
        self.outcomes.push(outcome);
        Ok(self.outcomes.last().expect("just pushed"))
    }

    /// The browser users, if any.
    pub fn browsers(&self) -> Option<&BrowserLoad> {
        self.browsers.as_ref()
    }

    /// Runs `f` on the session's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Prints the table, closes the browsers, stops the embedded site, and returns what
    /// was run.
    pub fn finish(mut self) -> Executed {
        self.ui.finish(&self.outcomes, self.interrupted);
        if let Some(b) = self.browsers.take() {
            if let Ok(browsers) = std::sync::Arc::try_unwrap(b.browsers) {
                self.rt.block_on(browsers.close());
            }
        }
        drop(self.site.take());
        Executed {
            dir: self.writer.dir().to_path_buf(),
            outcomes: self.outcomes,
            interrupted: self.interrupted,
        }
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(0.0)
}

/// Runs every point of a plan, writing each as it completes.
pub fn execute(plan: &Plan, opts: &ExecOpts) -> Result<Executed, Fail> {
    let duration = plan.points.first().map_or(Duration::ZERO, |p| p.duration);
    let mut session = Session::open(
        &plan.scenario,
        &plan.slos,
        plan.points.len(),
        duration,
        opts,
    )?;
    for point in &plan.points {
        if session.interrupted().is_some() {
            break;
        }
        let error_rate = session.run_point(point)?.detail.row.error_rate;
        if let Some(limit) = plan.stop_on_error_rate {
            if error_rate > limit {
                session.ui().note(&format!(
                    "stopping the sweep: error rate {:.1}% is above --stop-on-error-rate {:.1}%",
                    error_rate * 100.0,
                    limit * 100.0
                ));
                break;
            }
        }
    }
    Ok(session.finish())
}
