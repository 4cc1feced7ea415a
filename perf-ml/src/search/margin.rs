//! One load point as evidence for the search: its SLO margin, and which
//! SLO and endpoint it breaks by the most.

use perf_core::probe::ProbeOutcome;
use perf_core::slo::SloMetric;
use perf_core::SloVerdict;

/// Margins are clamped to `[−CLAMP, CLAMP]`: that far from the limit (a quarter of it,
/// or e³ ≈ 20 times it) the size says nothing more about where the boundary is.
pub const CLAMP: f64 = 3.0;

/// The margin of one verdict, with `r` = observed / limit for upper bounds (limit /
/// observed for lower bounds): `1 − 1/r` while passing, `ln r` while failing, clamped to
/// ±[`CLAMP`]. Both halves meet at `r = 1` with slope 1. The passing half follows the
/// queueing curve of [`crate::latency`]: latency grows as `1 / (1 − ρ)`, so `1/r` falls
/// linearly in the load and the margin is nearly straight as it approaches zero. The
/// failing half keeps growing where `1 − 1/r` would flatten against 1 (an error rate of
/// 20% and of 60% against a 1% limit), so a failure far above the boundary looks far.
/// An error-rate rule is `ln r` on both sides (`log_below`). A rule without samples
/// counts as failing by the most.
pub fn margin_of(v: &SloVerdict) -> f64 {
    let r = v.margin();
    let l = if r.is_nan() || r == f64::INFINITY {
        CLAMP
    } else if r <= 0.0 {
        -CLAMP
    } else if r <= 1.0 && !log_below(v) {
        1.0 - 1.0 / r
    } else {
        r.ln()
    }
    .clamp(-CLAMP, CLAMP);
    // The verdict decides the sign at the limit itself (`p95<200ms` fails at 200 ms).
    if !v.pass && l <= 0.0 {
        1e-6
    } else if v.pass && l >= 0.0 {
        -1e-6
    } else {
        l
    }
}

/// Whether a rule's passing margin is `ln r` too: an error rate grows geometrically
/// below its knee (the share of requests whose wait passes a deadline, or that find a
/// bounded queue full, falls by a constant factor per step down in load), so its log
/// is the nearly straight scale, where `1 − 1/r` would put 0.4% against a 1% limit as
/// far as −1.5 and flatten the curve the GP reads the crossing from.
fn log_below(v: &SloVerdict) -> bool {
    v.slo.metric == SloMetric::ErrorRate
}

/// The point's margin: the worst of its SLOs ([`margin_of`]); `None` without SLOs.
pub fn point_margin(o: &ProbeOutcome) -> Option<f64> {
    o.slo.iter().map(margin_of).reduce(f64::max)
}

/// The standard error of the point's margin, from the measured standard error of the
/// worst rule's `ln(observed)` ([`ProbeOutcome::log_sd`]) by the delta method: the
/// margin's slope in `ln r` is `1/r` while passing (1 for an error rate) and 1 while
/// failing, and 0 where it is clamped. `None` when the point did not measure it.
pub fn point_margin_sd(o: &ProbeOutcome) -> Option<f64> {
    let (i, v) = o
        .slo
        .iter()
        .enumerate()
        .max_by(|a, b| margin_of(a.1).total_cmp(&margin_of(b.1)))?;
    let sd = (*o.log_sd.get(i)?)?;
    let m = margin_of(v);
    let r = v.margin();
    let slope = if m.abs() >= CLAMP || !r.is_finite() || r <= 0.0 {
        0.0
    } else if r < 1.0 && !log_below(v) {
        1.0 / r
    } else {
        1.0
    };
    Some(sd * slope)
}

/// The rule with the largest margin at a point, as written (`p95<200ms`).
pub fn worst_rule(o: &ProbeOutcome) -> Option<String> {
    o.slo
        .iter()
        .max_by(|a, b| margin_of(a).total_cmp(&margin_of(b)))
        .map(|v| v.slo.rule.clone())
}

/// The endpoint that fails `rule` by the most at a point; for a rule tied to one
/// endpoint (`for /api/search`), that endpoint.
pub fn worst_endpoint(o: &ProbeOutcome, rule: &str) -> Option<String> {
    if let Some(ep) = o
        .slo
        .iter()
        .find(|v| v.slo.rule == rule)
        .and_then(|v| v.slo.endpoint.clone())
    {
        return Some(ep);
    }
    o.endpoints
        .iter()
        .filter_map(|e| {
            e.verdicts
                .iter()
                .find(|v| v.slo.rule == rule && v.observed.is_some())
                .map(|v| (e.endpoint.clone(), margin_of(v)))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_core::parse_slos;
    use perf_core::probe::EndpointVerdicts;

    fn verdict(rule: &str, observed: Option<f64>) -> SloVerdict {
        let slo = parse_slos(rule).unwrap().remove(0);
        let pass = observed.is_some_and(|o| o < slo.limit);
        SloVerdict {
            slo,
            observed,
            pass,
        }
    }

    #[test]
    fn margins_are_log_ratios_clamped_and_signed_by_the_verdict() {
        assert!((margin_of(&verdict("p95<100ms", Some(50_000.0))) + 1.0).abs() < 1e-12);
        assert!((margin_of(&verdict("p95<100ms", Some(200_000.0))) - 2f64.ln()).abs() < 1e-12);
        assert_eq!(margin_of(&verdict("error-rate<1%", Some(0.0))), -CLAMP);
        // An error rate's passing margin is its log ratio too.
        assert!((margin_of(&verdict("error-rate<1%", Some(0.4))) - 0.4f64.ln()).abs() < 1e-12);
        assert_eq!(margin_of(&verdict("error-rate<1%", Some(90.0))), CLAMP);
        assert_eq!(margin_of(&verdict("p95<100ms", None)), CLAMP);
        // Exactly at the limit fails a strict rule: the margin is positive.
        assert!(margin_of(&verdict("p95<100ms", Some(100_000.0))) > 0.0);
    }

    #[test]
    fn the_worst_rule_and_endpoint_are_named() {
        let o = ProbeOutcome {
            rate: 100.0,
            achieved_rps: 100.0,
            served_rps: 100.0,
            slo: vec![
                verdict("p95<100ms", Some(120_000.0)),
                verdict("error-rate<1%", Some(5.0)),
            ],
            log_sd: vec![Some(0.05), Some(0.2)],
            endpoints: vec![
                EndpointVerdicts {
                    endpoint: "GET /a".into(),
                    verdicts: vec![verdict("error-rate<1%", Some(2.0))],
                },
                EndpointVerdicts {
                    endpoint: "GET /b".into(),
                    verdicts: vec![verdict("error-rate<1%", Some(9.0))],
                },
            ],
            generator_saturated: false,
            interrupted: None,
            partial: false,
        };
        assert_eq!(point_margin(&o), Some(5f64.ln()));
        assert_eq!(
            point_margin_sd(&o),
            Some(0.2),
            "the worst rule's, slope 1 failing"
        );
        let passing = ProbeOutcome {
            slo: vec![verdict("p95<100ms", Some(50_000.0))],
            log_sd: vec![Some(0.1)],
            ..o.clone()
        };
        assert!(
            (point_margin_sd(&passing).unwrap() - 0.2).abs() < 1e-12,
            "slope 1/r"
        );
        assert_eq!(worst_rule(&o).as_deref(), Some("error-rate<1%"));
        assert_eq!(
            worst_endpoint(&o, "error-rate<1%").as_deref(),
            Some("GET /b")
        );
    }
}
