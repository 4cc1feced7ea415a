//! What a search found, for people ([`fmt::Display`]) and for machines (serde).

use std::fmt;

use serde::Serialize;

use super::margin::{worst_endpoint, worst_rule};
use super::{Assessment, Evidence, PriorUse, Search, Strategy};

/// Why the search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum StopReason {
    /// The interval is within the tolerance.
    Converged,
    /// The run budget is spent before the interval got within the tolerance.
    Budget,
    /// The bottom of the range already fails the SLOs.
    BreaksBelow,
    /// The top of the range still meets the SLOs.
    HoldsUp,
    /// The ramp reached its first failure; its step is the interval.
    FirstFailure,
    /// The next load is one the generator could not produce.
    GeneratorLimited {
        /// The lowest rate at which the generator saturated.
        rate: f64,
    },
    /// A signal stopped it.
    Interrupted {
        /// The signal number (2 SIGINT, 15 SIGTERM).
        signal: i32,
    },
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Converged => write!(f, "the interval is within the tolerance"),
            Self::Budget => write!(f, "the run budget is spent (the interval is wider than the tolerance)"),
            Self::BreaksBelow => write!(f, "the target breaks below the range: its lowest rate already fails the SLOs"),
            Self::HoldsUp => write!(f, "the target holds up to the top of the range"),
            Self::FirstFailure => write!(f, "the ramp reached its first failing step"),
            Self::GeneratorLimited { rate } => write!(
                f,
                "the generator cannot reach the target's limit: it saturated at {rate:.1} req/s, so loads from there up are not evidence about the target"
            ),
            Self::Interrupted { signal: sig } => write!(f, "interrupted by signal {sig}"),
        }
    }
}

/// One point of the search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchPoint {
    /// Arrival rate asked for, req/s.
    pub rate: f64,
    /// Achieved, req/s.
    pub achieved_rps: f64,
    /// The worst SLO's log margin (negative passes).
    pub margin: f64,
    /// The margin's standard error as the point measured it, if it did.
    pub margin_sd: Option<f64>,
    /// The rule that chose this load (`posterior median`, `bracket middle`, ...).
    pub chosen_by: String,
    /// Whether every SLO passed.
    pub pass: bool,
    /// The generator could not produce the load.
    pub generator_saturated: bool,
}

/// The margin noise a GP search used, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Noise {
    /// Standard deviation of a point's margin.
    pub sd: f64,
    /// Where it came from.
    pub source: NoiseSource,
}

/// Where the margin noise came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NoiseSource {
    /// `--noise`.
    Given,
    /// Measured within this many points near the boundary.
    Measured {
        /// How many.
        points: usize,
    },
    /// No point measured it yet: the default.
    Assumed,
}

impl fmt::Display for Noise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            NoiseSource::Given => write!(f, "{:.3} (given)", self.sd),
            NoiseSource::Measured { points } => {
                write!(f, "{:.3} (measured within {points} point(s))", self.sd)
            }
            NoiseSource::Assumed => write!(f, "{:.3} (assumed: no point measured it)", self.sd),
        }
    }
}

/// What the reported interval is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalKind {
    /// Central quantiles of the GP's posterior of the breaking point, at
    /// [`SearchReport::confidence`].
    Posterior,
    /// The posterior interval widened to reach the measured pass and failure that pin
    /// the breaking point (both within the tolerance of the estimate).
    PosteriorAndBracket,
    /// The highest measured pass and the lowest measured failure: certain only up to
    /// the noise of those two points, with no stated probability.
    Bracket,
    /// One side of the range: the breaking point lies below its bottom, above its top,
    /// or above the generator's limit.
    Bound,
}

impl IntervalKind {
    /// How the interval is named in print, with the level where it has one.
    pub fn label(self, confidence: f64) -> String {
        let level = (confidence * 100.0).round();
        match self {
            Self::Posterior => format!("{level}% posterior interval"),
            Self::PosteriorAndBracket => {
                format!("{level}% posterior interval with the pass/fail bracket")
            }
            Self::Bracket => "pass/fail bracket".into(),
            Self::Bound => "bound".into(),
        }
    }
}

/// The search's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchReport {
    /// How points were chosen.
    #[serde(serialize_with = "as_text")]
    pub strategy: Strategy,
    /// Why it stopped.
    pub stop: StopReason,
    /// The breaking point: the highest rate meeting the SLOs, req/s.
    pub estimate: Option<f64>,
    /// Its interval, req/s (the upper end is infinite when it may lie above the range).
    pub interval: Option<(f64, f64)>,
    /// What that interval is.
    pub interval_kind: IntervalKind,
    /// The posterior interval's probability (0.9); a bracket has none.
    pub confidence: f64,
    /// The range searched.
    pub range: (f64, f64),
    /// The tolerance asked for.
    pub tolerance: f64,
    /// The margin noise the GP used at the end, and where it came from.
    pub noise: Option<Noise>,
    /// Every point, in order.
    pub points: Vec<SearchPoint>,
    /// The SLO that breaks first: the worst at the lowest failing point.
    pub breaking_slo: Option<String>,
    /// The endpoint that breaks first under that SLO.
    pub breaking_endpoint: Option<String>,
    /// Things the search noticed on the way.
    pub notes: Vec<String>,
    /// The earlier evidence it started from, and whether the target agreed with it.
    pub prior: Option<PriorUse>,
}

