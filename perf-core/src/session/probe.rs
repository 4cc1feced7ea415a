//! [`EngineProbe`]: the breaking-point search's [`LoadProbe`] over a [`Session`]. Each
//! rate the search asks for is a real open-model point of the session, so it lands in
//! `runs.csv` like a sweep's.

use std::time::Duration;

use super::{Session, SessionError};
use crate::probe::{LoadProbe, ProbeOutcome, SearchView};
use crate::{LoadModel, LoadPoint, Params, Slo};

/// Runs load points at the rates the search asks for.
#[derive(Debug)]
pub struct EngineProbe<'a> {
    session: &'a mut Session,
    slos: Vec<Slo>,
    params: Params,
    duration: Duration,
    max_users: Option<usize>,
    failure: Option<SessionError>,
}

/// A point could not be run (the session's error is kept: [`EngineProbe::failure`]), or
/// a signal arrived before it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PointFailed(String);

impl<'a> EngineProbe<'a> {
    /// Points of `duration` with `params`, judged on `slos`; the open model's user cap is
    /// `max_users`, or [`LoadModel::default_max_users`] of each rate.
    pub fn new(
        session: &'a mut Session,
        slos: Vec<Slo>,
        params: Params,
        duration: Duration,
        max_users: Option<usize>,
    ) -> Self {
        Self {
            session,
            slos,
            params,
            duration,
            max_users,
            failure: None,
        }
    }

    /// The session error of the point that could not be run, if one could not.
    pub fn failure(self) -> Option<SessionError> {
        self.failure
    }
}

impl LoadProbe for EngineProbe<'_> {
    type Error = PointFailed;

    fn probe(&mut self, rate: f64) -> Result<ProbeOutcome, PointFailed> {
        if let Some(sig) = self.session.interrupted() {
            return Err(PointFailed(format!("interrupted by signal {sig}")));
        }
        let point = LoadPoint {
            model: LoadModel::open(rate, self.max_users),
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
            Err(e) => {
                // The whole chain, as `{:#}` of anyhow would show it.
                let mut shown = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    shown = format!("{shown}: {c}");
                    cause = c.source();
                }
                let shown = PointFailed(shown);
                self.failure = Some(e);
                Err(shown)
            }
        }
    }

    fn slos(&self) -> &[Slo] {
        &self.slos
    }

    fn show(&mut self, view: &SearchView) {
        self.session.show_search(view);
    }
}
