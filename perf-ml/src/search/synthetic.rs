//! A synthetic target with a known breaking point, for tests and benchmarks of the
//! search. Five families of servers, each breaking in its own way ([`Family`]); in all
//! but the pool a request's time in the system below the capacity `c` is that of an
//! M/M/1 queue, exponential with mean `s / (1 − ρ)` (the q-th percentile is
//! `−ln(1 − q) · s / (1 − ρ)`), and the latency SLOs judge successful requests only:
//!
//! - [`Family::Shedding`]: a bounded queue of `queue` service times caps the latency;
//!   past the capacity `1 − c/λ` of the requests are shed (the bundled site's shape);
//! - [`Family::Unbounded`]: nothing is shed; past the capacity the backlog grows through
//!   the point, so latency keeps rising with load (thread pools, unbounded queues);
//! - [`Family::RateLimited`]: a limiter admits `c` req/s after a burst allowance and
//!   rejects the rest (429) while latency stays flat (the server behind it has ten times
//!   the limiter's rate);
//! - [`Family::Timeout`]: requests that wait longer than a deadline of `deadline`
//!   service times give up and fail (an M/M/1 queue with impatient customers), so
//!   errors rise smoothly well before the capacity while latency stays bounded; past the
//!   capacity the server still serves about `c`;
//! - [`Family::Pool`]: `workers` servers share one unbounded queue (an M/M/c queue: a
//!   thread pool, the bundled site's workers). Below the knee a request rarely waits, so
//!   latency stays near its unloaded value far longer than in one queue and then turns up
//!   sharply (Erlang's C formula); past the capacity the backlog grows as in
//!   [`Family::Unbounded`].
//!
//! Past its capacity each of them serves about `c` successfully whatever is offered
//! ([`ProbeOutcome::served_rps`], with the Poisson noise of the point's count).
//!
//! Observed percentiles get seeded log-normal noise (one factor per point) and error
//! rates binomial noise on the point's requests, as real runs do, or
//! [`SyntheticTarget::dispersion`] times its variance where failures come in bursts
//! (requests of one queue timing out together: the bundled site's timeout family
//! counted 2.7–10.4 times a binomial variance a second). Each point also reports how
//! precisely it measured ([`ProbeOutcome::log_sd`]) as a real point would from its
//! seconds (`perf_core::noise`): a sample standard deviation of the latency factor; the
//! binomial error, or, with bursts and when larger, a sample estimate of the spread of
//! the seconds' failure shares. Every family's noise-free pass/fail is monotone in load,
//! and [`SyntheticTarget::boundary`] finds it.

use std::convert::Infallible;

use perf_core::noise::binomial_log_sd;
use perf_core::probe::{EndpointVerdicts, LoadProbe, ProbeOutcome};
use perf_core::slo::{SloMetric, SloSource};
use perf_core::Slo;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{ChiSquared, Distribution, Normal};

/// How a synthetic target breaks (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Family {
    /// Bounded queue of `queue` service times; sheds `1 − c/λ` past the capacity.
    Shedding {
        /// The cap on a request's time in the system, in service times.
        queue: f64,
    },
    /// Unbounded queue: latency only, nothing fails.
    Unbounded,
    /// A rate limiter at the capacity with a burst allowance of `burst_s` seconds of it.
    RateLimited {
        /// Seconds of the limit admitted above it at the start of a point.
        burst_s: f64,
    },
    /// Requests waiting beyond `deadline` service times in the queue fail.
    Timeout {
        /// The deadline, in service times.
        deadline: f64,
    },
    /// `workers` servers behind one unbounded queue: latency only, nothing fails.
    Pool {
        /// How many requests are served at once (at least 1).
        workers: u32,
    },
}

impl Family {
    /// One of each family, with typical settings, for tests.
    pub const EXAMPLES: [Family; 5] = [
        Family::Shedding { queue: 5.0 },
        Family::Unbounded,
        Family::RateLimited { burst_s: 1.0 },
        Family::Timeout { deadline: 30.0 },
        Family::Pool { workers: 4 },
    ];

    /// A short name for tables.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Shedding { .. } => "shedding",
            Self::Unbounded => "unbounded",
            Self::RateLimited { .. } => "rate-limited",
            Self::Timeout { .. } => "timeout",
            Self::Pool { .. } => "pool",
        }
    }
}

