//! The throughput ceiling as knowledge inside the boundary's posterior.
//!
//! A target past its capacity serves about that capacity whatever is offered: a bounded
//! queue or a rate limiter sheds the rest, an unbounded queue lets it wait, a deadline
//! fails it. So a failing point that served clearly less than it was offered
//! ([`ProbeOutcome::served_rps`] well below its rate) measures the target's ceiling `c`,
//! and the breaking point is at or below it — at most `c/(1 − ℓ)` under an
//! `error-rate<ℓ` rule, which tolerates that share of failures. A generic surrogate of
//! the margin cannot read this: the margin of such a point is only "fails".
//!
//! How far below the ceiling the boundary sits depends on the knee:
//!
//! - **sharp**: nothing fails until the ceiling, then `1 − c/λ` of the requests are
//!   shed or rejected (a bounded queue, a rate limiter). An error-rate rule then breaks
//!   at `c/(1 − ℓ)` itself. Only failures make a knee sharp: a latency rule judges a
//!   queue whose wait grows without bound at the ceiling, so it breaks strictly below.
//! - **smooth**: latency of a queue, timeouts rising with load; the boundary is below
//!   the ceiling by a factor nobody measured yet. Queueing theory puts a latency SLO of
//!   a few unloaded latencies at 60–95% of the ceiling, so this part is half-normal in
//!   log-load below the ceiling with a scale of `KNEE` (0.25).
//!
//! [`CeilingLaw`] is the mixture of the two, plus a flat part (`NOT_THE_LAW`, a fifth): a
//! target whose throughput collapses under overload serves less than its capacity, and
//! data against the law must always be able to outweigh it. It is a likelihood of the
//! boundary, which multiplies the GP's posterior within the window the points proved
//! ([`super::posterior::BoundaryPosterior::weighted`]): a clear failure below the
//! ceiling moves that window under it, which removes the sharp part by itself, and the
//! smooth part then leans the posterior towards the top of what is left.
//!
//! Tried and measured worse: the ceiling as pseudo-observations inside the GP (margin 0
//! at the estimate, a tolerance either side): the boundary's posterior is the draws'
//! *first* crossing, and draws wander above zero over unmeasured loads below it, so the
//! median crept up from below like a ramp (6 runs instead of 4 on shedding targets).
//! Also tried: the sharp part alone, read from shed requests only (the first version,
//! "the shedding law"): right on a bounded queue, but silent on a target that lets
//! requests wait, and a timing-out server's failures put it at the ceiling, a tenth above
//! that target's boundary, where it cost runs (BENCHMARKS.md).

use perf_core::probe::ProbeOutcome;
use perf_core::slo::{SloMetric, SloOp};
use statrs::distribution::{Continuous, Normal};
use statrs::statistics::Statistics;

/// The chance that the law does not hold for a target at all: the likelihood's flat
/// part, so that data against the law can always outweigh it.
const NOT_THE_LAW: f64 = 0.2;
/// The ceiling's own error, in log-load (a queue also sheds a little below its
/// capacity, a limiter's burst admits a little more above it, a point's seconds vary):
/// added to the binomial error of the failed share.
const LAW_SD: f64 = 0.03;
/// The least shortfall of served below offered that reads as a ceiling: a point just
/// past a latency limit serves what it is offered, within a few percent of noise.
const MIN_SHORTFALL: f64 = 0.05;
/// The scale, in log-load, of how far below the ceiling a smooth knee's boundary sits:
/// `e^−0.25 ≈ 0.78` of the ceiling is one scale below it.
const KNEE: f64 = 0.25;

/// The target's throughput ceiling and where it puts the boundary, in normalised
/// log-load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CeilingLaw {
    /// The ceiling as a breaking point, req/s: the served rate, over `1 − ℓ` under an
    /// error-rate rule.
    pub rate: f64,
    /// Its standard error in `ln(rate)`.
    pub log_sd: f64,
    /// The offered rate and served rate of the point it was read from (the median's).
    pub read_at: (f64, f64),
    /// Whether a sharp knee is possible: the SLOs have an all-requests error-rate rule.
    pub sharp: bool,
    /// The estimate in `u`.
    u: f64,
    /// The standard error in `u`.
    sd: f64,
    /// `KNEE` in `u`.
    knee: f64,
}

