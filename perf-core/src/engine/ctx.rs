//! The context of the load point being run, for scenario code: parameter values, a
//! seeded random source, and the recorder the [`http`](super::http) helpers write to.
//! Goose runs one attack at a time per process, and so does this engine; the context is
//! process-wide like Goose's own state.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::params::Params;
use crate::record::Recorder;

/// The running point's context.
#[derive(Debug)]
pub struct RunCtx {
    pub(crate) recorder: Arc<Recorder>,
    params: Params,
    seed: u64,
    draws: AtomicU64,
}

static CURRENT: RwLock<Option<Arc<RunCtx>>> = RwLock::new(None);

impl RunCtx {
    pub(crate) fn install(recorder: Arc<Recorder>, params: Params, seed: u64) -> Arc<RunCtx> {
        let ctx = Arc::new(RunCtx {
            recorder,
            params,
            seed,
            draws: AtomicU64::new(0),
        });
        *CURRENT
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ctx.clone());
        ctx
    }

    pub(crate) fn clear() {
        *CURRENT
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

tokio::task_local! {
    /// Set while a transaction that counts in the point runs.
    static COUNTED: ();
}

/// Runs a transaction whose requests count in the point: each is recorded however it
/// ends (see [`crate::record::InFlight`]).
pub(crate) async fn counted<F: std::future::Future>(f: F) -> F::Output {
    COUNTED.scope((), f).await
}

/// A ticket for a request sent now, when it belongs to a counted transaction.
pub(crate) fn begin(endpoint: String) -> Option<crate::record::InFlight> {
    COUNTED.try_with(|_| ()).ok()?;
    current().map(|c| c.recorder.begin(endpoint))
}

pub(crate) fn current() -> Option<Arc<RunCtx>> {
    CURRENT
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// The value of a scenario parameter in the running point (0 outside a run).
pub fn param(name: &str) -> f64 {
    current().map_or(0.0, |c| c.params.get(name))
}

/// A number in `0..n` from the run's seeded sequence (0 when `n` is 0).
pub fn random_below(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let (seed, i) = current().map_or((0, 0), |c| {
        (c.seed, c.draws.fetch_add(1, Ordering::Relaxed))
    });
    // splitmix64 of (seed, draw index): reproducible for a seed and an order of draws.
    let mut z = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % n
}
