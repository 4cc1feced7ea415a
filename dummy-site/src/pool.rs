//! The capacity model: `workers` permits, a bounded wait queue, and a service time.
//!
//! Each worker keeps a *virtual* time at which it is next free. A request that gets a
//! worker starts at `max(its arrival, worker free time)`, as in a queueing model, and
//! holds the worker until `start + service`.
//! Timer wake-ups on Linux come up to a millisecond late; because the next request on
//! that worker starts at the previous one's *planned* end, the lateness never
//! accumulates and a saturated pool serves exactly `workers / service_time` requests per
//! second, which is what the capacity formula promises.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::config::Work;

/// Why a request did not get a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// The wait queue was full on arrival.
    QueueFull,
    /// The request waited longer than the queue timeout.
    QueueTimeout,
}

/// The worker pool shared by every dynamic endpoint.
#[derive(Debug)]
pub struct Pool {
    workers: usize,
    sem: Semaphore,
    free_at: Mutex<Vec<Instant>>,
    waiting: AtomicUsize,
    queue: usize,
    queue_timeout: Duration,
    rejected_full: AtomicU64,
    rejected_timeout: AtomicU64,
}

/// Gives the worker back with its planned end time, even when the request is cancelled.
struct WorkerGuard<'a> {
    pool: &'a Pool,
    end: Instant,
}

impl Drop for WorkerGuard<'_> {
    fn drop(&mut self) {
        self.pool
            .free_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(self.end);
        self.pool.sem.add_permits(1);
    }
}

impl Pool {
    /// A pool of `workers` permits with a wait queue of `queue` places.
    pub fn new(workers: usize, queue: usize, queue_timeout: Duration) -> Self {
        let now = Instant::now();
        Self {
            workers,
            sem: Semaphore::new(workers),
            free_at: Mutex::new(vec![now; workers]),
            waiting: AtomicUsize::new(0),
            queue,
            queue_timeout,
            rejected_full: AtomicU64::new(0),
            rejected_timeout: AtomicU64::new(0),
        }
    }

    /// Waits for a worker (or is rejected), then holds it for `service`.
    pub async fn serve(&self, service: Duration, work: Work) -> Result<(), Rejected> {
        let arrived = Instant::now();
        self.acquire().await?;
        let start = {
            let mut free = self
                .free_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // The semaphore guarantees one free time per permit held.
            let (i, _) = free
                .iter()
                .enumerate()
                .min_by_key(|(_, t)| **t)
                .expect("a permit implies a free worker");
            free.swap_remove(i).max(arrived)
        };
        let end = start + service;
        let _guard = WorkerGuard { pool: self, end };
        if end <= Instant::now() {
            // Service time 0, or a worker already behind its virtual schedule.
            return Ok(());
        }
        match work {
            Work::Sleep => tokio::time::sleep_until(end.into()).await,
            Work::Cpu => {
                // A CPU-bound backend: spin on a blocking thread so the runtime's
                // workers stay free to accept and queue requests.
                let _ = tokio::task::spawn_blocking(move || burn_until(end)).await;
            }
        }
        Ok(())
    }

    async fn acquire(&self) -> Result<(), Rejected> {
        if let Ok(p) = self.sem.try_acquire() {
            p.forget();
            return Ok(());
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            self.rejected_full.fetch_add(1, Ordering::Relaxed);
            return Err(Rejected::QueueFull);
        }
        let got = tokio::time::timeout(self.queue_timeout, self.sem.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match got {
            Ok(Ok(p)) => {
                p.forget();
                Ok(())
            }
            _ => {
                self.rejected_timeout.fetch_add(1, Ordering::Relaxed);
                Err(Rejected::QueueTimeout)
            }
        }
    }

    /// Requests waiting for a worker right now.
    pub fn queue_depth(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Workers busy right now.
    pub fn busy(&self) -> usize {
        self.workers.saturating_sub(self.sem.available_permits())
    }

    /// Requests rejected because the queue was full, and because they waited too long.
    pub fn rejected(&self) -> (u64, u64) {
        (
            self.rejected_full.load(Ordering::Relaxed),
            self.rejected_timeout.load(Ordering::Relaxed),
        )
    }
}

fn burn_until(end: Instant) {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    while Instant::now() < end {
        for _ in 0..256 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        std::hint::black_box(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn saturated_pool_serves_workers_over_service_time() {
        let pool = std::sync::Arc::new(Pool::new(4, 1000, Duration::from_secs(10)));
        let start = Instant::now();
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.serve(Duration::from_millis(5), Work::Sleep).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        // 200 requests / 4 workers × 5 ms = 250 ms exactly in virtual time.
        let took = start.elapsed().as_secs_f64();
        assert!((0.25..0.29).contains(&took), "took {took} s");
    }

    #[tokio::test]
    async fn full_queue_rejects_at_once_and_waiters_time_out() {
        let pool = std::sync::Arc::new(Pool::new(1, 1, Duration::from_millis(30)));
        let p1 = pool.clone();
        let busy =
            tokio::spawn(async move { p1.serve(Duration::from_millis(200), Work::Sleep).await });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let p2 = pool.clone();
        let waiter = tokio::spawn(async move { p2.serve(Duration::ZERO, Work::Sleep).await });
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(pool.queue_depth(), 1);
        assert_eq!(
            pool.serve(Duration::ZERO, Work::Sleep).await,
            Err(Rejected::QueueFull)
        );
        assert_eq!(waiter.await.unwrap(), Err(Rejected::QueueTimeout));
        assert_eq!(busy.await.unwrap(), Ok(()));
        assert_eq!(pool.rejected(), (1, 1));
    }

    #[tokio::test]
    async fn zero_queue_means_no_waiting() {
        let pool = std::sync::Arc::new(Pool::new(1, 0, Duration::from_secs(1)));
        let p1 = pool.clone();
        let busy =
            tokio::spawn(async move { p1.serve(Duration::from_millis(50), Work::Cpu).await });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(
            pool.serve(Duration::ZERO, Work::Sleep).await,
            Err(Rejected::QueueFull)
        );
        busy.await.unwrap().unwrap();
    }
}