/// A synthetic target (see the module docs).
#[derive(Debug, Clone)]
pub struct SyntheticTarget {
    capacity: f64,
    service_ms: f64,
    family: Family,
    slos: Vec<Slo>,
    noise: f64,
    dispersion: f64,
    point_secs: f64,
    generator_limit: Option<f64>,
    rng: ChaCha8Rng,
}

/// Past `1 − 1/UNBOUNDED_POLE` of the capacity the unbounded queue's M/M/1 term stops
/// growing and the backlog term takes over (keeps latency finite and monotone).
const UNBOUNDED_POLE: f64 = 1000.0;
/// The load at which the queue's own term stops growing: `1 − 1/UNBOUNDED_POLE`.
const UNBOUNDED_TOP: f64 = 1.0 - 1.0 / UNBOUNDED_POLE;

/// Erlang's C formula: the chance that an arrival waits in an M/M/`c` queue at load `rho`
/// (`rho < 1`), from Erlang's B by its recursion `B_k = a B_{k−1} / (k + a B_{k−1})`,
/// `a = cρ`.
fn erlang_c(c: u32, rho: f64) -> f64 {
    let a = f64::from(c) * rho;
    let b = (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b));
    b / (1.0 - rho * (1.0 - b))
}

/// Quantile `q` of the time in an M/M/`c` queue at load `rho` (`rho < 1`), in service
/// times: the service (exponential, rate 1) plus, with Erlang C's chance, a wait that is
/// exponential with rate `θ = c(1 − ρ)`. Its tail `(1 − C)e^{−t} + C(θe^{−t} − e^{−θt})/(θ − 1)`
/// is solved for `1 − q` by bisection.
fn pool_quantile(c: u32, rho: f64, q: f64) -> f64 {
    let wait = erlang_c(c, rho);
    let theta = f64::from(c) * (1.0 - rho);
    let tail = |t: f64| {
        let both = if (theta - 1.0).abs() < 1e-9 {
            (1.0 + t) * (-t).exp()
        } else {
            (theta * (-t).exp() - (-theta * t).exp()) / (theta - 1.0)
        };
        (1.0 - wait) * (-t).exp() + wait * both
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while tail(hi) > 1.0 - q {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > 1.0 - q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// What the target shows at one rate, before noise.
#[derive(Debug, Clone, Copy)]
struct Truth {
    /// Offered load over the capacity.
    rho: f64,
    family: Family,
    point_secs: f64,
    service_s: f64,
    /// Failed fraction.
    error: f64,
}

/// The share of an M/M/1 queue's arrivals that give up after waiting `deadline` mean
/// service times (deterministic patience; Baccelli, Boyer & Hébuterne 1984), at load
/// `rho`: `(1 − ρ)ρe^{−(1−ρ)D} / (1 − ρ²e^{−(1−ρ)D})`, `1/(2 + D)` at `ρ = 1`, and
/// towards `1 − 1/ρ` far past the capacity (the server serves about its capacity).
fn impatient_loss(rho: f64, deadline: f64) -> f64 {
    if (rho - 1.0).abs() < 1e-9 {
        return 1.0 / (2.0 + deadline);
    }
    // ρ²e^{−(1−ρ)D} overflows far past the capacity; divide through by it there.
    let k = 2.0 * rho.ln() - (1.0 - rho) * deadline;
    if k > 30.0 {
        return (1.0 - 1.0 / rho).max(0.0);
    }
    let g = k.exp();
    ((1.0 - rho) / rho * g / (1.0 - g)).clamp(0.0, 1.0)
}

impl Truth {
    /// The share of the offered requests served successfully, given the failed share:
    /// an unbounded queue past its capacity serves the capacity and lets the rest wait.
    fn served_share(&self, error: f64) -> f64 {
        match self.family {
            Family::Unbounded | Family::Pool { .. } => 1.0f64.min(1.0 / self.rho),
            _ => 1.0 - error,
        }
    }

    /// The wait behind an unbounded queue's backlog at quantile `q` of a point, in service
    /// times: past the capacity the backlog grows at (λ − c) through the point, so the
    /// wait of a request at quantile q of the point is q of the final one.
    fn backlog(&self, q: f64) -> f64 {
        (self.rho - 1.0).max(0.0) * q * self.point_secs / self.service_s
    }

    /// Quantile `q` (0..1) of a successful request's time, in service times.
    fn quantile(&self, q: f64) -> f64 {
        let f = -(1.0 - q).ln();
        let rho = self.rho;
        match self.family {
            Family::Shedding { queue } => {
                if rho < 1.0 {
                    (f / (1.0 - rho)).min(queue)
                } else {
                    queue
                }
            }
            Family::Unbounded => f / (1.0 - rho.min(UNBOUNDED_TOP)) + self.backlog(q),
            Family::Pool { workers } => {
                pool_quantile(workers.max(1), rho.min(UNBOUNDED_TOP), q) + self.backlog(q)
            }
            Family::RateLimited { .. } => f / (1.0 - 0.1 * rho.min(1.0)),
            Family::Timeout { deadline } => {
                if rho >= 1.0 {
                    return deadline;
                }
                // Exponential with mean m truncated at the deadline.
                let m = 1.0 / (1.0 - rho);
                -m * (1.0 - q * (1.0 - (-deadline / m).exp())).ln()
            }
        }
    }
}

/// The observation judged by the SLOs: the truth with a latency noise factor and a noisy
/// error rate.
#[derive(Debug, Clone, Copy)]
struct Obs {
    truth: Truth,
    rate: f64,
    service_us: f64,
    latency_factor: f64,
    error_pct: f64,
}

impl Obs {
    fn time_us(&self, q: f64) -> f64 {
        self.service_us * self.truth.quantile(q) * self.latency_factor
    }
}

impl SloSource for Obs {
    fn percentile_us(&self, _: Option<&str>, q: f64) -> Option<f64> {
        Some(self.time_us(q / 100.0))
    }
    fn mean_us(&self, _: Option<&str>) -> Option<f64> {
        // The median of the exponential shape sits at 0.69 of its mean: the mean is the
        // 63rd percentile (1 − 1/e).
        Some(self.time_us(1.0 - (-1.0f64).exp()))
    }
    fn max_us(&self, _: Option<&str>) -> Option<f64> {
        Some(self.time_us(0.9999))
    }
    fn error_rate_pct(&self, _: Option<&str>) -> Option<f64> {
        Some(self.error_pct)
    }
    fn rps(&self, _: Option<&str>) -> Option<f64> {
        Some(self.rate * self.truth.served_share(self.error_pct / 100.0))
    }
}

impl SyntheticTarget {
    /// Capacity in req/s, mean service time in ms, the SLOs judged; a shedding server
    /// with a queue of 60 service times, no noise, seed 1, 15-second points.
    pub fn new(capacity: f64, service_ms: f64, slos: Vec<Slo>) -> Self {
        Self {
            capacity,
            service_ms,
            family: Family::Shedding { queue: 60.0 },
            slos,
            noise: 0.0,
            dispersion: 1.0,
            point_secs: 15.0,
            generator_limit: None,
            rng: ChaCha8Rng::seed_from_u64(1),
        }
    }
    /// A target of `family` whose noise-free breaking point under `slos` is `boundary`
    /// req/s: the capacity that puts it there ([`SyntheticTarget::boundary`]).
    pub fn at_boundary(boundary: f64, service_ms: f64, slos: Vec<Slo>, family: Family) -> Self {
        let unit = Self::new(1.0, service_ms, slos.clone()).family(family);
        Self::new(boundary / unit.boundary(), service_ms, slos).family(family)
    }
    /// The same target with its capacity multiplied by `factor` (a release that made it
    /// faster or slower), for warm starts from evidence about the old one.
    pub fn moved(mut self, factor: f64) -> Self {
        self.capacity *= factor;
        self
    }
    /// How the target breaks.
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }
    /// Log-normal noise of percentiles (standard deviation of the log).
    pub fn noise(mut self, sd: f64) -> Self {
        self.noise = sd;
        self
    }
    /// Variance of a point's failure count over a binomial count's (at least 1, the
    /// default): failures that come in bursts.
    pub fn dispersion(mut self, d: f64) -> Self {
        self.dispersion = d.max(1.0);
        self
    }
    /// Seed of the noise.
    pub fn seed(mut self, seed: u64) -> Self {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
        self
    }
    /// Length of a point in seconds (the requests behind an error rate, the backlog of
    /// an unbounded queue, the share of a rate limiter's burst).
    pub fn point_secs(mut self, secs: f64) -> Self {
        self.point_secs = secs;
        self
    }
    /// The generator saturates above this rate.
    pub fn generator_limit(mut self, rate: f64) -> Self {
        self.generator_limit = Some(rate);
        self
    }

    /// The noise-free latency shape and failed fraction at `rate`.
    fn truth(&self, rate: f64) -> Truth {
        let rho = rate / self.capacity;
        let error = match self.family {
            Family::Shedding { .. } => (1.0 - 1.0 / rho).max(0.0),
            Family::Unbounded | Family::Pool { .. } => 0.0,
            Family::RateLimited { burst_s } => {
                (1.0 - (1.0 + burst_s / self.point_secs) / rho).max(0.0)
            }
            Family::Timeout { deadline } => impatient_loss(rho, deadline),
        };
        Truth {
            rho,
            family: self.family,
            point_secs: self.point_secs,
            service_s: self.service_ms / 1000.0,
            error,
        }
    }

    fn obs(&self, rate: f64, latency_factor: f64, error: f64) -> Obs {
        Obs {
            truth: self.truth(rate),
            rate,
            service_us: self.service_ms * 1000.0,
            latency_factor,
            error_pct: 100.0 * error,
        }
    }

    fn passes_noise_free(&self, rate: f64) -> bool {
        let o = self.obs(rate, 1.0, self.truth(rate).error);
        self.slos.iter().all(|s| s.evaluate(&o).pass)
    }

    /// The true breaking point without noise: the highest rate meeting every SLO.
    pub fn boundary(&self) -> f64 {
        let (mut lo, mut hi) = (self.capacity * 1e-6, self.capacity * 1e3);
        if !self.passes_noise_free(lo) {
            return 0.0;
        }
        if self.passes_noise_free(hi) {
            return f64::INFINITY;
        }
        for _ in 0..200 {
            let mid = (lo * hi).sqrt();
            if self.passes_noise_free(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

impl LoadProbe for SyntheticTarget {
    type Error = Infallible;

    fn probe(&mut self, rate: f64) -> Result<ProbeOutcome, Infallible> {
        let lat = if self.noise > 0.0 {
            Normal::new(0.0, self.noise)
                .expect("finite sd")
                .sample(&mut self.rng)
                .exp()
        } else {
            1.0
        };
        let p = self.truth(rate).error;
        let n = (rate * self.point_secs).max(1.0);
        let sd = (self.dispersion * p * (1.0 - p) / n).sqrt();
        let err = if sd > 0.0 {
            (p + Normal::new(0.0, sd)
                .expect("finite sd")
                .sample(&mut self.rng))
            .clamp(0.0, 1.0)
        } else {
            p
        };
        let saturated = self.generator_limit.is_some_and(|g| rate > g);
        let obs = self.obs(rate, lat, err);
        let slo: Vec<_> = self.slos.iter().map(|s| s.evaluate(&obs)).collect();
        // What the point's own seconds would tell of the latency noise: a sample standard
        // deviation of `secs` seconds (scaled χ² with secs − 1 degrees of freedom, drawn
        // after the point's values so that adding it left their seeded stream as it was).
        let dof = (self.point_secs - 1.0).max(2.0);
        let lat_sd = if self.noise > 0.0 {
            let chi2 = ChiSquared::new(dof).expect("dof above 0");
            self.noise * (chi2.sample(&mut self.rng) / dof).sqrt()
        } else {
            0.0
        };
        // Shed and failed requests answer; an unbounded queue answers what it serves, a
        // count with Poisson noise (drawn last, as above).
        let served = obs.rps(None).unwrap_or(0.0);
        let (achieved, served) = match self.family {
            Family::Unbounded | Family::Pool { .. } if self.noise > 0.0 => {
                let sd = 1.0 / (served * self.point_secs).max(1.0).sqrt();
                let f = Normal::new(0.0, sd)
                    .expect("finite sd")
                    .sample(&mut self.rng);
                let counted = served * f.exp();
                (counted, counted)
            }
            Family::Unbounded | Family::Pool { .. } => (served, served),
            _ => (rate, served),
        };
        let failures = (err * n).round() as u64;
        // With bursts, the seconds' failure shares spread `√d` times a binomial error's
        // worth, estimated from `secs` seconds as the latency's is (drawn last, and only
        // then, as above); the larger of the two is reported.
        let burst = if self.dispersion > 1.0 {
            let chi2 = ChiSquared::new(dof).expect("dof above 0");
            (self.dispersion * chi2.sample(&mut self.rng) / dof)
                .sqrt()
                .max(1.0)
        } else {
            1.0
        };
        let log_sd = self
            .slos
            .iter()
            .map(|s| match s.metric {
                SloMetric::ErrorRate => binomial_log_sd(failures, n as u64).map(|b| b * burst),
                SloMetric::Rps => None,
                _ => Some(lat_sd),
            })
            .collect();
        Ok(ProbeOutcome {
            rate,
            log_sd,
            achieved_rps: achieved,
            served_rps: served,
            endpoints: vec![EndpointVerdicts {
                endpoint: "GET /synthetic".into(),
                verdicts: slo.clone(),
            }],
            slo,
            generator_saturated: saturated,
            interrupted: None,
            partial: false,
        })
    }

    fn slos(&self) -> &[Slo] {
        &self.slos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_core::parse_slos;

    const FAMILIES: [Family; 5] = [
        Family::Shedding { queue: 5.0 },
        Family::Unbounded,
        Family::RateLimited { burst_s: 2.0 },
        Family::Timeout { deadline: 20.0 },
        Family::Pool { workers: 8 },
    ];

    #[test]
    fn a_pool_waits_by_erlangs_formula_and_stays_flat_until_its_knee() {
        // M/M/2 at half load: a = 1, B = 1/5, C = 1/3 (the textbook value).
        assert!((erlang_c(2, 0.5) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(erlang_c(4, 0.0), 0.0);
        // One worker is the M/M/1 queue of the other families: −ln(1 − q)/(1 − ρ).
        for (rho, q) in [(0.3, 0.95), (0.9, 0.5), (0.99, 0.95)] {
            let one = pool_quantile(1, rho, q);
            let mm1 = -(1.0f64 - q).ln() / (1.0 - rho);
            assert!(
                (one / mm1 - 1.0).abs() < 1e-6,
                "ρ {rho} q {q}: {one} vs {mm1}"
            );
        }
        // Sixteen workers: at 70% load p95 is within a tenth of the unloaded service's
        // (3 service times), where one queue's has tripled; near the capacity it turns up.
        let unloaded = -(0.05f64).ln();
        let p95 = |c, rho| pool_quantile(c, rho, 0.95);
        assert!(p95(16, 0.7) / unloaded < 1.1, "{}", p95(16, 0.7));
        assert!(p95(1, 0.7) / unloaded > 3.0);
        assert!(p95(16, 0.99) / unloaded > 3.0, "{}", p95(16, 0.99));
        let rising: Vec<f64> = (1..100).map(|i| p95(16, f64::from(i) / 100.0)).collect();
        assert!(rising.windows(2).all(|w| w[1] >= w[0]), "{rising:?}");
        // Past the capacity it serves the capacity and its backlog grows, as one queue's.
        let pool = target(Family::Pool { workers: 8 });
        assert_eq!(pool.truth(300.0).error, 0.0);
        assert!((pool.truth(300.0).served_share(0.0) - 1.0 / 3.0).abs() < 1e-12);
        let at = |r: f64| pool.obs(r, 1.0, 0.0).time_us(0.95);
        assert!(at(150.0) > at(99.0) && at(300.0) > at(150.0));
    }

    fn target(family: Family) -> SyntheticTarget {
        let slos = parse_slos("p95<200ms,error-rate<1%").unwrap();
        SyntheticTarget::new(100.0, 10.0, slos)
            .family(family)
            .point_secs(10.0)
    }

    #[test]
    fn each_family_breaks_its_own_way() {
        let p95 = |t: &SyntheticTarget, rate: f64| t.obs(rate, 1.0, 0.0).time_us(0.95);
        let shed = target(FAMILIES[0]);
        assert!((shed.truth(200.0).error - 0.5).abs() < 1e-12);
        assert_eq!(p95(&shed, 300.0), 5.0 * 10_000.0, "capped by the queue");

        let unbounded = target(FAMILIES[1]);
        assert_eq!(unbounded.truth(300.0).error, 0.0);
        let rising: Vec<f64> = [50.0, 90.0, 99.0, 120.0, 200.0]
            .iter()
            .map(|r| p95(&unbounded, *r))
            .collect();
        assert!(rising.windows(2).all(|w| w[1] > w[0]), "{rising:?}");

        let limited = target(FAMILIES[2]);
        assert!((limited.truth(200.0).error - (1.0 - 1.2 / 2.0)).abs() < 1e-12);
        assert_eq!(
            limited.truth(110.0).error,
            0.0,
            "inside the burst allowance"
        );
        assert!(
            p95(&limited, 300.0) / p95(&limited, 30.0) < 1.1,
            "latency flat"
        );

        let timeout = target(FAMILIES[3]);
        let e = timeout.truth(90.0).error;
        let g = 0.81 * (-2.0f64).exp();
        assert!(
            (e - 0.1 / 0.9 * g / (1.0 - g)).abs() < 1e-12 && e > 0.01,
            "fails before the capacity: {e}"
        );
        assert!((timeout.truth(100.0).error - 1.0 / 22.0).abs() < 1e-6);
        let far = timeout.truth(1000.0).error;
        assert!((far - 0.9).abs() < 0.01, "serves about its capacity: {far}");
        let losses: Vec<f64> = [
            50.0,
            99.0,
            99.999_999,
            100.0,
            100.000_001,
            101.0,
            150.0,
            400.0,
        ]
        .iter()
        .map(|r| timeout.truth(*r).error)
        .collect();
        assert!(losses.windows(2).all(|w| w[1] >= w[0] - 1e-9), "{losses:?}");
        assert!(p95(&timeout, 99.0) <= 20.0 * 10_000.0);
    }

    #[test]
    fn bursts_of_failures_spread_the_error_rate_and_are_reported() {
        // A timeout target 20% past its capacity fails about a sixth of 1,200 req/s ×
        // 10 s; the relative spread of its error rates against what each point reports
        // of its log.
        let spread = |d: f64| {
            let mut t = target(Family::Timeout { deadline: 20.0 })
                .dispersion(d)
                .seed(3);
            let (mut errors, mut reported) = (Vec::new(), Vec::new());
            for _ in 0..400 {
                let o = t.probe(120.0).unwrap();
                errors.push(o.slo[1].observed.unwrap());
                reported.push(o.log_sd[1].unwrap());
            }
            let mean = errors.iter().sum::<f64>() / 400.0;
            let var = errors.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / 399.0;
            (var.sqrt() / mean, reported.iter().sum::<f64>() / 400.0)
        };
        let (binomial, binomial_reported) = spread(1.0);
        let (bursty, bursty_reported) = spread(6.0);
        assert!(
            (bursty / binomial - 6f64.sqrt()).abs() < 0.3,
            "{bursty} {binomial}"
        );
        for (sd, reported) in [(binomial, binomial_reported), (bursty, bursty_reported)] {
            assert!((reported / sd - 1.0).abs() < 0.15, "{reported} for {sd}");
        }
    }

    #[test]
    fn every_family_has_one_monotone_boundary() {
        for family in FAMILIES {
            let t = target(family);
            let b = t.boundary();
            assert!(b.is_finite() && b > 0.0, "{family:?}: {b}");
            assert!(t.passes_noise_free(b * 0.999), "{family:?}");
            assert!(!t.passes_noise_free(b * 1.001), "{family:?}");
            let grid: Vec<bool> = (0..200)
                .map(|i| t.passes_noise_free(b * 10f64.powf(-2.0 + 4.0 * i as f64 / 199.0)))
                .collect();
            let flips = grid.windows(2).filter(|w| w[0] != w[1]).count();
            assert_eq!(flips, 1, "{family:?}: pass/fail flips {flips} times");
        }
    }
}
