//! The recorder: latency histograms (µs, HdrHistogram) per endpoint, written from any
//! thread without contention. Each thread records into a shard of its own, so the lock
//! it takes is never contended except for the once-a-second harvest of the current
//! second's histograms into the timeline, which keeps the timeline bounded whatever the
//! request rate.
//!
//! A request of a transaction that started inside the point is *counted*: it takes an
//! [`InFlight`] ticket when it is sent and ends in the results however it ends. Answered
//! or failed, it is recorded with its duration, also when it finishes after the window
//! (in the grace period: it counts in the point, not in its throughput); still in flight
//! when the point gives up on it, the ticket is dropped and records a failure of kind
//! *unfinished* with the time it had waited so far.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use hdrhistogram::Histogram;

use crate::hdr::{self, HdrError, SecondHistograms, StoredAcc};
use crate::summary::{Bucket, EndpointSummary, TimelineRow};

/// Each bucket of [`EndpointSummary::latency_buckets`] is this much wider than the one
/// before: 2^(1/8), 8 buckets per doubling (9%).
pub const BUCKET_GROWTH: f64 = 1.090_507_732_665_257_7;

/// Highest latency kept exactly: 10 minutes, in µs (larger values are clamped).
const MAX_US: u64 = 600_000_000;
/// Name of the aggregate over all endpoints.
pub const ALL: &str = "ALL";

/// Latency and failure counts of one endpoint over some interval. Latency percentiles
/// describe successful requests (as k6's `expected_response` sub-metric): a fast 503 must
/// not lower the median of an overloaded target. Failed requests (unfinished ones
/// included) keep their durations in a histogram of their own.
#[derive(Debug, Clone)]
pub struct Acc {
    /// Latencies of successful requests, µs.
    pub hist: Histogram<u64>,
    /// Durations of failed requests, µs (made at the first failure).
    pub fail_hist: Option<Histogram<u64>>,
    /// Failed requests.
    pub failures: u64,
    /// Slowest successful request, exact (the histogram keeps 3 significant digits).
    pub max_us: u64,
    /// Slowest failed request, exact.
    pub fail_max_us: u64,
    /// Of the failures, requests still in flight when the point ended (timed as far as
    /// they got).
    pub unfinished: u64,
    /// Requests that finished after the window's end (in the grace period).
    pub after_window: u64,
    sigfig: u8,
}

fn histogram(sigfig: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, sigfig).expect("valid bounds")
}

impl Acc {
    fn new(sigfig: u8) -> Self {
        Self {
            hist: histogram(sigfig),
            fail_hist: None,
            failures: 0,
            max_us: 0,
            fail_max_us: 0,
            unfinished: 0,
            after_window: 0,
            sigfig,
        }
    }

    fn record(&mut self, us: u64, end: End) {
        let clamped = us.clamp(1, MAX_US);
        match end {
            End::Ok => {
                let _ = self.hist.record(clamped);
                self.max_us = self.max_us.max(us);
                return;
            }
            End::Failed => {}
            End::Unfinished => self.unfinished += 1,
        }
        self.failures += 1;
        self.fail_max_us = self.fail_max_us.max(us);
        let sigfig = self.sigfig;
        let _ = self
            .fail_hist
            .get_or_insert_with(|| histogram(sigfig))
            .record(clamped);
    }

    /// As stored in `histograms/<n>.json`, under `endpoint`.
    pub fn to_stored(&self, endpoint: &str) -> StoredAcc {
        StoredAcc {
            endpoint: endpoint.to_string(),
            ok: hdr::encode(&self.hist),
            fail: self.fail_hist.as_ref().map(hdr::encode),
            failures: self.failures,
            unfinished: self.unfinished,
            after_window: self.after_window,
            max_us: self.max_us,
            fail_max_us: self.fail_max_us,
        }
    }

    /// Back from [`Acc::to_stored`]: the same histograms and counts, ready to merge.
    pub fn from_stored(s: &StoredAcc) -> Result<Self, HdrError> {
        let hist = hdr::decode_for(&s.endpoint, &s.ok)?;
        let fail_hist = match &s.fail {
            Some(f) => Some(hdr::decode_for(&s.endpoint, f)?),
            None => None,
        };
        Ok(Self {
            sigfig: hist.sigfig(),
            hist,
            fail_hist,
            failures: s.failures,
            max_us: s.max_us,
            fail_max_us: s.fail_max_us,
            unfinished: s.unfinished,
            after_window: s.after_window,
        })
    }

