//! The generator's own lag: how late its runtime polls a task that is ready. A load
//! generator whose runtime is overloaded (too many users for its cores, a busy
//! neighbour, a throttled container) delays every request's send and every response's
//! handling by that much, and the delay is charged to the target's latency. CPU alone
//! does not show it — a generator sharing its core with another process shows 50% CPU
//! and is still late.
//!
//! [`LagMeter::measure`] adds two delays. How late the sampler's timer woke it (beyond
//! the timer's millisecond granularity): a thread the OS took off its core, or a worker
//! busy for long stretches, wakes late. And one yield round trip: the task goes to the
//! back of the run queue and comes back after the worker has run what was ready before
//! it (and polled its I/O driver), the queueing delay a ready request future sees. The
//! sampler measures every [`TICK`] and keeps each second's
//! mean ([`crate::summary::ResourceSample::gen_lag_ms`]) and the mean over the point's
//! window; [`material`] decides from the latter whether the point's latency was the
//! generator's.

use std::time::{Duration, Instant};

/// How long the sampler sleeps between measurements.
pub const TICK: Duration = Duration::from_millis(50);
/// Tokio's timer wheel fires on whole milliseconds: a sleep ends up to this late on an
/// idle runtime.
const TIMER_GRANULARITY: Duration = Duration::from_millis(1);

/// Each second's round trips.
#[derive(Debug, Default)]
pub struct LagMeter {
    sum_ms: f64,
    n: u32,
}

impl LagMeter {
    /// The lag of one wake-up, ms (also added to the mean): how much later than
    /// [`TICK`] after `slept` the timer woke the task, beyond the timer's 1-ms
    /// granularity, plus one yield round trip on the runtime.
    pub async fn measure(&mut self, slept: Instant) -> f64 {
        let late = slept.elapsed().saturating_sub(TICK + TIMER_GRANULARITY);
        let t = Instant::now();
        tokio::task::yield_now().await;
        let ms = (late + t.elapsed()).as_secs_f64() * 1000.0;
        self.add(ms);
        ms
    }

    /// Adds a round trip measured elsewhere.
    pub fn add(&mut self, ms: f64) {
        self.sum_ms += ms;
        self.n += 1;
    }

    /// The mean since the last call, ms; `None` without a measurement.
    pub fn take_mean_ms(&mut self) -> Option<f64> {
        let mean = (self.n > 0).then(|| self.sum_ms / f64::from(self.n));
        *self = Self::default();
        mean
    }
}

/// Lag below this is the ordinary jitter of a runtime on a shared machine, whatever the
/// latency (an idle runtime measures ~0.01 ms; 3,000 req/s on loopback about 1 ms; a
/// 2-core machine running several load tests at once a few ms, which at 2 ms and 10%
/// stopped a search in CI on points whose latency was the target's).
pub const LAG_FLOOR_MS: f64 = 10.0;
/// A lag at least this share of the mean latency is a material part of it.
pub const LAG_SHARE: f64 = 0.25;

/// Why a point's latency is the generator's, if it is: its mean lag is at least
/// [`LAG_FLOOR_MS`] and at least [`LAG_SHARE`] of the mean latency of its successes
/// (means on both sides: the mean latency carries the mean delay).
pub fn material(lag_ms: Option<f64>, mean_us: f64) -> Option<String> {
    let lag = lag_ms?;
    let mean_ms = mean_us / 1000.0;
    (lag >= LAG_FLOOR_MS && lag >= LAG_SHARE * mean_ms).then(|| {
        format!(
            "the generator's runtime woke its tasks {lag:.1} ms late on average ({:.0}% of the mean latency {mean_ms:.1} ms): its own delay is in the measured latency",
            if mean_ms > 0.0 { 100.0 * lag / mean_ms } else { 100.0 }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_only_when_it_is_large_and_a_share_of_the_latency() {
        assert!(material(None, 1000.0).is_none());
        assert!(material(Some(1.5), 100.0).is_none(), "under the floor");
        assert!(material(Some(5.0), 200_000.0).is_none(), "under the floor");
        assert!(material(Some(20.0), 200_000.0).is_none(), "10% of 200 ms");
        let why = material(Some(40.0), 120_000.0).unwrap();
        assert!(why.contains("40.0 ms late") && why.contains("33%"), "{why}");
        assert!(
            material(Some(12.0), 0.0).is_some(),
            "no successes: lag still counts"
        );
    }

    #[test]
    fn a_blocked_runtime_shows_its_lag() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (idle, busy) = rt.block_on(async {
            let mut m = LagMeter::default();
            for _ in 0..20 {
                let t = Instant::now();
                tokio::time::sleep(TICK).await;
                m.measure(t).await;
            }
            let idle = m.take_mean_ms().unwrap();
            // A task that holds the only worker for 20 ms at a time.
            let hog = tokio::spawn(async {
                for _ in 0..10 {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    tokio::task::yield_now().await;
                }
            });
            for _ in 0..5 {
                m.measure(Instant::now()).await;
            }
            let busy = m.take_mean_ms().unwrap();
            hog.await.unwrap();
            (idle, busy)
        });
        assert!(idle < 1.0, "idle {idle} ms");
        assert!(busy >= 10.0, "busy {busy} ms");
        assert!(LagMeter::default().take_mean_ms().is_none());
    }
}
