//! The open model's schedule (k6's constant-arrival-rate on Goose users): start `i` is
//! due at `t0 + i / rate`. A user that finishes takes the next due start and sleeps until
//! it; a start already later than [`SLACK`] when a user reaches it is dropped and counted,
//! so a slow target can't slow the arrivals down (a closed model's flaw).
//!
//! An execution segment ([`crate::segment::Segment`] `I/N`) runs the starts `i` of the
//! whole test's schedule with `i mod N = I`, at their times in that schedule; a common
//! start time ([`Pacer::starting_at`]) lines the segments' schedules up.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A start may run this late before it counts as dropped.
pub const SLACK: Duration = Duration::from_millis(50);

/// What a user should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Run a transaction now; it was due at this time.
    Run(Instant),
    /// The schedule is over: idle until the run stops.
    Done,
}

/// The shared schedule of one open-model point.
#[derive(Debug)]
pub struct Pacer {
    interval: f64,
    offset: u64,
    step: u64,
    duration: Duration,
    lead: Duration,
    t0: OnceLock<Instant>,
    next: AtomicU64,
    busy: AtomicUsize,
    max_users: usize,
    dropped_busy: AtomicU64,
    dropped_lag: AtomicU64,
}

impl Pacer {
    /// `rate` starts per second for `duration`, by at most `max_users`; the schedule starts
    /// `lead` after the first user asks (so every user has started by then).
    pub fn new(rate: f64, duration: Duration, max_users: usize, lead: Duration) -> Self {
        Self {
            interval: 1.0 / rate,
            offset: 0,
            step: 1,
            duration,
            lead,
            t0: OnceLock::new(),
            next: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
            max_users,
            dropped_busy: AtomicU64::new(0),
            dropped_lag: AtomicU64::new(0),
        }
    }

    /// Only this segment's starts of the schedule (`rate` being the whole test's).
    pub fn segment(mut self, s: crate::segment::Segment) -> Self {
        self.offset = s.index as u64;
        self.step = s.count as u64;
        self
    }

    /// The schedule starts at `t0` instead of `lead` after the first user asks.
    pub fn starting_at(self, t0: Instant) -> Self {
        let _ = self.t0.set(t0);
        self
    }

    fn share(&self, whole: u64) -> u64 {
        crate::segment::Segment {
            index: self.offset as u32,
            count: self.step as u32,
        }
        .share(whole)
    }

    /// When the schedule starts (fixed by the first call).
    pub fn t0(&self) -> Instant {
        *self.t0.get_or_init(|| Instant::now() + self.lead)
    }

    /// When the schedule starts, once a user has asked.
    pub fn started(&self) -> Option<Instant> {
        self.t0.get().copied()
    }

    /// Starts of the whole test scheduled within the duration.
    fn scheduled_whole(&self) -> u64 {
        (self.duration.as_secs_f64() / self.interval).ceil() as u64
    }

    /// This segment's starts scheduled within the duration.
    pub fn scheduled(&self) -> u64 {
        self.share(self.scheduled_whole())
    }

    /// Starts scheduled before `t` (all of them when `t` is after the schedule): the
    /// starts an interrupted point owed.
    pub fn scheduled_until(&self, t: Instant) -> u64 {
        match self.started() {
            None => 0,
            Some(t0) => {
                let due = (t.saturating_duration_since(t0).as_secs_f64() / self.interval).ceil();
                self.share((due as u64).min(self.scheduled_whole()))
            }
        }
    }

    /// Of the first `scheduled` starts, those no user ever reached (every user was busy
    /// until the point ended): dropped for want of a free user, as k6 counts them.
    pub fn unclaimed(&self, scheduled: u64) -> u64 {
        scheduled.saturating_sub(self.next.load(Ordering::Acquire))
    }

    /// Waits for this user's next start.
    pub async fn next(&self) -> Next {
        let next = self.claim();
        if let Next::Run(due) = next {
            tokio::time::sleep_until(due.into()).await;
        }
        next
    }