    /// Adds `other`'s requests to these: histograms merged exactly, counts summed.
    pub fn merge(&mut self, other: &Acc) {
        let _ = self.hist.add(&other.hist);
        if let Some(f) = &other.fail_hist {
            match &mut self.fail_hist {
                Some(mine) => {
                    let _ = mine.add(f);
                }
                None => self.fail_hist = Some(f.clone()),
            }
        }
        self.failures += other.failures;
        self.max_us = self.max_us.max(other.max_us);
        self.fail_max_us = self.fail_max_us.max(other.fail_max_us);
        self.unfinished += other.unfinished;
        self.after_window += other.after_window;
    }

    /// Requests that finished inside the window (answered or failed): the throughput's
    /// numerator.
    pub fn finished_in_window(&self) -> u64 {
        self.count()
            .saturating_sub(self.unfinished)
            .saturating_sub(self.after_window)
    }

    /// Requests recorded, successful and failed.
    pub fn count(&self) -> u64 {
        self.hist.len() + self.failures
    }

    /// Successful requests recorded: the latency percentiles' sample.
    pub fn successes(&self) -> u64 {
        self.hist.len()
    }

    /// Summary over a window of `secs` seconds. Latency fields describe successful
    /// requests (0 when none succeeded); `fail_*` the failed ones (`None` when none).
    pub fn summary(&self, name: &str, secs: f64) -> EndpointSummary {
        let n = self.count();
        let ok = self.successes();
        let q = |p: f64| {
            if ok == 0 {
                0
            } else {
                self.hist.value_at_quantile(p / 100.0)
            }
        };
        let fq = |p: f64| {
            self.fail_hist
                .as_ref()
                .filter(|h| !h.is_empty())
                .map(|h| h.value_at_quantile(p / 100.0))
        };
        EndpointSummary {
            name: name.to_string(),
            requests: n,
            failures: self.failures,
            error_rate: if n == 0 {
                0.0
            } else {
                self.failures as f64 / n as f64
            },
            rps: if secs > 0.0 {
                self.finished_in_window() as f64 / secs
            } else {
                0.0
            },
            mean_us: if ok == 0 { 0.0 } else { self.hist.mean() },
            p50_us: q(50.0),
            p90_us: q(90.0),
            p95_us: q(95.0),
            p99_us: q(99.0),
            max_us: self.max_us,
            unfinished: self.unfinished,
            after_window: self.after_window,
            fail_p50_us: fq(50.0),
            fail_p95_us: fq(95.0),
            fail_max_us: (self.failures > 0).then_some(self.fail_max_us),
            latency_buckets: Vec::new(),
        }
    }

    /// [`Acc::summary`] with the latency histogram's buckets, for a whole point.
    pub fn point_summary(&self, name: &str, secs: f64) -> EndpointSummary {
        EndpointSummary {
            latency_buckets: self.buckets(),
            ..self.summary(name, secs)
        }
    }

