//! What a scenario file declares: [`ScenarioSpec`]. A scenario is one file
//! `scenarios/<name>.rs` with a `pub fn spec() -> ScenarioSpec`; the `perf-scenarios`
//! build script finds it, so adding a file is all it takes.

use std::time::Duration;

use goose::prelude::{GooseError, Scenario};

use crate::params::{ParamSpec, Params};

/// Builds the scenario's Goose transactions for one set of parameter values.
pub type BuildFn = fn(&Params) -> Result<Scenario, GooseError>;

/// A load scenario.
#[derive(Debug, Clone)]
pub struct ScenarioSpec {
    /// Short name, as typed on the command line.
    pub name: &'static str,
    /// One line saying what it exercises.
    pub description: &'static str,
    /// Its parameters.
    pub params: Vec<ParamSpec>,
    /// Default arrival rate (open model), requests per second.
    pub default_rate: f64,
    /// Default duration of a point.
    pub default_duration: Duration,
    /// Default SLOs, such as `p95<200ms,error-rate<1%`.
    pub default_slo: &'static str,
    /// Builds the Goose scenario. Its transactions should make one request each, so the
    /// open model's rate is a request rate.
    pub build: BuildFn,
    /// Browser steps, run by browser users (`perf-scenarios browser`, `--browser-users`).
    pub browser: Option<crate::browser::Journey>,
    /// The CI gate's short profile (`perf-scenarios gate`); see [`ScenarioSpec::gate_profile`].
    pub gate: Option<GateProfile>,
}

/// The load points `perf-scenarios gate` runs: open-model rates, each for `duration`,
/// with the parameters' defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct GateProfile {
    /// Arrival rates, requests per second, in order.
    pub rates: Vec<f64>,
    /// Length of each point.
    pub duration: Duration,
}

impl ScenarioSpec {
    /// A spec with no parameters, 50 req/s for 10 s and no SLOs.
    pub fn new(name: &'static str, description: &'static str, build: BuildFn) -> Self {
        Self {
            name,
            description,
            params: Vec::new(),
            default_rate: 50.0,
            default_duration: Duration::from_secs(10),
            default_slo: "",
            build,
            browser: None,
            gate: None,
        }
    }

    /// Sets the CI gate's profile: a few short open-model points.
    #[must_use]
    pub fn gate(mut self, rates: &[f64], duration: Duration) -> Self {
        self.gate = Some(GateProfile {
            rates: rates.to_vec(),
            duration,
        });
        self
    }

    /// The gate profile: the one set with [`ScenarioSpec::gate`], else half and all of the
    /// default rate for 10 s each.
    pub fn gate_profile(&self) -> GateProfile {
        self.gate.clone().unwrap_or_else(|| GateProfile {
            rates: vec![self.default_rate / 2.0, self.default_rate],
            duration: Duration::from_secs(10),
        })
    }

    /// Adds a parameter.
    #[must_use]
    pub fn param(mut self, p: ParamSpec) -> Self {
        self.params.push(p);
        self
    }

    /// Sets the default load profile.
    #[must_use]
    pub fn load(mut self, rate: f64, duration: Duration) -> Self {
        self.default_rate = rate;
        self.default_duration = duration;
        self
    }

    /// Adds browser steps: an `fn(&mut Page) -> BoxFuture<Result<(), StepError>>` that
    /// drives one headless Chromium session through a user journey.
    #[must_use]
    pub fn browser(mut self, journey: crate::browser::Journey) -> Self {
        self.browser = Some(journey);
        self
    }

    /// Sets the default SLOs.
    #[must_use]
    pub fn slo(mut self, slo: &'static str) -> Self {
        self.default_slo = slo;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::{Page, StepError};

    fn journey(
        _: &mut Page,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StepError>> + Send + '_>>
    {
        Box::pin(async { Ok(()) })
    }

    fn build(_: &Params) -> Result<Scenario, GooseError> {
        Ok(goose::prelude::scenario!("x"))
    }

    #[test]
    fn browser_steps_are_kept() {
        let s = ScenarioSpec::new("x", "y", build).browser(journey);
        assert!(s.browser.is_some());
        assert!(s.clone().browser.is_some());
    }
}
