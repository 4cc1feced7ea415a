//! The shedding law as knowledge inside the boundary's posterior.
//!
//! A server that sheds load past its capacity `c` (a bounded queue, a rate limiter)
//! serves `c` of an offered `λ` and fails `e = 1 − c/λ` of the requests (the shape of
//! [`crate::failure`]). One point failing an `error-rate<ℓ` rule by shedding (`e` well
//! above `ℓ`) therefore places the boundary at `λ(1 − e)/(1 − ℓ)` by itself, which a
//! generic surrogate cannot read from a margin. [`ShedLaw`] turns that into a likelihood
//! of the boundary, which multiplies the GP's posterior of it
//! ([`super::posterior::BoundaryPosterior::weighted`]): where the law holds the product
//! is narrow around its estimate and the posterior median measures there; where it does
//! not (a timing-out server fails a share of its requests without serving a fixed rate)
//! the first point measured there is a clear pass or failure, which moves the
//! posterior's window past the estimate, and the law's flat part leaves the GP to decide.
//! The law places the error-rate rule's boundary; the target's is the lowest of its
//! rules', so a point at or below the estimate that fails another rule clearly (a p95
//! that breaks before anything is shed) sets the law aside ([`ShedLaw::outrun`]).
//!
//! Tried and measured worse: the estimate as pseudo-observations inside the GP (margin 0
//! at the estimate, the law's margins a tolerance either side). The boundary's posterior
//! is the draws' *first* crossing, and draws wander above zero over the unmeasured loads
//! below the estimate, so the median crept up from below like a ramp: 6 runs instead of 4
//! on shedding and rate-limited targets (`search_coverage`). A likelihood of the crossing
//! itself cannot be outvoted by draws over loads nobody measured. Also tried: two fixed
//! checks just below and above the estimate, outside the model (4 runs, mean 4.3; now
//! 3.8 with the law inside the posterior).

use perf_core::probe::ProbeOutcome;
use perf_core::slo::{SloMetric, SloOp};

/// The chance that the law does not hold for a target at all: the likelihood's flat
/// part, so that data against the law can always outweigh it.
const NOT_THE_LAW: f64 = 0.2;
/// The law's own error, in log-load (a queue also sheds a little below its capacity,
/// a limiter's burst admits a little more above it): added to the binomial error of
/// the failed share.
const LAW_SD: f64 = 0.03;

/// The boundary where the shedding law puts it, in normalised log-load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShedLaw {
    /// The boundary's estimate, req/s.
    pub rate: f64,
    /// Its standard error in `ln(rate)`.
    pub log_sd: f64,
    /// The estimate in `u`.
    u: f64,
    /// The standard error in `u`.
    sd: f64,
}

