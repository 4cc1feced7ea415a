//! Auto-tuning: the cheapest configuration that meets the SLOs at a given load, found by
//! constrained Bayesian optimization over real load runs.
//!
//! - [`knob`]: a tuned setting and its range (`site-workers=1..64:int`).
//! - [`cost`]: the cost, an expression over the knobs (evalexpr).
//! - [`propose`]: where to measure next — EGO (egobox-doe's Latin hypercube, then
//!   egobox-ego's ask-and-tell service with the cost as objective and the SLO margin as
//!   constraint), or the grid and random baselines.
//! - [`surrogate`]: the margin's Gaussian process: the chance that a cheaper
//!   configuration meets the SLOs (the stopping rule) and each knob's weight.
//! - [`report`]: what a tuning found ([`TuneReport`], written as `tune.json`).
//!
//! [`TuneParams`] → [`TuneParams::check`] → [`Tuner::run`] over a [`TuneProbe`], which
//! applies a configuration and runs one load point at the tuned rate (perf-ml's
//! `drive::tune` over the engine; tests use synthetic targets).
//!
//! ```
//! use perf_ml::tune::{Strategy, TuneParams};
//! let tuner = TuneParams {
//!     knobs: vec!["site-workers=1..64:int".parse()?, "site-queue=1..1000:log".parse()?],
//!     cost: "site-workers * 0.05 + site-queue * 0.001".into(),
//!     strategy: Strategy::Ego,
//!     max_runs: 20,
//!     stop_chance: 0.05,
//!     seed: 1,
//! }
//! .check()?;
//! assert_eq!(tuner.cost(&[10.0, 100.0])?, 0.6);
//! # Ok::<(), perf_ml::tune::TuneError>(())
//! ```

pub mod cost;
pub mod knob;
pub mod propose;
pub mod report;
pub mod surrogate;

use perf_core::probe::ProbeOutcome;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use cost::Cost;
pub use knob::{Knob, Scale};
pub use propose::Strategy;
pub use report::{Sensitivity, SloValue, TunePoint, TuneReport, TuneStop};

use crate::search::margin::point_margin;
use propose::{Proposer, Told};
use surrogate::MarginModel;

/// Why tuning cannot start.
#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    /// A `--knob` that does not parse.
    #[error("--knob '{spec}': {why}")]
    Knob {
        /// As given.
        spec: String,
        /// What is wrong.
        why: String,
    },
    /// No knob, or one named twice.
    #[error("--knob: {0}")]
    Knobs(String),
    /// The cost expression.
    #[error("--cost '{expr}': {why}")]
    Cost {
        /// As given.
        expr: String,
        /// What is wrong.
        why: String,
    },
    /// A setting of the tuning itself.
    #[error("{option}: {why}")]
    Setting {
        /// The option (`--max-runs`).
        option: &'static str,
        /// What is wrong.
        why: String,
    },
}

/// Applies a configuration and runs one load point at the tuned rate.
pub trait TuneProbe {
    /// Why a configuration could not be applied or measured.
    type Error: std::error::Error;

    /// Applies `values` (one per knob of `knobs`) and runs point `index`.
    fn measure(
        &mut self,
        index: usize,
        knobs: &[Knob],
        values: &[f64],
    ) -> Result<ProbeOutcome, Self::Error>;

    /// Told each point as it is judged (for a console line); ignored by default.
    fn told(&mut self, _index: usize, _point: &TunePoint, _knobs: &[Knob]) {}
}

/// Settings of a tuning, unchecked.
#[derive(Debug, Clone)]
pub struct TuneParams {
    /// The knobs.
    pub knobs: Vec<Knob>,
    /// The cost expression over them.
    pub cost: String,
    /// How configurations are chosen.
    pub strategy: Strategy,
    /// At most this many load runs.
    pub max_runs: usize,
    /// EGO stops when the chance that a cheaper configuration meets the SLOs falls below
    /// this (0.05).
    pub stop_chance: f64,
    /// Seed of the design, the optimizer and the baselines.
    pub seed: u64,
}

/// A checked tuning.
#[derive(Debug, Clone)]
pub struct Tuner {
    params: TuneParams,
    cost: Cost,
}

impl TuneParams {
    /// Checks the knobs, the cost and the budget.
    pub fn check(self) -> Result<Tuner, TuneError> {
        if self.knobs.is_empty() {
            return Err(TuneError::Knobs("at least one knob is needed".into()));
        }
        for (i, k) in self.knobs.iter().enumerate() {
            if self.knobs[..i].iter().any(|o| o.ident() == k.ident()) {
                return Err(TuneError::Knobs(format!("'{}' is given twice", k.name)));
            }
        }
        let min = propose::initial_points(self.knobs.len()) + 1;
        if self.max_runs < min || self.max_runs > 1000 {
            return Err(TuneError::Setting {
                option: "--max-runs",
                why: format!(
                    "{} is outside {min}..1000 ({min}: the first design of {} knob(s) and one more)",
                    self.max_runs,
                    self.knobs.len()
                ),
            });
        }
        if !(self.stop_chance > 0.0 && self.stop_chance < 1.0) {
            return Err(TuneError::Setting {
                option: "--stop-chance",
                why: format!("{} is not between 0 and 1", self.stop_chance),
            });
        }
        let cost = Cost::parse(&self.cost, &self.knobs)?;
        Ok(Tuner { params: self, cost })
    }
}

impl Tuner {
    /// The settings.
    pub fn params(&self) -> &TuneParams {
        &self.params
    }

