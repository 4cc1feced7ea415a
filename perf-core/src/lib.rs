//! perf-core: load model types, the Goose-based engine, SLOs, result files and readers.
//!
//! - [`slo`]: [`Slo`] and [`parse_slos`], the SLO grammar (Goose's threshold grammar),
//!   and [`SloVerdict`] with its margin for the ML plugin.
//! - [`params`]: [`ParamSpec`] (what a scenario declares) → [`Params`] (validated values).
//! - [`load`]: [`LoadModel`] (open arrival-rate or closed users) and [`LoadPoint`];
//!   [`segment`]: one test split over several generator processes.
//! - [`record`]: the per-endpoint µs histograms and the per-second timeline;
//!   [`hdr`]: the same histograms as stored (HdrHistogram V2), which merge exactly.
//! - [`probe`]: [`probe::LoadProbe`], the seam the breaking-point search drives.
//! - [`measured`]: a point's merged histograms as the SLOs judge them.
//! - [`summary`], [`results`]: the result directory's types, writer and reader;
//!   [`atomic`]: every file written whole or not at all.
//! - `browser` (feature `engine`): headless Chromium checks through chromedriver,
//!   [`browser::Page`] steps and their page timings.
//! - `engine` (feature `engine`, on by default): [`engine::run_point`] with Goose, the
//!   open model, resource sampling, signals; [`scenario::ScenarioSpec`] and the
//!   [`engine::http`] helpers scenario files use.
//! - `session` (feature `engine`): `session::Session`, one results directory and one
//!   target with points run one at a time; `session::execute` runs a run's or a sweep's
//!   plan, `session::EngineProbe` lets the breaking-point search drive it.
//!
//! ```
//! use perf_core::{parse_slos, ParamSpec, Params};
//!
//! let slos = parse_slos("p95<200ms, error-rate<1%")?;
//! assert_eq!(slos[0].limit, 200_000.0); // µs
//! let specs = [ParamSpec::bytes("size", "payload size", 1024, 0, 1 << 20)];
//! let p = Params::resolve("api", &specs, &[("size".into(), "64k".into())]).unwrap();
//! assert_eq!(p.get("size"), 65536.0);
//! # Ok::<(), perf_core::slo::SloError>(())
//! ```

pub mod atomic;
pub mod hdr;
pub mod load;
pub mod measured;
pub mod noise;
pub mod params;
pub mod probe;
pub mod record;
pub mod results;
pub mod segment;
pub mod slo;
pub mod summary;

#[cfg(feature = "engine")]
pub mod browser;
#[cfg(feature = "engine")]
pub mod engine;
#[cfg(feature = "engine")]
pub mod scenario;
#[cfg(feature = "engine")]
pub mod session;

pub use load::{parse_duration, LoadModel, LoadPoint, ModelKind};
pub use params::{ParamError, ParamSpec, Params};
pub use results::{read_runs, ResultsError, ResultsWriter};
pub use slo::{parse_slos, Slo, SloError, SloVerdict};
pub use summary::{Bucket, EndpointSummary, PointDetail, PointRow, TimelineRow};

/// What scenario files import.
#[cfg(feature = "engine")]
pub mod prelude {
    pub use crate::browser::{Page, StepError};
    pub use crate::engine::ctx::{param, random_below};
    pub use crate::engine::http;
    pub use crate::params::{ParamSpec, Params};
    pub use crate::scenario::ScenarioSpec;
    pub use goose::prelude::*;
    pub use std::time::Duration;
}