impl ShedLaw {
    /// From the failing points, the median of their estimates; `None` when no point
    /// fails an all-requests `error-rate<ℓ` rule by shedding (`3ℓ ≤ e < 0.95`).
    /// `span` is `ln(hi/lo)` of the search range, `to_u` its map from a rate to `u`.
    pub fn from_points<'a>(
        points: impl Iterator<Item = &'a ProbeOutcome>,
        to_u: impl Fn(f64) -> f64,
        span: f64,
    ) -> Option<Self> {
        let mut est: Vec<(f64, f64)> = points
            .filter(|o| !o.pass())
            .flat_map(|o| {
                o.slo.iter().zip(&o.log_sd).filter_map(move |(v, sd)| {
                    let limit = v.slo.limit / 100.0;
                    let e = v.observed? / 100.0;
                    let upper = matches!(v.slo.op, SloOp::Lt | SloOp::Le);
                    (v.slo.metric == SloMetric::ErrorRate
                        && v.slo.endpoint.is_none()
                        && upper
                        && e >= 3.0 * limit.max(0.001)
                        && e < 0.95)
                        .then(|| {
                            // sd(ln e) → sd(e) → sd(ln(1 − e)).
                            let binomial = sd.map_or(0.0, |s| s * e / (1.0 - e));
                            (o.rate * (1.0 - e) / (1.0 - limit), binomial)
                        })
                })
            })
            .collect();
        if est.is_empty() {
            return None;
        }
        est.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (rate, binomial) = est[est.len() / 2];
        // Estimates that disagree widen the law by their spread.
        let spread = if est.len() > 1 {
            let logs: Vec<f64> = est.iter().map(|e| e.0.ln()).collect();
            let m = logs.iter().sum::<f64>() / logs.len() as f64;
            (logs.iter().map(|l| (l - m).powi(2)).sum::<f64>() / (logs.len() - 1) as f64).sqrt()
        } else {
            0.0
        };
        let log_sd = (binomial * binomial + LAW_SD * LAW_SD + spread * spread).sqrt();
        Some(Self {
            rate,
            log_sd,
            u: to_u(rate),
            sd: log_sd / span,
        })
    }

    /// Whether a point at or below the law's estimate (within `near` of it, relative)
    /// fails another rule than the error rate by more than `clear` of margin: the law
    /// places the error-rate rule's boundary, and the target's is the lowest of its
    /// rules', so such a point shows that another rule breaks first and the law no longer
    /// locates the target's boundary.
    pub fn outrun<'a>(
        &self,
        mut points: impl Iterator<Item = &'a ProbeOutcome>,
        near: f64,
        clear: f64,
    ) -> bool {
        points.any(|o| {
            o.rate <= self.rate * (1.0 + near)
                && o.slo.iter().any(|v| {
                    v.slo.metric != SloMetric::ErrorRate && super::margin::margin_of(v) > clear
                })
        })
    }

    /// The likelihood of a boundary at `u`, relative to a flat one over the range.
    pub fn likelihood(&self, u: f64) -> f64 {
        let z = (u - self.u) / self.sd;
        let normal = (-0.5 * z * z).exp() / (self.sd * (2.0 * std::f64::consts::PI).sqrt());
        (1.0 - NOT_THE_LAW) * normal + NOT_THE_LAW
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_core::parse_slos;
    use perf_core::SloVerdict;

    fn outcome(rate: f64, error_pct: f64, log_sd: f64) -> ProbeOutcome {
        let slo = parse_slos("error-rate<1%").unwrap().remove(0);
        ProbeOutcome {
            rate,
            achieved_rps: rate,
            slo: vec![SloVerdict {
                pass: error_pct < 1.0,
                observed: Some(error_pct),
                slo,
            }],
            log_sd: vec![Some(log_sd)],
            endpoints: vec![],
            generator_saturated: false,
            interrupted: None,
            partial: false,
        }
    }

    #[test]
    fn a_shedding_point_places_the_boundary_and_a_pass_does_not() {
        let span = 100f64.ln();
        let to_u = |r: f64| (r / 10.0).ln() / span;
        // 400 req/s offered, 50% failed: 200 served, boundary 200/0.99.
        let o = [outcome(400.0, 50.0, 0.02), outcome(100.0, 0.0, 0.0)];
        let law = ShedLaw::from_points(o.iter(), to_u, span).unwrap();
        assert!((law.rate - 200.0 / 0.99).abs() < 1e-9, "{law:?}");
        assert!(law.log_sd >= LAW_SD && law.log_sd < 0.04, "{law:?}");
        let at = law.likelihood(to_u(law.rate));
        let off = law.likelihood(to_u(law.rate * 1.3));
        assert!(at > 20.0 * off, "{at} {off}");
        assert!(off >= NOT_THE_LAW);
        assert!(ShedLaw::from_points(o[1..].iter(), to_u, span).is_none());
        // A p95 failing clearly at the estimate: latency breaks first there.
        let mut slow = outcome(law.rate, 1.0, 0.1);
        let p95 = parse_slos("p95<30ms").unwrap().remove(0);
        slow.slo.push(SloVerdict {
            pass: false,
            observed: Some(50_000.0),
            slo: p95,
        });
        assert!(law.outrun([&slow].into_iter(), 0.05, 0.2));
        assert!(!law.outrun(o.iter(), 0.05, 0.2));
        slow.rate = law.rate * 1.5;
        assert!(
            !law.outrun([&slow].into_iter(), 0.05, 0.2),
            "far above the estimate"
        );
        // 2% failed against a 1% limit is not shedding evidence (within 3× the limit).
        let near = [outcome(400.0, 2.0, 0.1)];
        assert!(ShedLaw::from_points(near.iter(), to_u, span).is_none());
    }
}