    /// The successful requests' latencies in buckets growing by [`BUCKET_GROWTH`] from
    /// 1 µs; empty buckets left out.
    pub fn buckets(&self) -> Vec<Bucket> {
        if self.hist.is_empty() {
            return Vec::new();
        }
        self.hist
            .iter_log(1, BUCKET_GROWTH)
            .filter(|v| v.count_since_last_iteration() > 0)
            .map(|v| Bucket {
                le_us: v.value_iterated_to(),
                count: v.count_since_last_iteration(),
            })
            .collect()
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Ok,
    Failed,
    Unfinished,
}

impl End {
    fn of(ok: bool) -> Self {
        if ok {
            End::Ok
        } else {
            End::Failed
        }
    }
}

#[derive(Debug, Default)]
struct Shard {
    point: BTreeMap<String, Acc>,
    second: BTreeMap<String, Acc>,
}

fn record_into(
    map: &mut BTreeMap<String, Acc>,
    name: &str,
    us: u64,
    end: End,
    late: bool,
    sigfig: u8,
) {
    let a = match map.get_mut(name) {
        Some(a) => a,
        None => map
            .entry(name.to_string())
            .or_insert_with(|| Acc::new(sigfig)),
    };
    a.record(us, end);
    if late && end != End::Unfinished {
        a.after_window += 1;
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static LOCAL: RefCell<Option<(u64, Arc<Mutex<Shard>>)>> = const { RefCell::new(None) };
}

/// Records requests of one load point.
#[derive(Debug)]
pub struct Recorder {
    id: u64,
    shards: Mutex<Vec<Arc<Mutex<Shard>>>>,
    window: OnceLock<(Instant, Instant)>,
    timeline: Mutex<Vec<TimelineRow>>,
    second_hists: Mutex<Vec<SecondHistograms>>,
    seconds: AtomicU64,
    first_sent: OnceLock<Instant>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Recorder {
    /// An empty recorder that counts nothing until [`Recorder::open_window`].
    pub fn new() -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            shards: Mutex::new(Vec::new()),
            window: OnceLock::new(),
            timeline: Mutex::new(Vec::new()),
            second_hists: Mutex::new(Vec::new()),
            seconds: AtomicU64::new(0),
            first_sent: OnceLock::new(),
        }
    }

    /// Counts requests that finish in `[from, to)`. The window is set once per point;
    /// a second call changes nothing.
    pub fn open_window(&self, from: Instant, to: Instant) {
        let _ = self.window.set((from, to));
    }

    /// The measurement window, once opened.
    pub fn window(&self) -> Option<(Instant, Instant)> {
        self.window.get().copied()
    }

    /// Records a request of `endpoint` that took `us` µs and finished at `done`, when
    /// `done` is inside the window (browser steps; requests of the load use [`InFlight`]).
    pub fn record(&self, endpoint: &str, us: u64, ok: bool, done: Instant) {
        match self.window() {
            Some((from, to)) if done >= from && done < to => {}
            _ => return,
        }
        self.store(endpoint, us, End::of(ok), false);
    }

    /// A counted request of `endpoint` sent now: it will be recorded however it ends.
    pub fn begin(self: &Arc<Self>, endpoint: String) -> InFlight {
        let started = Instant::now();
        if self.first_sent.get().is_none() {
            let _ = self.first_sent.set(started);
        }
        InFlight {
            rec: self.clone(),
            endpoint,
            started,
            ended: false,
        }
    }

    /// When the first counted request was sent.
    pub fn first_sent(&self) -> Option<Instant> {
        self.first_sent.get().copied()
    }

    fn store(&self, endpoint: &str, us: u64, end: End, late: bool) {
        LOCAL.with(|l| {
            let mut l = l.borrow_mut();
            if l.as_ref().is_none_or(|(id, _)| *id != self.id) {
                let s = Arc::new(Mutex::new(Shard::default()));
                lock(&self.shards).push(s.clone());
                *l = Some((self.id, s));
            }
            let (_, shard) = l.as_ref().expect("set above");
            let mut s = lock(shard);
            record_into(&mut s.point, endpoint, us, end, late, 3);
            record_into(&mut s.second, endpoint, us, end, late, 2);
        });
    }

    /// Closes the current second: merges every shard's second into one timeline row per
    /// endpoint (plus [`ALL`]) and starts the next second. Returns that second's rows
    /// and histograms (for a live view; the recorder keeps its own).
    pub fn harvest_second(&self) -> (Vec<TimelineRow>, SecondHistograms) {
        let mut merged: BTreeMap<String, Acc> = BTreeMap::new();
        for shard in lock(&self.shards).iter() {
            let second = std::mem::take(&mut lock(shard).second);
            for (name, acc) in second {
                merged
                    .entry(name)
                    .and_modify(|m| m.merge(&acc))
                    .or_insert(acc);
            }
        }
        let sec = self.seconds.fetch_add(1, Ordering::Relaxed);
        let rows = timeline_rows(sec, &merged);
        lock(&self.timeline).extend(rows.iter().cloned());
        // Encoded now (a few hundred bytes each), so that a long point keeps its seconds
        // in little memory.
        let hists = SecondHistograms {
            second: sec,
            endpoints: merged.iter().map(|(n, a)| a.to_stored(n)).collect(),
        };
        lock(&self.second_hists).push(hists.clone());
        (rows, hists)
    }

    /// Each harvested second's histograms per endpoint, as stored.
    pub fn second_histograms(&self) -> Vec<SecondHistograms> {
        lock(&self.second_hists).clone()
    }

    /// Merged histograms of the whole window, per endpoint.
    pub fn merged(&self) -> BTreeMap<String, Acc> {
        let mut merged: BTreeMap<String, Acc> = BTreeMap::new();
        for shard in lock(&self.shards).iter() {
            for (name, acc) in &lock(shard).point {
                merged
                    .entry(name.clone())
                    .and_modify(|m| m.merge(acc))
                    .or_insert_with(|| acc.clone());
            }
        }
        merged
    }

    /// The timeline so far.
    pub fn timeline(&self) -> Vec<TimelineRow> {
        lock(&self.timeline).clone()
    }
}

/// A counted request in flight (from [`Recorder::begin`]). [`InFlight::end`] records it
/// with its duration; dropped without it (the point gave up on the request at the end of
/// its grace period, or the request's future was cancelled), it records a failure of
/// kind unfinished, timed up to the drop.
#[derive(Debug)]
pub struct InFlight {
    rec: Arc<Recorder>,
    endpoint: String,
    started: Instant,
    ended: bool,
}

impl InFlight {
    /// When the request was sent.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The request ended now, successfully or not.
    pub fn end(mut self, ok: bool) {
        self.ended = true;
        self.finish(End::of(ok));
    }