    /// Takes this user's next start without waiting for it: the first one not already
    /// later than [`SLACK`] (later ones are dropped and counted). The user is busy from
    /// here; it must call [`Pacer::done`], or [`Pacer::abandon`] if it never runs it.
    pub fn claim(&self) -> Next {
        let t0 = self.t0();
        let total = self.scheduled_whole();
        loop {
            let i = self.offset + self.step * self.next.fetch_add(1, Ordering::AcqRel);
            if i >= total {
                return Next::Done;
            }
            let due = t0 + Duration::from_secs_f64(i as f64 * self.interval);
            let now = Instant::now();
            if now > due + SLACK {
                // Every other user busy: the start found no free user (k6's dropped
                // iteration). Otherwise the generator itself was too slow to wake a user.
                if self.busy.load(Ordering::Acquire) + 1 >= self.max_users {
                    self.dropped_busy.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.dropped_lag.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            }
            self.busy.fetch_add(1, Ordering::AcqRel);
            return Next::Run(due);
        }
    }

    /// A claimed start that will not run: the point ended (or a signal came) before the
    /// user woke for it. One due before `cut` was owed and counts as dropped for
    /// generator lag; one due after is not part of the point.
    pub fn abandon(&self, due: Instant, cut: Instant) {
        if due < cut {
            self.dropped_lag.fetch_add(1, Ordering::Relaxed);
        }
        self.done();
    }

    /// Marks the end of a transaction started by [`Pacer::next`].
    pub fn done(&self) {
        self.busy.fetch_sub(1, Ordering::AcqRel);
    }

    /// Dropped starts: `(no free user, generator lag)`.
    pub fn dropped(&self) -> (u64, u64) {
        (
            self.dropped_busy.load(Ordering::Relaxed),
            self.dropped_lag.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keeps_the_rate_and_counts_drops_when_users_run_out() {
        // 200/s for 1 s by 2 users whose transactions take 50 ms: 2 users can do 40/s.
        let p = Arc::new(Pacer::new(
            200.0,
            Duration::from_secs(1),
            2,
            Duration::from_millis(20),
        ));
        let runs = Arc::new(AtomicU64::new(0));
        let users: Vec<_> = (0..2)
            .map(|_| {
                let (p, runs) = (p.clone(), runs.clone());
                tokio::spawn(async move {
                    while matches!(p.next().await, Next::Run(_)) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        runs.fetch_add(1, Ordering::Relaxed);
                        p.done();
                    }
                })
            })
            .collect();
        for u in users {
            u.await.unwrap();
        }
        let ran = runs.load(Ordering::Relaxed);
        let (busy, lag) = p.dropped();
        assert_eq!(
            ran + busy + lag,
            200,
            "every scheduled start ran or was dropped"
        );
        assert!((36..=46).contains(&ran), "ran {ran}");
        assert!(busy > 140, "busy drops {busy}, lag drops {lag}");
    }

    #[test]
    fn segments_take_interleaved_starts_of_one_schedule() {
        let t0 = Instant::now() + Duration::from_secs(3600);
        let whole = 10.0;
        let mut dues = Vec::new();
        for i in 0..3 {
            let seg = crate::segment::Segment::new(i, 3).unwrap();
            let p = Pacer::new(whole, Duration::from_secs(1), 5, Duration::ZERO)
                .segment(seg)
                .starting_at(t0);
            assert_eq!(p.t0(), t0);
            assert_eq!(p.scheduled(), seg.share(10));
            while let Next::Run(due) = p.claim() {
                dues.push(due.duration_since(t0).as_secs_f64());
                p.done();
            }
            assert_eq!(p.unclaimed(p.scheduled()), 0);
        }
        dues.sort_by(f64::total_cmp);
        let want: Vec<f64> = (0..10).map(|i| i as f64 / whole).collect();
        assert_eq!(dues.len(), 10);
        assert!(
            dues.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-9),
            "{dues:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn below_capacity_nothing_is_dropped_and_starts_are_on_time() {
        let p = Arc::new(Pacer::new(
            100.0,
            Duration::from_millis(500),
            10,
            Duration::from_millis(20),
        ));
        let t0 = p.t0();
        let users: Vec<_> = (0..10)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move {
                    let mut n = 0;
                    while matches!(p.next().await, Next::Run(_)) {
                        n += 1;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        p.done();
                    }
                    n
                })
            })
            .collect();
        let mut total = 0;
        for u in users {
            total += u.await.unwrap();
        }
        assert_eq!(total, 50);
        assert_eq!(p.dropped(), (0, 0));
        let took = t0.elapsed();
        assert!(
            took >= Duration::from_millis(490) && took < Duration::from_millis(600),
            "{took:?}"
        );
    }
}
