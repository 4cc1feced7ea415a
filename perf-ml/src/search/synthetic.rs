//! A synthetic target with a known breaking point, for tests and benchmarks of the
//! search: an M/M/1-like server in front of a bounded queue. Below capacity `c` a
//! request's time in the system is exponential with mean `s / (1 − ρ)` (so the q-th
//! percentile is `−ln(1 − q) · s / (1 − ρ)`, capped at 60 service times, the full
//! queue); above it the queue sheds `1 − c/λ` of the requests. Observed percentiles get
//! seeded log-normal noise and error rates binomial noise, as real runs do.

use std::convert::Infallible;

use perf_core::probe::{EndpointVerdicts, LoadProbe, ProbeOutcome};
use perf_core::slo::SloSource;
use perf_core::Slo;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// A synthetic target (see the module docs).
#[derive(Debug, Clone)]
pub struct SyntheticTarget {
    capacity: f64,
    service_ms: f64,
    slos: Vec<Slo>,
    noise: f64,
    point_secs: f64,
    generator_limit: Option<f64>,
    rng: ChaCha8Rng,
}

/// What the model shows at one rate.
#[derive(Debug, Clone, Copy)]
struct Obs {
    rate: f64,
    capacity: f64,
    service_us: f64,
    latency_factor: f64,
    error_pct: f64,
}

const QUEUE_CAP: f64 = 60.0;

impl Obs {
    fn time_us(&self, quantile_factor: f64) -> f64 {
        let rho = self.rate / self.capacity;
        let wait = if rho < 1.0 {
            (quantile_factor / (1.0 - rho)).min(QUEUE_CAP)
        } else {
            QUEUE_CAP
        };
        self.service_us * wait * self.latency_factor
    }
}

impl SloSource for Obs {
    fn percentile_us(&self, _: Option<&str>, q: f64) -> Option<f64> {
        Some(self.time_us(-(1.0 - q / 100.0).ln()))
    }
    fn mean_us(&self, _: Option<&str>) -> Option<f64> {
        Some(self.time_us(1.0))
    }
    fn max_us(&self, _: Option<&str>) -> Option<f64> {
        Some(self.time_us(QUEUE_CAP))
    }
    fn error_rate_pct(&self, _: Option<&str>) -> Option<f64> {
        Some(self.error_pct)
    }
    fn rps(&self, _: Option<&str>) -> Option<f64> {
        Some(self.rate * (1.0 - self.error_pct / 100.0))
    }
}

impl SyntheticTarget {
    /// Capacity in req/s, mean service time in ms, the SLOs judged; no noise, seed 1,
    /// 15-second points.
    pub fn new(capacity: f64, service_ms: f64, slos: Vec<Slo>) -> Self {
        Self {
            capacity,
            service_ms,
            slos,
            noise: 0.0,
            point_secs: 15.0,
            generator_limit: None,
            rng: ChaCha8Rng::seed_from_u64(1),
        }
    }
    /// Log-normal noise of percentiles (standard deviation of the log).
    pub fn noise(mut self, sd: f64) -> Self {
        self.noise = sd;
        self
    }
    /// Seed of the noise.
    pub fn seed(mut self, seed: u64) -> Self {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
        self
    }
    /// The generator saturates above this rate.
    pub fn generator_limit(mut self, rate: f64) -> Self {
        self.generator_limit = Some(rate);
        self
    }

    fn obs(&self, rate: f64, latency_factor: f64, error_pct: f64) -> Obs {
        Obs {
            rate,
            capacity: self.capacity,
            service_us: self.service_ms * 1000.0,
            latency_factor,
            error_pct,
        }
    }

    fn true_error(&self, rate: f64) -> f64 {
        (1.0 - self.capacity / rate).max(0.0)
    }

    fn passes_noise_free(&self, rate: f64) -> bool {
        let o = self.obs(rate, 1.0, 100.0 * self.true_error(rate));
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
        let p = self.true_error(rate);
        let n = (rate * self.point_secs).max(1.0);
        let sd = (p * (1.0 - p) / n).sqrt();
        let err = if sd > 0.0 {
            (p + Normal::new(0.0, sd)
                .expect("finite sd")
                .sample(&mut self.rng))
            .clamp(0.0, 1.0)
        } else {
            p
        };
        let saturated = self.generator_limit.is_some_and(|g| rate > g);
        let obs = self.obs(rate, lat, 100.0 * err);
        let slo: Vec<_> = self.slos.iter().map(|s| s.evaluate(&obs)).collect();
        Ok(ProbeOutcome {
            rate,
            achieved_rps: obs.rps(None).unwrap_or(0.0),
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
