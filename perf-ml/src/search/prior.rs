//! Warm start: a search that begins from earlier evidence about the same target
//! ([`Prior`]) — an earlier search's breaking point and interval, points measured before
//! (a sweep, whose boundary the margin's GP locates), or a fitted model's capacity at
//! the SLO with its interval.
//!
//! The prior locates; the target decides. The earlier evidence gives a breaking point,
//! and the search measures just below it, then just above it. When the pass and the
//! failure fall where the prior said, two points have pinned the answer within the
//! tolerance. When they do not, each further step on that side goes twice as far (in
//! log-load) as the one before, until the target passes and fails somewhere, and the
//! search goes on from its own points as a cold one would — the earlier points never
//! enter the model, so a target that changed since cannot be outvoted by stale data.
//! A breaking point outside the prior's interval (widened by the tolerance) is reported
//! as the prior disagreeing with the target ([`PriorUse`]).
//!
//! Tried and measured worse (`search_warm`): the earlier points inside the GP, each new
//! point tested against their prediction. On an unchanged target it often stopped after
//! one point, but an old pass next to the boundary held the bracket where it was after a
//! release moved the capacity, and the margin's clamp and steep knees hid the change from
//! the test: with capacity moved by 30%, half the searches ended more than 5% off.

use perf_core::probe::ProbeOutcome;
use serde::Serialize;

use super::{margin, SearchPoint, SearchReport};

/// An earlier measured point (as a point of `search.json` reads).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct PriorPoint {
    /// Arrival rate asked for, req/s.
    pub rate: f64,
    /// Achieved, req/s.
    pub achieved_rps: f64,
    /// The worst SLO's margin under the current SLOs (negative passes).
    pub margin: f64,
    /// Its standard error as the point measured it.
    pub margin_sd: Option<f64>,
    /// Whether every SLO passed.
    pub pass: bool,
    /// The generator could not produce the load.
    pub generator_saturated: bool,
}

impl PriorPoint {
    /// From an outcome judged under the current SLOs; `None` when no SLO had a value
    /// (nothing completed), or when the point was cut short.
    pub fn from_outcome(o: &ProbeOutcome) -> Option<Self> {
        if o.partial {
            return None;
        }
        Some(Self {
            rate: o.rate,
            achieved_rps: o.achieved_rps,
            margin: margin::point_margin(o)?,
            margin_sd: margin::point_margin_sd(o),
            pass: o.pass(),
            generator_saturated: o.generator_saturated,
        })
    }
}

impl From<&SearchPoint> for PriorPoint {
    fn from(p: &SearchPoint) -> Self {
        Self {
            rate: p.rate,
            achieved_rps: p.achieved_rps,
            margin: p.margin,
            margin_sd: p.margin_sd,
            pass: p.pass,
            generator_saturated: p.generator_saturated,
        }
    }
}

/// Earlier evidence about the target (see the module docs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prior {
    /// Where it came from, for the report (`results/…/search.json`).
    pub source: String,
    /// Points measured before.
    pub points: Vec<PriorPoint>,
    /// The breaking point it claims, req/s.
    pub estimate: Option<f64>,
    /// That claim's interval, req/s.
    pub interval: Option<(f64, f64)>,
}

impl Prior {
    /// An earlier search's points, breaking point and interval.
    pub fn from_report(source: impl Into<String>, r: &SearchReport) -> Self {
        Self {
            source: source.into(),
            points: r.points.iter().map(PriorPoint::from).collect(),
            estimate: r.found().then_some(r.estimate).flatten(),
            interval: r
                .found()
                .then_some(r.interval)
                .flatten()
                .filter(|i| i.1.is_finite()),
        }
    }

    /// What is wrong with it, if anything.
    pub(super) fn problem(&self) -> Option<String> {
        if self.points.is_empty() && self.estimate.is_none() {
            return Some(format!(
                "{}: holds neither measured points nor a breaking point",
                self.source
            ));
        }
        let bad = |v: f64| !(v.is_finite() && v > 0.0);
        if let Some(p) = self
            .points
            .iter()
            .find(|p| bad(p.rate) || !p.margin.is_finite())
        {
            return Some(format!(
                "{}: a point at rate {} with margin {} is not a measurement",
                self.source, p.rate, p.margin
            ));
        }
        if self.estimate.is_some_and(bad) {
            return Some(format!(
                "{}: breaking point {} is not a rate",
                self.source,
                self.estimate.unwrap_or(f64::NAN)
            ));
        }
        match self.interval {
            Some((l, h)) if !(l.is_finite() && h.is_finite() && l <= h) => Some(format!(
                "{}: interval {l}..{h} is not a range of rates",
                self.source
            )),
            _ => None,
        }
    }
}

/// What became of the prior, in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriorUse {
    /// Where it came from.
    pub source: String,
    /// Earlier points inside the range it was given.
    pub points: usize,
    /// The breaking point it claimed (given, or located by the GP from its points).
    pub estimate: Option<f64>,
    /// Its interval.
    pub interval: Option<(f64, f64)>,
    /// Whether the target agreed with it.
    pub agreed: bool,
    /// How it disagreed.
    pub disagreement: Option<String>,
}

/// A breaking point against the prior's interval widened by the tolerance: why it
/// disagrees, if it does.
pub(super) fn estimate_disagrees(
    interval: Option<(f64, f64)>,
    tolerance: f64,
    found: f64,
) -> Option<String> {
    let (l, h) = interval?;
    (found < l * (1.0 - tolerance) || found > h * (1.0 + tolerance)).then(|| {
        format!(
            "it put the breaking point at {l:.1} .. {h:.1} req/s and this search found {found:.1} req/s"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breaking_point_outside_the_widened_interval_disagrees() {
        assert!(estimate_disagrees(Some((90.0, 110.0)), 0.05, 100.0).is_none());
        assert!(estimate_disagrees(Some((90.0, 110.0)), 0.05, 114.0).is_none());
        let why = estimate_disagrees(Some((90.0, 110.0)), 0.05, 130.0).unwrap();
        assert!(why.contains("130.0 req/s"), "{why}");
        assert!(estimate_disagrees(Some((90.0, 110.0)), 0.05, 80.0).is_some());
        assert!(estimate_disagrees(None, 0.05, 130.0).is_none());
    }

    #[test]
    fn a_prior_without_evidence_or_with_broken_values_is_refused() {
        let empty = Prior {
            source: "x".into(),
            ..Prior::default()
        };
        assert!(empty.problem().unwrap().contains("neither"));
        let nan = Prior {
            source: "x".into(),
            estimate: Some(f64::NAN),
            ..Prior::default()
        };
        assert!(nan.problem().is_some());
        let backwards = Prior {
            source: "x".into(),
            estimate: Some(100.0),
            interval: Some((120.0, 80.0)),
            ..Prior::default()
        };
        assert!(backwards.problem().is_some());
    }
}