    /// The cost of `values`.
    pub fn cost(&self, values: &[f64]) -> Result<f64, TuneError> {
        self.cost.eval(values)
    }

    /// Measures configurations until the budget is spent, EGO's stopping rule holds, the
    /// strategy has nothing left, a signal arrives, or a point fails; the report says
    /// which.
    pub fn run<P: TuneProbe>(&self, probe: &mut P) -> TuneReport {
        let p = &self.params;
        let mut proposer = Proposer::new(&p.knobs, p.strategy, p.max_runs, p.seed);
        let mut told: Vec<Told> = Vec::new();
        let mut points: Vec<TunePoint> = Vec::new();
        let mut chance = None;
        let mut fitted: (usize, Option<MarginModel>) = (usize::MAX, None);
        let stop = loop {
            if points.len() >= p.max_runs {
                break TuneStop::Budget;
            }
            let Some(next) = proposer.next(&told) else {
                break TuneStop::Exhausted;
            };
            let cost = match self.cost.eval(&next.values) {
                Ok(c) => c,
                Err(e) => {
                    break TuneStop::Failed {
                        point: points.len(),
                        why: e.to_string(),
                    }
                }
            };
            let index = points.len();
            let outcome = match probe.measure(index, &p.knobs, &next.values) {
                Ok(o) => o,
                Err(e) => {
                    break TuneStop::Failed {
                        point: index,
                        why: chain(&e),
                    }
                }
            };
            let point = TunePoint::judged(&next, cost, &outcome);
            probe.told(index, &point, &p.knobs);
            told.push(Told {
                values: next.values,
                cost,
                margin: point.evidence().then_some(point.margin).flatten(),
            });
            points.push(point);
            if let Some(signal) = outcome.interrupted {
                break TuneStop::Interrupted { signal };
            }
            if p.strategy == Strategy::Ego && told.len() > propose::initial_points(p.knobs.len()) {
                fitted = (told.len(), self.model(&told));
                chance = fitted
                    .1
                    .as_ref()
                    .and_then(|m| self.chance_cheaper(&told, m));
                if let Some(c) = chance.filter(|c| *c < p.stop_chance) {
                    break TuneStop::NoCheaperLikely { chance: c };
                }
            }
        };
        // The model of the last assessment serves the report when nothing came after it.
        if fitted.0 != told.len() {
            fitted = (told.len(), self.model(&told));
            chance = fitted
                .1
                .as_ref()
                .and_then(|m| self.chance_cheaper(&told, m));
        }
        let weights = fitted
            .1
            .as_ref()
            .map(|m| self.weights(m))
            .unwrap_or_default();
        TuneReport::new(self, points, stop, chance, weights)
    }

    fn units(&self, values: &[f64]) -> Vec<f64> {
        self.params
            .knobs
            .iter()
            .zip(values)
            .map(|(k, v)| k.unit(*v))
            .collect()
    }

    fn model(&self, told: &[Told]) -> Option<MarginModel> {
        let data: Vec<(Vec<f64>, f64)> = told
            .iter()
            .filter_map(|t| Some((self.units(&t.values), t.margin?)))
            .collect();
        MarginModel::fit(&data, self.params.knobs.len())
    }

    /// The highest probability, under the margin's model, that an unmeasured
    /// configuration [`CHEAPER`] than the best feasible one meets the SLOs; `None` before
    /// anything is feasible.
    fn chance_cheaper(&self, told: &[Told], model: &MarginModel) -> Option<f64> {
        let best = told
            .iter()
            .filter(|t| t.margin.is_some_and(|m| m <= 0.0))
            .map(|t| t.cost)
            .min_by(f64::total_cmp)?;
        let knobs = &self.params.knobs;
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.seed ^ 0x5eed);
        let mut cheaper: Vec<Vec<f64>> = Vec::new();
        for _ in 0..4096 {
            let v: Vec<f64> = knobs.iter().map(|k| k.from_unit(rng.random())).collect();
            let cheap = self
                .cost
                .eval(&v)
                .is_ok_and(|c| c <= best - CHEAPER * best.abs());
            let fresh = !told.iter().any(|t| t.values == v) && !cheaper.contains(&v);
            if cheap && fresh {
                cheaper.push(v);
            }
        }
        let units: Vec<Vec<f64>> = cheaper.iter().map(|v| self.units(v)).collect();
        Some(model.p_feasible(&units).into_iter().fold(0.0, f64::max))
    }

    fn weights(&self, model: &MarginModel) -> Vec<Sensitivity> {
        let w = model.weights();
        let total: f64 = w.iter().sum();
        self.params
            .knobs
            .iter()
            .zip(w)
            .map(|(k, weight)| Sensitivity {
                knob: k.name.clone(),
                weight,
                share: if total > 0.0 { weight / total } else { 0.0 },
            })
            .collect()
    }
}

/// "Cheaper" for the stopping rule: at least 1% below the best cost (a continuous knob
/// always offers a hair cheaper configuration next to the best).
pub const CHEAPER: f64 = 0.01;

/// An error with its causes, as `{:#}` of anyhow shows it.
fn chain(e: &dyn std::error::Error) -> String {
    let mut shown = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        shown = format!("{shown}: {c}");
        cause = c.source();
    }
    shown
}

/// Whether a measured point's margin counts as meeting the SLOs.
fn feasible(margin: Option<f64>) -> bool {
    margin.is_some_and(|m| m <= 0.0)
}

/// The margin of a point as tuning reads it: the search's ([`point_margin`]).
fn margin(o: &ProbeOutcome) -> Option<f64> {
    point_margin(o)
}

#[cfg(test)]
mod tests;
