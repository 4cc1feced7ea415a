//! The command line's side of a session: start the embedded site when there is no
//! `--host`, open a [`perf_core::session::Session`] with the console as its observer,
//! and name the option behind any failure.

use anyhow::{anyhow, Context};
use perf_core::scenario::ScenarioSpec;
use perf_core::session::{self, Executed, Plan, Session, SessionParams, SessionTarget};
use perf_core::Slo;

use crate::fail::{self, runtime, usage, Fail, SLO_FAILED};
use crate::output::Console;
use crate::plan::{ExecOpts, TargetChoice};

/// The target of `opts`: the host, or the embedded site started on a loopback port.
pub fn target(opts: &ExecOpts) -> Result<SessionTarget, Fail> {
    match &opts.target {
        TargetChoice::Host(url) => Ok(SessionTarget::Host {
            url: url.clone(),
            pid: opts.target_pid,
        }),
        TargetChoice::Embedded(_) if opts.target_pid.is_some() => Err(usage(anyhow!(
            "--target-pid: only with --host; the embedded site runs in this process and is measured already"
        ))),
        TargetChoice::Embedded(p) => {
            let cfg = p
                .check()
                .map_err(|e| usage(e.with_option_prefix("site-")))?;
            let site = cfg
                .start("127.0.0.1:0".parse().expect("literal"))
                .context("cannot start the embedded dummy site")
                .map_err(runtime)?;
            Ok(SessionTarget::InProcess {
                url: site.url(),
                keep: Box::new(site),
            })
        }
    }
}

/// Opens a session on the console for `points` points of `duration` each.
pub fn open(
    scenario: &ScenarioSpec,
    slos: &[Slo],
    points: usize,
    duration: std::time::Duration,
    opts: &ExecOpts,
) -> Result<Session, Fail> {
    let params = SessionParams {
        planned_points: points,
        point_duration: duration,
        ..opts.session_params(scenario, slos)
    };
    Session::open(params, target(opts)?, Box::new(Console::default())).map_err(fail::session)
}

/// Runs every point of a plan on the console.
pub fn execute(plan: &Plan, opts: &ExecOpts) -> Result<Executed, Fail> {
    session::execute(
        plan,
        opts.session_params(&plan.scenario, &plan.slos),
        target(opts)?,
        Box::new(Console::default()),
    )
    .map_err(fail::session)
}

/// 130/143 when interrupted; when `slo_decides` (a single run), 99 when an SLO failed;
/// else 0.
pub fn exit_code(done: &Executed, slo_decides: bool) -> u8 {
    match done.interrupted {
        Some(sig) => perf_core::engine::signals::exit_code(sig),
        None if slo_decides && done.slo_failed() => SLO_FAILED,
        None => 0,
    }
}