fn as_text<S: serde::Serializer>(s: &Strategy, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(&s.to_string())
}

impl SearchReport {
    /// Load points run.
    pub fn runs(&self) -> usize {
        self.points.len()
    }

    /// Whether the answer is a breaking point inside the range.
    pub fn found(&self) -> bool {
        matches!(
            self.stop,
            StopReason::Converged | StopReason::Budget | StopReason::FirstFailure
        ) && self.estimate.is_some()
    }
}

pub(super) fn build(
    s: &Search,
    ev: &[Evidence],
    a: &Assessment,
    stop: StopReason,
    notes: Vec<String>,
    prior: Option<PriorUse>,
) -> SearchReport {
    let first_fail = ev
        .iter()
        .filter(|e| e.usable() && !e.pass())
        .min_by(|a, b| a.u.total_cmp(&b.u));
    let breaking_slo = first_fail.and_then(|e| worst_rule(&e.outcome));
    let breaking_endpoint = match (first_fail, &breaking_slo) {
        (Some(e), Some(rule)) => worst_endpoint(&e.outcome, rule),
        _ => None,
    };
    let (estimate, interval, interval_kind) = match stop {
        StopReason::BreaksBelow => (None, Some((0.0, s.p.lo)), IntervalKind::Bound),
        StopReason::HoldsUp => (None, Some((s.p.hi, f64::INFINITY)), IntervalKind::Bound),
        StopReason::GeneratorLimited { .. } => {
            let held = ev
                .iter()
                .filter(|e| e.usable() && e.pass())
                .map(|e| e.outcome.rate)
                .reduce(f64::max);
            (
                None,
                Some((held.unwrap_or(0.0), f64::INFINITY)),
                IntervalKind::Bound,
            )
        }
        _ => (a.estimate, a.interval, a.kind),
    };
    SearchReport {
        strategy: s.p.strategy,
        stop,
        estimate,
        interval,
        interval_kind,
        confidence: s.p.confidence,
        range: (s.p.lo, s.p.hi),
        tolerance: s.p.tolerance,
        noise: a.noise,
        points: ev
            .iter()
            .map(|e| SearchPoint {
                rate: e.outcome.rate,
                achieved_rps: e.outcome.achieved_rps,
                margin: e.margin,
                margin_sd: e.sd,
                chosen_by: e.chosen_by.to_string(),
                pass: e.pass(),
                generator_saturated: e.outcome.generator_saturated,
            })
            .collect(),
        breaking_slo,
        breaking_endpoint,
        notes,
        prior,
    }
}

fn upper(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1}")
    } else {
        "above the range".into()
    }
}

impl fmt::Display for SearchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (lo, hi) = self.range;
        match self.stop {
            StopReason::BreaksBelow => writeln!(
                f,
                "breaking point: breaks below the range — the SLOs already fail at {lo:.1} req/s"
            )?,
            StopReason::HoldsUp => writeln!(
                f,
                "breaking point: holds up to the top of the range — the SLOs still pass at {hi:.1} req/s"
            )?,
            StopReason::GeneratorLimited { rate } => writeln!(
                f,
                "breaking point: not reached — the target meets the SLOs up to at least {:.1} req/s, and the generator saturated at {rate:.1} req/s",
                self.interval.map_or(0.0, |i| i.0)
            )?,
            _ => match (self.estimate, self.interval) {
                (Some(e), Some((l, h))) => writeln!(
                    f,
                    "breaking point: {e:.1} req/s, {} {l:.1} .. {} req/s (±{:.1}%)",
                    self.interval_kind.label(self.confidence),
                    upper(h),
                    if h.is_finite() { 50.0 * (h - l) / e } else { f64::INFINITY }
                )?,
                (None, Some((l, h))) => writeln!(
                    f,
                    "breaking point: not located; between {l:.1} and {} req/s",
                    upper(h)
                )?,
                _ => writeln!(f, "breaking point: not located")?,
            },
        }
        writeln!(
            f,
            "strategy {}: {} load run(s) in {lo:.1} .. {hi:.1} req/s, tolerance ±{:.1}%; stopped: {}",
            self.strategy,
            self.runs(),
            self.tolerance * 100.0,
            self.stop
        )?;
        if let Some(n) = &self.noise {
            writeln!(f, "margin noise: {n}")?;
        }
        if let Some(p) = &self.prior {
            write!(f, "warm start from {}", p.source)?;
            if p.points > 0 {
                write!(f, " ({} earlier point(s))", p.points)?;
            }
            match (p.estimate, p.interval) {
                (Some(e), Some((l, h))) => write!(
                    f,
                    ", which put the breaking point at {e:.1} req/s ({l:.1} .. {h:.1})"
                )?,
                (Some(e), None) => write!(f, ", which put the breaking point at {e:.1} req/s")?,
                _ => write!(f, ", which did not locate a breaking point")?,
            }
            writeln!(
                f,
                ": {}",
                if p.agreed {
                    "the target agreed"
                } else {
                    "the target disagreed (see the note)"
                }
            )?;
        }
        if let Some(rule) = &self.breaking_slo {
            write!(f, "breaks first: SLO {rule}")?;
            if let Some(ep) = &self.breaking_endpoint {
                write!(f, " on {ep}")?;
            }
            writeln!(f)?;
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}
