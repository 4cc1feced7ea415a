//! A fixed list of points, run in order through a [`Session`]: a run or a sweep.

use std::path::PathBuf;

use super::{Observer, Session, SessionError, SessionParams, SessionTarget};
use crate::engine::PointOutcome;
use crate::scenario::ScenarioSpec;
use crate::{LoadPoint, Slo};

/// What to run.
#[derive(Debug, Clone)]
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

/// What a plan (or a session) produced.
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
    /// Whether any point failed one of its SLOs.
    pub fn slo_failed(&self) -> bool {
        self.outcomes.iter().any(|o| !o.detail.row.slo_pass)
    }
}

/// Runs every point of a plan, writing each as it completes; stops early on a signal or
/// on an error rate above `plan.stop_on_error_rate`. `params` gives everything but the
/// scenario, SLOs and the planned points, which come from the plan.
pub fn execute(
    plan: &Plan,
    mut params: SessionParams,
    target: SessionTarget,
    observer: Box<dyn Observer>,
) -> Result<Executed, SessionError> {
    params.scenario = plan.scenario.clone();
    params.slos = plan.slos.clone();
    params.planned_points = plan.points.len();
    params.point_duration = plan
        .points
        .first()
        .map_or(params.point_duration, |p| p.duration);
    let mut session = Session::open(params, target, observer)?;
    for point in &plan.points {
        if session.interrupted().is_some() {
            break;
        }
        let error_rate = session.run_point(point)?.detail.row.error_rate;
        if let Some(limit) = plan.stop_on_error_rate {
            if error_rate > limit {
                session.note(&format!(
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
