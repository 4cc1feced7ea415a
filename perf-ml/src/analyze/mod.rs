//! Analyses that turn a run into findings:
//!
//! - [`anomaly`]: anomalous seconds within a run (robust z-score on MAD, EWMA chart,
//!   binomial z for errors) with [`anomaly::Severity`];
//! - [`drift`]: this run's latency against history, with runs as the sampling unit (a
//!   t prediction interval per endpoint and point, Bonferroni over the comparisons);
//! - [`capacity`]: capacity at an SLO, replicas, and the date growth breaks the SLO;
//! - [`bottleneck`]: target CPU-bound, queueing-bound, error-bound or generator-bound,
//!   with evidence and a recommendation;
//! - [`insights`]: which endpoint breaks first, permutation importance, k-means
//!   clusters of endpoints.
//!
//! ```
//! use perf_ml::analyze::anomaly::{AnomalyParams, Severity, Tick};
//!
//! // 30 steady seconds at ~5 ms with a 3-second stall from second 12.
//! let ticks: Vec<Tick> = (0..30)
//!     .map(|s| {
//!         let stalled = (12..15).contains(&s);
//!         Tick { second: s, requests: if stalled { 0 } else { 100 }, failures: 0,
//!                p95_us: if s == 15 { 3_000_000 } else if stalled { 0 } else { 5_000 + s % 3 * 50 } }
//!     })
//!     .collect();
//! let found = AnomalyParams::default().detect(0, &ticks);
//! assert_eq!(found.len(), 1);
//! assert_eq!((found[0].from_s, found[0].to_s), (12, 15));
//! assert_eq!(found[0].severity, Severity::Critical);
//! ```

pub mod anomaly;
pub mod bottleneck;
pub mod capacity;
pub mod drift;
pub mod insights;

#[cfg(test)]
mod tests;
