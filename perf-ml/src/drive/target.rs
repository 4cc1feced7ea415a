//! Where load goes and how it runs: [`ExecOpts`] opens sessions on its target and
//! executes plans.

use std::path::PathBuf;
use std::time::Duration;

use dummy_site::SiteParams;
use perf_core::browser::BrowserParams;
use perf_core::engine::{self, Target};
use perf_core::scenario::ScenarioSpec;
use perf_core::segment::{Segment, StartAt};
use perf_core::session::{
    self, Executed, Observer, Plan, Session, SessionParams, SessionTarget, Silent,
};
use perf_core::summary::Environment;
use perf_core::Slo;

use super::DriveError;

/// Where the target is.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetChoice {
    /// Any server, by its base URL.
    Host(String),
    /// The dummy site with these settings, started in this process on a loopback port
    /// for each session.
    Embedded(SiteParams),
}

/// How to run load: the target, the results folder, timeouts, the seed, browser users,
/// and the observer each session reports to.
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
    /// The host's process id on this machine, for resource sampling.
    pub target_pid: Option<u32>,
    /// Write Goose's HTML report per point.
    pub goose_report: bool,
    /// Browser users during each point.
    pub browser: Option<BrowserParams>,
    /// Makes the observer of each session (the command line's console, or
    /// [`Silent`]).
    pub observer: fn() -> Box<dyn Observer>,
    /// This process's share of the test (execution segments).
    pub segment: Segment,
    /// The common wall-clock start of the first point's schedule.
    pub start_at: Option<StartAt>,
    /// Columns of `runs.csv` after the scenario's parameters
    /// ([`SessionParams::extra_params`]).
    pub extra_params: Vec<String>,
}

fn silent() -> Box<dyn Observer> {
    Box::new(Silent)
}

impl ExecOpts {
    /// `target`, results under `out`, and [`SessionParams::new`]'s defaults: 30-s
    /// timeout, 5-s grace, seed 42, no browsers, a silent observer.
    pub fn new(target: TargetChoice, out: PathBuf) -> Self {
        Self {
            target,
            out,
            timeout: SessionParams::TIMEOUT,
            grace: SessionParams::GRACE,
            seed: SessionParams::SEED,
            target_pid: None,
            goose_report: false,
            browser: None,
            observer: silent,
            segment: Segment::WHOLE,
            start_at: None,
            extra_params: Vec::new(),
        }
    }

    /// The same options against another target (its own process id unknown).
    pub fn with_target(&self, target: TargetChoice) -> Self {
        Self {
            target,
            target_pid: None,
            ..self.clone()
        }
    }

    /// These options for a session whose first point is the run's point `slot`: with a
    /// common start (`start_at`), that point's start; otherwise the same options.
    pub fn in_slot(&self, slot: usize, plan: &Plan) -> Self {
        let duration = plan
            .points
            .iter()
            .map(|p| p.duration)
            .max()
            .unwrap_or_default();
        Self {
            start_at: self
                .start_at
                .map(|s| StartAt(s.point(slot, duration, self.grace))),
            ..self.clone()
        }
    }

    /// The session's options for `scenario` judged on `slos`.
    pub fn session_params(&self, scenario: &ScenarioSpec, slos: &[Slo]) -> SessionParams {
        SessionParams {
            timeout: self.timeout,
            grace: self.grace,
            seed: self.seed,
            goose_report: self.goose_report,
            browser: self.browser.clone(),
            segment: self.segment,
            start_at: self.start_at,
            extra_params: self.extra_params.clone(),
            ..SessionParams::new(scenario.clone(), slos.to_vec(), self.out.clone())
        }
    }

    /// The session's target: the host, or the embedded site started on a loopback port
    /// (held by the session until it finishes).
    pub fn target(&self) -> Result<SessionTarget, DriveError> {
        match &self.target {
            TargetChoice::Host(url) => Ok(SessionTarget::Host {
                url: url.clone(),
                pid: self.target_pid,
            }),
            TargetChoice::Embedded(_) if self.target_pid.is_some() => {
                Err(DriveError::PidWithEmbedded)
            }
            TargetChoice::Embedded(p) => {
                let site = p
                    .check()
                    .map_err(DriveError::Site)?
                    .start("127.0.0.1:0".parse().expect("literal"))
                    .map_err(DriveError::SiteStart)?;
                Ok(SessionTarget::InProcess {
                    url: site.url(),
                    keep: Box::new(site),
                })
            }
        }
    }

    /// Opens a session for at most `points` points of `duration` each.
    pub fn open(
        &self,
        scenario: &ScenarioSpec,
        slos: &[Slo],
        points: usize,
        duration: Duration,
    ) -> Result<Session, DriveError> {
        let params = SessionParams {
            planned_points: points,
            point_duration: duration,
            ..self.session_params(scenario, slos)
        };
        Ok(Session::open(params, self.target()?, (self.observer)())?)
    }

    /// Runs every point of `plan` in one session.
    pub fn execute(&self, plan: &Plan) -> Result<Executed, DriveError> {
        Ok(session::execute(
            plan,
            self.session_params(&plan.scenario, &plan.slos),
            self.target()?,
            (self.observer)(),
        )?)
    }

    /// Where the target runs: in this process (the embedded site) or elsewhere.
    pub fn placement(&self) -> Target {
        match self.target {
            TargetChoice::Host(_) => Target::Remote,
            TargetChoice::Embedded(_) => Target::InProcess,
        }
    }

    /// This machine's environment with the target's placement, and the target as a
    /// baseline records it (`{"host": url}`, or the embedded site's settings).
    pub fn described(&self) -> (Environment, serde_json::Value) {
        let target = match &self.target {
            TargetChoice::Host(h) => serde_json::json!({ "host": h }),
            TargetChoice::Embedded(p) => serde_json::to_value(p).expect("site settings serialize"),
        };
        (engine::environment(self.placement()), target)
    }

    /// Tells a fresh observer `msg` (a line of progress between sessions).
    pub fn note(&self, msg: &str) {
        (self.observer)().note(msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_core::{LoadModel, LoadPoint, Params};

    #[test]
    fn a_later_session_of_a_common_start_begins_at_its_slot() {
        let point = LoadPoint {
            model: LoadModel::open(100.0, None),
            duration: Duration::from_secs(3),
            params: Params::default(),
        };
        let plan = Plan {
            scenario: ScenarioSpec::new("none", "no transactions", |_| {
                Ok(perf_core::prelude::Scenario::new("none"))
            }),
            points: vec![point.clone(), point],
            slos: Vec::new(),
            stop_on_error_rate: None,
        };
        let t0 = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let opts = ExecOpts {
            start_at: Some(StartAt(t0)),
            grace: Duration::from_secs(2),
            ..ExecOpts::new(
                TargetChoice::Host("http://127.0.0.1:1".into()),
                "out".into(),
            )
        };
        // The third run of a two-point plan starts at slot 4: 4 × (3 + 2 + 5) s.
        let later = opts.in_slot(4, &plan).start_at.unwrap();
        assert_eq!(later.0.duration_since(t0).unwrap(), Duration::from_secs(40));
        let none = ExecOpts {
            start_at: None,
            ..opts
        };
        assert_eq!(none.in_slot(4, &plan).start_at, None);
    }
}
