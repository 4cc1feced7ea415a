//! `run` and `sweep` arguments into a plan of load points, and the options every command
//! that runs load shares (perf-ml's [`ExecOpts`]: the target, the results folder,
//! timeouts, seed, browser users).

use anyhow::anyhow;
use perf_core::params::{grid, split_assignment};
use perf_core::scenario::ScenarioSpec;
use perf_core::segment::Segment;
use perf_core::session::Plan;
use perf_core::{parse_slos, LoadModel, LoadPoint, Params, Slo};
use perf_ml::drive::{ExecOpts, TargetChoice};

use crate::cli::{CommonArgs, RunArgs, SweepArgs};
use crate::fail::{usage, Fail};
use crate::registry;

/// The options every command that runs load shares, from the command line: the
/// target (`--host`, or the embedded site with its `--site-*` options), the results
/// folder, timeouts, seed, browser users (none unless `--browser-users`), the console as
/// the observer.
pub(crate) fn exec_opts(c: &CommonArgs) -> ExecOpts {
    let target = match &c.host {
        Some(h) => TargetChoice::Host(h.trim_end_matches('/').to_string()),
        None => TargetChoice::Embedded(c.site.0.clone()),
    };
    ExecOpts {
        timeout: c.timeout,
        grace: c.grace,
        seed: c.seed,
        target_pid: c.target_pid,
        goose_report: c.goose_report,
        browser: browser_params(c, 0),
        observer: crate::dashboard::observer,
        ..ExecOpts::new(target, c.out.clone())
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

/// [`exec_opts`] with the execution segment and common start of `--segment`,
/// `--segments` (the index from `JOB_COMPLETION_INDEX`, as Kubernetes sets it in an
/// Indexed Job's pods) and `--start-at`, checked against the plan: a closed model needs
/// a user per segment, and a start more than a point's length in the past is refused.
pub(crate) fn segmented_opts(c: &CommonArgs, plan: &Plan) -> Result<ExecOpts, Fail> {
    let segment = match (c.segment, c.segments) {
        (Some(s), _) => s,
        (None, Some(n)) => {
            let raw = std::env::var("JOB_COMPLETION_INDEX").map_err(|_| {
                usage(anyhow!(
                    "--segments {n}: JOB_COMPLETION_INDEX is not set (Kubernetes sets it in an Indexed Job's pods; elsewhere give --segment I/{n})"
                ))
            })?;
            let index = raw.trim().parse::<u32>().map_err(|_| {
                usage(anyhow!(
                    "JOB_COMPLETION_INDEX: '{raw}' is not a segment index"
                ))
            })?;
            Segment::new(index, n).map_err(|e| usage(anyhow!("--segments {n}: {e}")))?
        }
        (None, None) => Segment::WHOLE,
    };
    for p in &plan.points {
        if let LoadModel::Closed { users, .. } = p.model {
            if segment.share(users as u64) == 0 {
                return Err(usage(anyhow!(
                    "--segment {segment}: the closed model's {users} user(s) leave this segment none; use at most {users} segments"
                )));
            }
        }
    }
    if let (Some(at), Some(first)) = (c.start_at, plan.points.first()) {
        if let Ok(late) = std::time::SystemTime::now().duration_since(at.0) {
            if late > first.duration {
                return Err(usage(anyhow!(
                    "--start-at: the time is {:.0} s in the past, more than a point's {:.0} s",
                    late.as_secs_f64(),
                    first.duration.as_secs_f64()
                )));
            }
        }
    }
    Ok(ExecOpts {
        segment,
        start_at: c.start_at,
        ..exec_opts(c)
    })
}

/// Refuses the segment options on a command that does not run segments.
pub(crate) fn no_segments(c: &CommonArgs, command: &str) -> Result<(), Fail> {
    let given = [
        (c.segment.is_some(), "--segment"),
        (c.segments.is_some(), "--segments"),
        (c.start_at.is_some(), "--start-at"),
    ];
    match given.iter().find(|(on, _)| *on) {
        Some((_, flag)) => Err(usage(anyhow!(
            "{flag}: `{command}` runs in one process; segments are for `run`, `sweep` and `gate --baseline` (merge their results with `perf-scenarios merge`)"
        ))),
        None => Ok(()),
    }
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
    LoadModel::open(rate.unwrap_or(spec.default_rate), c.max_users)
}

fn closed(users: usize, c: &CommonArgs) -> LoadModel {
    LoadModel::Closed {
        users,
        think: c.think,
        ramp_up: c.ramp_up,
    }
}

pub fn plan_run(a: &RunArgs) -> Result<Plan, Fail> {
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

pub fn plan_sweep(a: &SweepArgs) -> Result<Plan, Fail> {
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