impl CeilingLaw {
    /// From the failing points that served clearly less than they were offered (by at
    /// least `MIN_SHORTFALL` (5%), and three times an error-rate rule's limit), the median
    /// of their ceilings; `None` without such a point. `span` is `ln(hi/lo)` of the
    /// search range, `to_u` its map from a rate to `u`.
    pub fn from_points<'a>(
        points: impl Iterator<Item = &'a ProbeOutcome>,
        to_u: impl Fn(f64) -> f64,
        span: f64,
    ) -> Option<Self> {
        let mut limit: Option<f64> = None;
        // (ceiling, its binomial error, offered, served) per point.
        let mut est: Vec<(f64, f64, f64, f64)> = Vec::new();
        for o in points.filter(|o| !o.pass()) {
            // The all-requests error-rate rule, its limit as a share, and the binomial
            // error of this point's failed share carried to ln(1 − e).
            let rule = o.slo.iter().zip(&o.log_sd).find(|(v, _)| {
                v.slo.metric == SloMetric::ErrorRate
                    && v.slo.endpoint.is_none()
                    && matches!(v.slo.op, SloOp::Lt | SloOp::Le)
            });
            let l = rule.map(|(v, _)| v.slo.limit / 100.0);
            limit = limit.or(l);
            let binomial = rule
                .and_then(|(v, sd)| {
                    let e = v.observed? / 100.0;
                    Some(sd.map_or(0.0, |s| s * e / (1.0 - e).max(1e-9)))
                })
                .unwrap_or(0.0);
            let shortfall = 1.0 - o.served_rps / o.rate;
            if o.served_rps > 0.0
                && shortfall >= MIN_SHORTFALL.max(3.0 * l.unwrap_or(0.0))
                && binomial.is_finite()
            {
                let ceiling = o.served_rps / (1.0 - l.unwrap_or(0.0));
                est.push((ceiling, binomial, o.rate, o.served_rps));
            }
        }
        if est.is_empty() {
            return None;
        }
        est.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (rate, binomial, offered, served) = est[est.len() / 2];
        // Ceilings that disagree widen the law by their spread.
        let spread = if est.len() > 1 {
            est.iter().map(|e| e.0.ln()).std_dev()
        } else {
            0.0
        };
        let log_sd = (binomial * binomial + LAW_SD * LAW_SD + spread * spread).sqrt();
        Some(Self {
            rate,
            log_sd,
            read_at: (offered, served),
            sharp: limit.is_some(),
            u: to_u(rate),
            sd: log_sd / span,
            knee: KNEE / span,
        })
    }

    /// The likelihood of a boundary at `u`, relative to a flat one over the range.
    pub fn likelihood(&self, u: f64) -> f64 {
        // The density of a centred normal of deviation `s` at `x` (both are above 0).
        let pdf = |x: f64, s: f64| Normal::new(0.0, s).map_or(0.0, |n| n.pdf(x));
        let x = u - self.u;
        // Half-normal below the ceiling; above it, only as far as the ceiling's own error.
        let smooth =
            2.0 * pdf(x.min(0.0), self.knee) * (-0.5 * (x.max(0.0) / self.sd).powi(2)).exp();
        let law = if self.sharp {
            0.5 * pdf(x, self.sd) + 0.5 * smooth
        } else {
            smooth
        };
        (1.0 - NOT_THE_LAW) * law + NOT_THE_LAW
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_core::parse_slos;
    use perf_core::SloVerdict;

    fn outcome(rules: &str, rate: f64, served: f64, observed: &[f64]) -> ProbeOutcome {
        let slos = parse_slos(rules).unwrap();
        let slo: Vec<SloVerdict> = slos
            .into_iter()
            .zip(observed)
            .map(|(slo, &x)| SloVerdict {
                pass: x < slo.limit,
                observed: Some(x),
                slo,
            })
            .collect();
        ProbeOutcome {
            rate,
            achieved_rps: rate,
            served_rps: served,
            log_sd: vec![Some(0.02); slo.len()],
            slo,
            endpoints: vec![],
            generator_saturated: false,
            interrupted: None,
            partial: false,
        }
    }

    const SPAN: f64 = 4.605_170_185_988_092; // ln 100
    fn to_u(r: f64) -> f64 {
        (r / 10.0).ln() / SPAN
    }

    #[test]
    fn a_shedding_point_places_a_sharp_ceiling_and_a_pass_does_not() {
        // 400 req/s offered, 50% shed: 200 served, the error rule breaks at 200/0.99.
        let o = [
            outcome("error-rate<1%", 400.0, 200.0, &[50.0]),
            outcome("error-rate<1%", 100.0, 100.0, &[0.0]),
        ];
        let law = CeilingLaw::from_points(o.iter(), to_u, SPAN).unwrap();
        assert!((law.rate - 200.0 / 0.99).abs() < 1e-9, "{law:?}");
        assert!(law.sharp && law.read_at == (400.0, 200.0), "{law:?}");
        assert!(law.log_sd >= LAW_SD && law.log_sd < 0.04, "{law:?}");
        let at = law.likelihood(to_u(law.rate));
        let above = law.likelihood(to_u(law.rate * 1.3));
        assert!(at > 20.0 * above, "{at} {above}");
        assert!(above >= NOT_THE_LAW);
        assert!(CeilingLaw::from_points(o[1..].iter(), to_u, SPAN).is_none());
        // 2% failed against a 1% limit is not a ceiling (within 3× the limit).
        let near = [outcome("error-rate<1%", 400.0, 392.0, &[2.0])];
        assert!(CeilingLaw::from_points(near.iter(), to_u, SPAN).is_none());
    }

    #[test]
    fn a_queue_that_lets_requests_wait_places_a_smooth_ceiling_below_it() {
        // Nothing failed, p95 far over its limit, 400 of 1,700 req/s served.
        let o = [outcome("p95<50ms", 1700.0, 400.0, &[2_000_000.0])];
        let law = CeilingLaw::from_points(o.iter(), to_u, SPAN).unwrap();
        assert!(!law.sharp && law.rate == 400.0, "{law:?}");
        // Most likely just below the ceiling, less so a knee's scale below, little above.
        let at = |f: f64| law.likelihood(to_u(400.0 * f));
        assert!(at(0.95) > at(0.7) && at(0.7) > at(0.4), "{law:?}");
        assert!(at(0.95) > 5.0 * at(1.15), "{} {}", at(0.95), at(1.15));
        assert!((at(0.2) - at(0.1)).abs() < 0.01 && at(0.1) >= NOT_THE_LAW);
        // A point just past its latency limit served what it was offered: no ceiling.
        let just = [outcome("p95<50ms", 380.0, 372.0, &[52_000.0])];
        assert!(CeilingLaw::from_points(just.iter(), to_u, SPAN).is_none());
    }
}
