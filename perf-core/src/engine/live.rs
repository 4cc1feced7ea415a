//! Each second of a running point, as it is harvested: the feed a live view (the
//! command line's dashboard) reads. The engine's sampler already closes every second's
//! histograms once a second; with a [`LiveSink`] it also hands that second over. Nothing
//! is added to the per-request path, and without a sink nothing is done at all.
//!
//! ```
//! use std::sync::{mpsc, Arc};
//! use perf_core::engine::live::{LiveSecond, LiveSink};
//!
//! let (tx, rx) = mpsc::channel::<LiveSecond>();
//! // The sink only queues the second; whoever reads `rx` does the work, off the engine.
//! let sink: LiveSink = Arc::new(move |s| {
//!     let _ = tx.send(s);
//! });
//! sink(LiveSecond::default());
//! assert_eq!(rx.recv().unwrap().second, 0);
//! ```

use std::sync::Arc;

use crate::hdr::SecondHistograms;
use crate::summary::{ResourceSample, TimelineRow};

/// One harvested second of a point.
#[derive(Debug, Clone, Default)]
pub struct LiveSecond {
    /// The point's index in its session.
    pub point: usize,
    /// Seconds since the point's window opened (0 for the first).
    pub second: u64,
    /// That second's rows per endpoint and `ALL` (as the timeline stores them).
    pub rows: Vec<TimelineRow>,
    /// That second's histograms per endpoint, as stored: a live view merges them into
    /// the point's percentiles so far.
    pub histograms: SecondHistograms,
    /// The newest resource sample of the generator and the target.
    pub resources: Option<ResourceSample>,
    /// Transactions running at the end of the second (busy users).
    pub in_flight: u64,
    /// Open model: starts scheduled so far, and dropped so far (every user busy, or
    /// the generator late); zero in the closed model.
    pub scheduled: u64,
    /// See `scheduled`.
    pub dropped: u64,
}

/// Where the engine hands each harvested second. Called on the engine's runtime once a
/// second: it must return at once (queue the second, do the work elsewhere).
pub type LiveSink = Arc<dyn Fn(LiveSecond) + Send + Sync>;
