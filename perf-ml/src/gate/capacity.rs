//! The gate on the breaking point: has the capacity at the SLOs dropped?
//!
//! A baseline search (cold, [`crate::search`]) gives the breaking point `b₀` with its
//! posterior interval; the gate's own search starts warm from it (just below it, then
//! just above: two points when nothing moved) and gives `b₁` with its interval. Each
//! interval is read in log-load as a split normal around its estimate — the posterior of
//! a breaking point is often skewed, a long tail on one side only — so each half has its
//! own deviation, `s↓ = ln(b/lo) / z` and `s↑ = ln(hi/b) / z` (z = 1.645 for a 90%
//! interval). A drop is a low `b₁` against a high `b₀`, so the one-sided test of "the
//! capacity fell by at most the threshold `t`" takes the baseline's lower half and the
//! current's upper half,
//!
//! ```text
//! z = (ln((1 − t)·b₀) − ln b₁) / √(s↓₀² + s↑₁²),   p = 1 − Φ(z),
//! ```
//!
//! and fails the gate at `p < α` (the test of an improvement takes the other halves). A
//! search that finds the target already breaking at the bottom of its range (half the
//! baseline's breaking point) fails without a test; one that holds up to the top of its
//! range passes; one that ends in a pass/fail bracket without a posterior is judged by
//! its measured ends ([`judge_bracket`]).
//!
//! ```
//! use perf_ml::gate::capacity::{judge, Capacity, CapacityVerdict};
//! let base = Capacity { estimate: 800.0, interval: (780.0, 820.0), confidence: 0.9 };
//! let now = Capacity { estimate: 680.0, interval: (662.0, 697.0), confidence: 0.9 };
//! let f = judge(&base, Some(&now), 0.05, 0.05);
//! assert_eq!(f.verdict, CapacityVerdict::Regressed);
//! assert!((f.change + 0.15).abs() < 1e-9 && f.p_value < 0.001);
//! ```

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::search::{IntervalKind, SearchReport, StopReason};

/// A breaking point with its interval, as a search reported it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// The highest rate meeting the SLOs, req/s.
    pub estimate: f64,
    /// Its interval, req/s.
    pub interval: (f64, f64),
    /// The interval's probability (0.9).
    pub confidence: f64,
}

/// What a search says about the capacity, for the gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Searched {
    /// A breaking point with a posterior interval.
    Found(Capacity),
    /// The bottom of the range already fails: the capacity is below this rate.
    Below(f64),
    /// The top of the range still meets the SLOs: the capacity is above this rate.
    Above(f64),
    /// A measured pass and failure within the tolerance of each other, without a
    /// posterior (a warm search whose two points agreed with the prior): `(pass, fail)`.
    Bracket(f64, f64),
    /// Nothing the gate can judge (a bracket without a probability, the generator's
    /// limit, an interrupted search), with why.
    Unjudged(&'static str),
}

impl Searched {
    /// From a search's report.
    pub fn of(r: &SearchReport) -> Self {
        match r.stop {
            StopReason::BreaksBelow => return Self::Below(r.range.0),
            StopReason::HoldsUp => return Self::Above(r.range.1),
            StopReason::GeneratorLimited { .. } => {
                return Self::Unjudged("the generator could not produce the load")
            }
            StopReason::Interrupted { .. } => return Self::Unjudged("the search was interrupted"),
            _ => {}
        }
        let posterior = matches!(
            r.interval_kind,
            IntervalKind::Posterior | IntervalKind::PosteriorAndBracket
        );
        if let (true, IntervalKind::Bracket, Some((pass, fail))) =
            (r.found(), r.interval_kind, r.interval)
        {
            if pass > 0.0 && fail.is_finite() && pass <= fail {
                return Self::Bracket(pass, fail);
            }
        }
        match (r.found(), r.estimate, r.interval) {
            (true, Some(estimate), Some(interval))
                if posterior && interval.0 > 0.0 && interval.1.is_finite() =>
            {
                Self::Found(Capacity {
                    estimate,
                    interval,
                    confidence: r.confidence,
                })
            }
            _ => Self::Unjudged("the search gave no posterior interval of the breaking point"),
        }
    }
}