    fn finish(&self, end: End) {
        let done = Instant::now();
        let us = done.duration_since(self.started).as_micros() as u64;
        let late = self.rec.window().is_some_and(|(_, to)| done >= to);
        self.rec.store(&self.endpoint, us, end, late);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.ended {
            self.finish(End::Unfinished);
        }
    }
}

/// The timeline rows of second `sec` from that second's histograms per endpoint: one
/// per endpoint, then [`ALL`] (the protocol endpoints merged).
pub fn timeline_rows(sec: u64, seconds: &BTreeMap<String, Acc>) -> Vec<TimelineRow> {
    let mut all = Acc::new(2);
    let mut rows: Vec<TimelineRow> = seconds
        .iter()
        .map(|(name, acc)| {
            if !is_browser(name) {
                all.merge(acc);
            }
            TimelineRow::from_summary(sec, &acc.summary(name, 1.0))
        })
        .collect();
    rows.push(TimelineRow::from_summary(sec, &all.summary(ALL, 1.0)));
    rows
}

/// Endpoint names of browser checks: `PAGE <step>` (page load) and `CHECK <step>` (a
/// failed action).
pub fn is_browser(name: &str) -> bool {
    name.starts_with("PAGE ") || name.starts_with("CHECK ")
}

/// The aggregate of several endpoints' accumulators.
pub fn aggregate<'a>(accs: impl IntoIterator<Item = &'a Acc>) -> Acc {
    let mut all = Acc::new(3);
    for a in accs {
        all.merge(a);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_point_keeps_its_latency_buckets_and_answers_shares_under_a_threshold() {
        let mut a = Acc::new(3);
        for ms in 1..=1000u64 {
            a.record(ms * 1000, End::Ok);
        }
        a.record(7, End::Failed);
        let s = a.point_summary("GET /x", 1.0);
        assert_eq!(s.latency_buckets.iter().map(|b| b.count).sum::<u64>(), 1000);
        assert!(s
            .latency_buckets
            .windows(2)
            .all(|w| w[0].le_us < w[1].le_us));
        // Uniform 1..1000 ms: a share of about t / 1000 ms under t, within a bucket's width.
        for (t_ms, want) in [(50.0, 0.05), (250.0, 0.25), (500.0, 0.5), (999.0, 0.999)] {
            let got = s.share_within(t_ms * 1000.0).unwrap();
            assert!((got - want).abs() <= want * 0.05, "{t_ms} ms: {got}");
        }
        assert_eq!(s.share_within(0.0), Some(0.0));
        assert_eq!(s.share_within(1e9), Some(1.0));
        // Per-second summaries carry none; neither does a point without successes.
        assert!(a.summary("GET /x", 1.0).latency_buckets.is_empty());
        assert_eq!(
            Acc::new(3).point_summary("GET /x", 1.0).share_within(1.0),
            None
        );
    }

    #[test]
    fn segments_merged_from_their_stored_histograms_give_the_percentiles_of_all_requests() {
        // A skewed mix (log-normal-like through a fixed LCG) split over 4 segments in
        // a ragged way; each segment's Acc goes through the stored form and back.
        let mut whole = Acc::new(3);
        let mut parts: Vec<Acc> = (0..4).map(|_| Acc::new(3)).collect();
        let mut x: u64 = 12345;
        for i in 0..40_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            let us = (200.0 * (8.0 * u).exp()) as u64;
            let end = match i % 97 {
                0 => End::Failed,
                1 if i % 3 == 0 => End::Unfinished,
                _ => End::Ok,
            };
            whole.record(us, end);
            parts[((x >> 7) % 4) as usize].record(us, end);
        }
        let mut merged = Acc::new(3);
        for p in &parts {
            let back = Acc::from_stored(&p.to_stored("GET /x")).unwrap();
            assert_eq!(back.hist, p.hist);
            merged.merge(&back);
        }
        assert_eq!(
            merged.hist, whole.hist,
            "the merged histogram is the whole one"
        );
        assert_eq!(merged.fail_hist, whole.fail_hist);
        let (m, w) = (
            merged.summary("GET /x", 10.0),
            whole.summary("GET /x", 10.0),
        );
        assert_eq!(m, w, "every field of the summary, percentiles included");
        for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
            assert_eq!(
                merged.hist.value_at_quantile(q),
                whole.hist.value_at_quantile(q)
            );
        }
        // Averaging the segments' p99 instead would not give the whole test's p99.
        let avg_p99 = parts
            .iter()
            .map(|p| p.hist.value_at_quantile(0.99) as f64)
            .sum::<f64>()
            / 4.0;
        assert_ne!(avg_p99 as u64, whole.hist.value_at_quantile(0.99));
    }

    #[test]
    fn records_only_inside_the_window_and_from_many_threads() {
        let r = Arc::new(Recorder::new());
        let t0 = Instant::now();
        r.record("GET /x", 100, true, t0);
        assert!(r.merged().is_empty(), "nothing before the window opens");
        r.open_window(t0, t0 + Duration::from_secs(60));
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let r = r.clone();
                std::thread::spawn(move || {
                    for k in 1..=1000u64 {
                        r.record("GET /x", k * 10, k % 100 != 0 || i > 0, Instant::now());
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        r.record("GET /x", 5, true, t0 + Duration::from_secs(61));
        let m = r.merged();
        let s = m["GET /x"].summary("GET /x", 2.0);
        assert_eq!(s.requests, 4000);
        assert_eq!(s.failures, 10);
        assert_eq!(s.rps, 2000.0);
        assert!((s.p50_us as f64 - 5000.0).abs() < 10.0, "{}", s.p50_us);
        assert!((s.p99_us as f64 - 9900.0).abs() < 20.0, "{}", s.p99_us);
        assert_eq!(s.max_us, 10_000);
    }

    #[test]
    fn harvest_moves_seconds_into_a_bounded_timeline() {
        let r = Recorder::new();
        let t0 = Instant::now();
        r.open_window(t0, t0 + Duration::from_secs(60));
        for _ in 0..50_000 {
            r.record("GET /a", 1000, true, Instant::now());
        }
        r.record("GET /b", 3000, false, Instant::now());
        r.harvest_second();
        r.record("GET /a", 2000, true, Instant::now());
        r.harvest_second();
        let t = r.timeline();
        assert_eq!(
            t.len(),
            3 + 2,
            "a row per endpoint and one for ALL, each second"
        );
        assert_eq!(
            (t[0].second, t[0].endpoint.as_str(), t[0].requests),
            (0, "GET /a", 50_000)
        );
        assert_eq!(
            (t[2].endpoint.as_str(), t[2].requests, t[2].failures),
            (ALL, 50_001, 1)
        );
        assert_eq!((t[3].second, t[3].requests), (1, 1));
        assert_eq!(
            r.merged()["GET /a"].count(),
            50_001,
            "the whole-point histograms keep everything"
        );
        let secs = r.second_histograms();
        assert_eq!(secs.len(), 2);
        let a0 = Acc::from_stored(&secs[0].endpoints[0]).unwrap();
        assert_eq!(
            (secs[0].endpoints[0].endpoint.as_str(), a0.count()),
            ("GET /a", 50_000)
        );
        assert_eq!(secs[0].endpoints[1].failures, 1);
    }
}
