//! perf-ml: models that turn load results into answers. It reads perf-core's result
//! files and types only (no Goose).
//!
//! - [`usl`]: the Universal Scalability Law, [`usl::fit_usl`] → [`usl::UslFit`] with
//!   bootstrap intervals, peak concurrency and maximum throughput.
//! - [`latency`]: latency models behind the [`latency::Fit`] / [`latency::Predict`]
//!   seams: the queueing curve (capacity), smartcore ridge and random forest.
//! - [`failure`]: the failure probability (binomial likelihood on counts: logistic or
//!   shedding curve, chosen by held-out likelihood, profile-likelihood intervals).
//! - [`cv`]: cross-validation grouped by load point.
//! - [`search`]: the breaking-point search (Gaussian process, bisection, ramp) over a
//!   [`perf_core::probe::LoadProbe`]; `search.json` ([`search::file`]) and the earlier
//!   evidence a warm start reads ([`search::evidence`]).
//! - [`gate`]: the regression gate ([`gate::GateParams`] → [`gate::Gate`], baselines and
//!   their checks, `gate.json`, the A/B run order [`gate::interleave`]), the breaking-point
//!   gate ([`gate::capacity`]) and the benchmark gate over criterion's estimates
//!   ([`gate::criterion`]).
//! - [`stats`]: the statistical tests and intervals the gate and the models share
//!   (Mann–Whitney, Fisher, Wilson, Holm, bootstrap); it imports nothing else of the
//!   crate.
//! - [`analyze`]: anomalies, drift, capacity planning, bottlenecks, insights;
//!   [`report`]: all of them for one results directory as `report.json` and a
//!   self-contained `report.html` ([`report::ReportParams`] → [`report::Report`]).
//! - `drive` (feature `engine`): the load that produces results — targets and sessions,
//!   the search over real points, the gates' runs, the main job — for the command line
//!   and for tests that do not spawn it.
//! - [`plan`]: the capacity plan — a traffic series forecast (MSTL + ETS, backtested
//!   against seasonal-naive), replicas per step at one replica's capacity, a scaling
//!   schedule, its cost, and the days until today's replicas run out.
//! - [`tune`]: auto-tuning — the cheapest configuration of knobs (site options, scenario
//!   parameters, anything a command applies) meeting the SLOs at a rate, by constrained
//!   EGO (egobox-ego) over real load runs, with grid and random baselines.
//! - [`fit`]: [`fit::fit_and_save`] and [`fit::predict`]; [`model_file`]: versioned
//!   model files.
//!
//! ```
//! use perf_ml::usl::fit_usl;
//!
//! let data = [(1.0, 100.0), (2.0, 190.0), (4.0, 340.0), (8.0, 520.0), (16.0, 600.0), (32.0, 560.0)];
//! let f = fit_usl(&data, 1)?;
//! assert!(f.sigma >= 0.0 && f.kappa >= 0.0 && f.n_star > 8.0);
//! # Ok::<(), perf_ml::MlError>(())
//! ```

pub mod analyze;
pub mod cv;
pub mod data;
#[cfg(feature = "engine")]
pub mod drive;
mod error;
pub mod failure;
pub mod fit;
pub mod gate;
pub mod latency;
pub mod model_file;
mod nm;
pub mod plan;
pub mod report;
pub mod search;
pub mod stats;
pub mod tune;
pub mod usl;

pub use error::MlError;