impl Capacity {
    /// The standard deviation of `ln(breaking point)` that the whole interval implies,
    /// read as a normal interval.
    pub fn log_sd(&self) -> f64 {
        (self.log_sd_below() + self.log_sd_above()) / 2.0
    }

    /// The deviation of `ln(breaking point)` below the estimate: `ln(b/lo) / z`.
    pub fn log_sd_below(&self) -> f64 {
        (self.estimate / self.interval.0).ln().max(0.0) / self.z()
    }

    /// The deviation of `ln(breaking point)` above the estimate: `ln(hi/b) / z`.
    pub fn log_sd_above(&self) -> f64 {
        (self.interval.1 / self.estimate).ln().max(0.0) / self.z()
    }

    fn z(&self) -> f64 {
        Normal::standard().inverse_cdf(0.5 + self.confidence / 2.0)
    }

    /// Whether the interval alone spans more than `threshold` (`hi / lo − 1`): a gate
    /// on such a baseline could never show a drop of `threshold`.
    pub fn spans_more_than(&self, threshold: f64) -> bool {
        self.interval.1 / self.interval.0 - 1.0 > threshold
    }

    /// Whether the values are a breaking point and an interval around it.
    pub fn problem(&self) -> Option<String> {
        let (l, h) = self.interval;
        let ok = self.estimate.is_finite()
            && self.estimate > 0.0
            && l.is_finite()
            && h.is_finite()
            && l > 0.0
            && l <= self.estimate
            && self.estimate <= h
            && self.confidence > 0.0
            && self.confidence < 1.0;
        (!ok).then(|| {
            format!(
                "breaking point {} with interval {l}..{h} at {} is not a rate inside its interval",
                self.estimate, self.confidence
            )
        })
    }
}

/// The gate's verdict on the capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityVerdict {
    /// Lower by more than the threshold, at the stated confidence: fails the gate.
    Regressed,
    /// Not shown to be lower by more than the threshold.
    NoChange,
    /// Higher by more than the threshold, at the stated confidence.
    Improved,
}

/// The comparison of the two breaking points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityFinding {
    /// The baseline's breaking point.
    pub baseline: Capacity,
    /// The current breaking point (`None` when the search bounded it by its range).
    pub current: Option<Capacity>,
    /// Relative change of the breaking point (current / baseline − 1).
    pub change: f64,
    /// Its 95% interval.
    pub ci: (f64, f64),
    /// p of "the capacity fell by at most the threshold" (one-sided); NaN for a
    /// bracket, which has no probability.
    pub p_value: f64,
    /// Whether the current breaking point is a pass/fail bracket ([`judge_bracket`]).
    pub bracket: bool,
    /// The verdict.
    pub verdict: CapacityVerdict,
}

/// Judges a current breaking point against the baseline's: regressed when the
/// one-sided test of a drop beyond `threshold` has `p < alpha` (module docs).
pub fn judge(
    baseline: &Capacity,
    current: Option<&Capacity>,
    threshold: f64,
    alpha: f64,
) -> CapacityFinding {
    let n = Normal::standard();
    let Some(c) = current else {
        return CapacityFinding {
            baseline: *baseline,
            current: None,
            change: f64::NAN,
            ci: (f64::NAN, f64::NAN),
            p_value: f64::NAN,
            bracket: false,
            verdict: CapacityVerdict::NoChange,
        };
    };
    // A drop: the current's upper half against the baseline's lower half; a rise: the
    // other two.
    let sd_drop = baseline.log_sd_below().hypot(c.log_sd_above()).max(1e-9);
    let sd_rise = baseline.log_sd_above().hypot(c.log_sd_below()).max(1e-9);
    let log_ratio = (c.estimate / baseline.estimate).ln();
    let p_value = n.sf(((1.0 - threshold).ln() - log_ratio) / sd_drop);
    let p_better = n.cdf(((1.0 + threshold).ln() - log_ratio) / sd_rise);
    let z95 = n.inverse_cdf(0.975);
    let verdict = if p_value < alpha {
        CapacityVerdict::Regressed
    } else if p_better < alpha {
        CapacityVerdict::Improved
    } else {
        CapacityVerdict::NoChange
    };
    CapacityFinding {
        baseline: *baseline,
        current: Some(*c),
        change: log_ratio.exp() - 1.0,
        ci: (
            (log_ratio - z95 * sd_rise).exp() - 1.0,
            (log_ratio + z95 * sd_drop).exp() - 1.0,
        ),
        p_value,
        bracket: false,
        verdict,
    }
}

/// Judges a pass/fail bracket against the baseline's breaking point, from the measured
/// points alone: regressed when the failure was measured below `(1 − t)·b₀`, improved
/// when the pass was measured above `(1 + t)·b₀`, else no change. The bracket has no
/// stated probability, so this rule states none; the warm search ends in one only when
/// its first two points, just below and just above `b₀`, agree with the baseline (a
/// capacity that moved takes the search further, and three points give a posterior).
pub fn judge_bracket(
    baseline: &Capacity,
    (pass, fail): (f64, f64),
    threshold: f64,
) -> CapacityFinding {
    let b0 = baseline.estimate;
    let estimate = (pass * fail).sqrt();
    let verdict = if fail < (1.0 - threshold) * b0 {
        CapacityVerdict::Regressed
    } else if pass > (1.0 + threshold) * b0 {
        CapacityVerdict::Improved
    } else {
        CapacityVerdict::NoChange
    };
    CapacityFinding {
        baseline: *baseline,
        current: Some(Capacity {
            estimate,
            interval: (pass, fail),
            confidence: baseline.confidence,
        }),
        change: estimate / b0 - 1.0,
        ci: (pass / b0 - 1.0, fail / b0 - 1.0),
        p_value: f64::NAN,
        bracket: true,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(estimate: f64, half: f64) -> Capacity {
        Capacity {
            estimate,
            interval: (estimate * (1.0 - half), estimate * (1.0 + half)),
            confidence: 0.9,
        }
    }

    #[test]
    fn the_log_sd_reads_the_interval_as_normal_in_log_load() {
        let c = Capacity {
            estimate: 100.0,
            interval: (100.0 / 1.1, 110.0),
            confidence: 0.9,
        };
        // ln(1.21) / (2 · 1.6449)
        assert!(
            (c.log_sd() - 0.19062 / 3.28971).abs() < 1e-4,
            "{}",
            c.log_sd()
        );
    }

    #[test]
    fn a_drop_beyond_the_threshold_fails_only_when_the_intervals_are_narrow_enough() {
        let base = cap(800.0, 0.02);
        // −15% with ±2% intervals: p tiny.
        let f = judge(&base, Some(&cap(680.0, 0.02)), 0.05, 0.05);
        assert_eq!(f.verdict, CapacityVerdict::Regressed);
        assert!(f.ci.0 < -0.15 && f.ci.1 > -0.15 && f.ci.1 < -0.05, "{f:?}");
        // The same drop measured with ±25% intervals: not shown.
        let f = judge(&base, Some(&cap(680.0, 0.25)), 0.05, 0.05);
        assert_eq!(f.verdict, CapacityVerdict::NoChange);
        // Unchanged and a drop within the threshold: pass.
        for now in [800.0, 780.0, 770.0] {
            let f = judge(&base, Some(&cap(now, 0.02)), 0.05, 0.05);
            assert_eq!(f.verdict, CapacityVerdict::NoChange, "{now}: {f:?}");
        }
        // +15%: improved.
        let f = judge(&base, Some(&cap(920.0, 0.02)), 0.05, 0.05);
        assert_eq!(f.verdict, CapacityVerdict::Improved);
        // At exactly the threshold the test sits at p = 0.5.
        let f = judge(&base, Some(&cap(760.0, 0.02)), 0.05, 0.05);
        assert!((f.p_value - 0.5).abs() < 1e-9, "{}", f.p_value);
    }

    #[test]
    fn a_skewed_interval_is_read_on_the_side_that_matters() {
        // A warm gate's posterior with a long lower tail (a timeout target, noise 0.1,
        // `gate_capacity`): the upper half rules out the baseline's breaking point, the
        // lower tail is no reason to doubt a drop (the whole interval read as a normal
        // one gave p = 0.097).
        let base = Capacity {
            estimate: 102.1,
            interval: (100.2, 104.1),
            confidence: 0.9,
        };
        let now = Capacity {
            estimate: 86.9,
            interval: (68.4, 90.1),
            confidence: 0.9,
        };
        let f = judge(&base, Some(&now), 0.05, 0.05);
        assert_eq!(f.verdict, CapacityVerdict::Regressed, "{f:?}");
        assert!(f.ci.0 < -0.3 && f.ci.1 < -0.1, "{f:?}");
        // A long upper tail reaching past the threshold line: not shown.
        let now = Capacity {
            estimate: 90.0,
            interval: (88.0, 104.0),
            confidence: 0.9,
        };
        let f = judge(&base, Some(&now), 0.05, 0.05);
        assert_eq!(f.verdict, CapacityVerdict::NoChange, "{f:?}");
    }

    #[test]
    fn the_false_alarm_rate_at_the_threshold_is_alpha() {
        // Two searches of targets whose capacity fell by exactly the threshold, each
        // reporting an honest 90% interval of width ±4% around a draw of its estimate:
        // the gate fails in about α of them.
        use rand::{Rng, SeedableRng};
        use rand_distr::StandardNormal;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let s = cap(1.0, 0.04).log_sd();
        let trials = 20_000;
        let mut fails = 0;
        for _ in 0..trials {
            let e0: f64 = rng.sample(StandardNormal);
            let e1: f64 = rng.sample(StandardNormal);
            let b0 = 800.0 * (s * e0).exp();
            let b1 = 800.0 * 0.95 * (s * e1).exp();
            let f = judge(&cap(b0, 0.04), Some(&cap(b1, 0.04)), 0.05, 0.05);
            fails += usize::from(f.verdict == CapacityVerdict::Regressed);
        }
        let rate = fails as f64 / trials as f64;
        assert!((rate - 0.05).abs() < 0.006, "{fails} of {trials}");
    }

    #[test]
    fn a_bracket_is_judged_by_its_measured_ends() {
        let base = cap(800.0, 0.02);
        let f = judge_bracket(&base, (786.0, 814.0), 0.05);
        assert_eq!(f.verdict, CapacityVerdict::NoChange);
        assert!(
            f.bracket && f.p_value.is_nan() && f.change.abs() < 0.001,
            "{f:?}"
        );
        let f = judge_bracket(&base, (740.0, 755.0), 0.05);
        assert_eq!(f.verdict, CapacityVerdict::Regressed, "{f:?}");
        // The threshold line inside the bracket: not shown.
        let f = judge_bracket(&base, (750.0, 770.0), 0.05);
        assert_eq!(f.verdict, CapacityVerdict::NoChange);
        let f = judge_bracket(&base, (850.0, 870.0), 0.05);
        assert_eq!(f.verdict, CapacityVerdict::Improved);
    }

    #[test]
    fn broken_values_are_named() {
        assert!(cap(800.0, 0.02).problem().is_none());
        let bad = Capacity {
            estimate: 900.0,
            interval: (700.0, 800.0),
            confidence: 0.9,
        };
        assert!(bad.problem().unwrap().contains("900"));
        let bad = Capacity {
            confidence: 1.0,
            ..cap(800.0, 0.02)
        };
        assert!(bad.problem().is_some());
    }
}
