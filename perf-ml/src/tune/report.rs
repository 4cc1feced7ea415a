//! What a tuning found: every point with its cost, margin and SLO values, the cheapest
//! configuration that met the SLOs and its runners-up, each knob's weight in the
//! margin's model, and why it stopped. Serialized as `tune.json`; printed as text.

use std::fmt;

use perf_core::probe::ProbeOutcome;
use serde::{Deserialize, Serialize};

use super::propose::{Proposal, Strategy};
use super::{feasible, margin, Knob, Tuner};

/// One SLO rule at a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloValue {
    /// As written (`p95<50ms`).
    pub rule: String,
    /// What was observed, in the rule's own unit (microseconds for latency, percent for
    /// errors); `None` without samples.
    pub observed: Option<f64>,
    /// As people read it: `21.3ms`, `0.33%`.
    pub text: String,
    /// Whether it held.
    pub pass: bool,
}

/// One measured configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunePoint {
    /// Knob values, in the knobs' order.
    pub values: Vec<f64>,
    /// Its cost.
    pub cost: f64,
    /// The SLO margin (≤ 0 met every SLO); `None` without SLO samples.
    pub margin: Option<f64>,
    /// Every SLO held.
    pub pass: bool,
    /// Each rule.
    pub slo: Vec<SloValue>,
    /// What the target answered, requests per second.
    pub achieved_rps: f64,
    /// The generator could not produce the load: not evidence about the configuration.
    pub generator_saturated: bool,
    /// The rule that chose it.
    pub rule: String,
}

impl TunePoint {
    pub(super) fn judged(p: &Proposal, cost: f64, o: &ProbeOutcome) -> Self {
        Self {
            values: p.values.clone(),
            cost,
            margin: margin(o),
            pass: o.pass(),
            slo: o
                .slo
                .iter()
                .map(|v| SloValue {
                    rule: v.slo.to_string(),
                    observed: v.observed,
                    text: v.observed_text(),
                    pass: v.pass,
                })
                .collect(),
            achieved_rps: o.achieved_rps,
            generator_saturated: o.generator_saturated,
            rule: p.rule.to_string(),
        }
    }

    /// Whether the point tells anything about the configuration (a full point, the
    /// generator keeping up, SLO samples).
    pub fn evidence(&self) -> bool {
        !self.generator_saturated && self.margin.is_some()
    }

    /// Whether it met the SLOs and counts.
    pub fn feasible(&self) -> bool {
        self.evidence() && self.pass && feasible(self.margin)
    }
}

/// How much the margin depends on one knob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// The knob.
    pub knob: String,
    /// Its ARD weight θ in the margin's Gaussian process (correlation `exp(−θ d²)` over
    /// a distance `d` of the knob's unit range).
    pub weight: f64,
    /// Its share of all knobs' weights.
    pub share: f64,
}

/// Why a tuning stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum TuneStop {
    /// `--max-runs` points were measured.
    Budget,
    /// No cheaper configuration has more than `--stop-chance` of meeting the SLOs.
    NoCheaperLikely {
        /// The highest such chance.
        chance: f64,
    },
    /// The strategy had nothing left to measure (a grid measured whole).
    Exhausted,
    /// A signal stopped it.
    Interrupted {
        /// The signal.
        signal: i32,
    },
    /// A configuration could not be applied or measured.
    Failed {
        /// The point's index.
        point: usize,
        /// Why, with its causes.
        why: String,
    },
}

impl fmt::Display for TuneStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Budget => write!(f, "the budget of runs is spent"),
            Self::NoCheaperLikely { chance } => write!(
                f,
                "no configuration 1% cheaper or more has more than a {:.1}% chance of meeting the SLOs",
                (chance * 100.0).max(0.1)
            ),
            Self::Exhausted => write!(f, "every configuration of the strategy was measured"),
            Self::Interrupted { signal } => write!(f, "interrupted by signal {signal}"),
            Self::Failed { point, why } => write!(f, "point {point} failed: {why}"),
        }
    }
}

/// What a tuning found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneReport {
    /// The knobs.
    pub knobs: Vec<Knob>,
    /// The cost expression.
    pub cost: String,
    /// The strategy.
    pub strategy: Strategy,
    /// The budget.
    pub max_runs: usize,
    /// The seed.
    pub seed: u64,
    /// Every point, in the order measured.
    pub points: Vec<TunePoint>,
    /// The cheapest point that met the SLOs.
    pub best: Option<usize>,
    /// The next cheapest ones (up to 3).
    pub runners_up: Vec<usize>,
    /// Each knob's weight in the margin's model (empty with too few points).
    pub sensitivity: Vec<Sensitivity>,
    /// The highest chance, under the margin's model, that an unmeasured configuration
    /// cheaper than the best meets the SLOs.
    pub chance_cheaper: Option<f64>,
    /// Why it stopped.
    pub stop: TuneStop,
}

impl TuneReport {
    pub(super) fn new(
        tuner: &Tuner,
        points: Vec<TunePoint>,
        stop: TuneStop,
        chance_cheaper: Option<f64>,
        sensitivity: Vec<Sensitivity>,
    ) -> Self {
        let mut ok: Vec<usize> = (0..points.len())
            .filter(|i| points[*i].feasible())
            .collect();
        ok.sort_by(|a, b| points[*a].cost.total_cmp(&points[*b].cost).then(a.cmp(b)));
        let p = tuner.params();
        Self {
            knobs: p.knobs.clone(),
            cost: p.cost.clone(),
            strategy: p.strategy,
            max_runs: p.max_runs,
            seed: p.seed,
            best: ok.first().copied(),
            runners_up: ok.iter().skip(1).take(3).copied().collect(),
            points,
            sensitivity,
            chance_cheaper,
            stop,
        }
    }

    /// `site-workers=12 site-queue=40` of a point.
    pub fn setting(&self, point: &TunePoint) -> String {
        setting(&self.knobs, &point.values)
    }
}

/// `tune.json`: a tuning's report with what it was about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TuneFile {
    /// Format version (1).
    pub version: u32,
    /// The scenario.
    pub scenario: String,
    /// The rate the configurations had to carry, req/s.
    pub rate: f64,
    /// The SLOs, as written.
    pub slos: Vec<String>,
    /// The fixed scenario parameters.
    pub params: serde_json::Value,
    /// The target: `{"host": url}`, or the embedded site's base settings.
    pub target: serde_json::Value,
    /// What was found.
    pub tune: TuneReport,
}

impl TuneFile {
    /// The format version this build writes and reads.
    pub const VERSION: u32 = 1;

    /// Reads `path`; the error names the file and what is wrong.
    pub fn read(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let f: Self = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a tune.json: {e}", path.display()))?;
        if f.version != Self::VERSION {
            return Err(format!(
                "{}: version {} (this build reads {})",
                path.display(),
                f.version,
                Self::VERSION
            ));
        }
        Ok(f)
    }
}

/// `name=value` of each knob, space-separated.
pub fn setting(knobs: &[Knob], values: &[f64]) -> String {
    knobs
        .iter()
        .zip(values)
        .map(|(k, v)| format!("{}={}", k.name, k.show(*v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The SLO values of a point, `p95<50ms 31.2ms ok, error-rate<1% 0.00% ok`.
pub fn slo_values(p: &TunePoint) -> String {
    p.slo
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s.rule,
                s.text,
                if s.pass { "ok" } else { "FAIL" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for TuneReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "tuned {} knob(s), cost {}, strategy {}, {} of at most {} runs",
            self.knobs.len(),
            self.cost,
            self.strategy,
            self.points.len(),
            self.max_runs
        )?;
        match self.best {
            Some(b) => {
                let p = &self.points[b];
                writeln!(
                    f,
                    "cheapest configuration meeting the SLOs: {} (cost {}, point {b}): {}",
                    self.setting(p),
                    trim(p.cost),
                    slo_values(p)
                )?;
            }
            None => writeln!(f, "no configuration measured met the SLOs")?,
        }
        for r in &self.runners_up {
            let p = &self.points[*r];
            writeln!(
                f,
                "  runner-up: {} (cost {}, point {r}): {}",
                self.setting(p),
                trim(p.cost),
                slo_values(p)
            )?;
        }
        if !self.sensitivity.is_empty() {
            let s: Vec<String> = self
                .sensitivity
                .iter()
                .map(|s| format!("{} {:.0}% (θ {:.3})", s.knob, s.share * 100.0, s.weight))
                .collect();
            writeln!(
                f,
                "how much the margin depends on each knob (ARD weight of its GP): {}",
                s.join(", ")
            )?;
        }
        if let Some(c) = self.chance_cheaper {
            writeln!(
                f,
                "chance that an unmeasured configuration 1% cheaper or more meets the SLOs: {:.1}%",
                c * 100.0
            )?;
        }
        let skipped = self.points.iter().filter(|p| !p.evidence()).count();
        if skipped > 0 {
            writeln!(
                f,
                "{skipped} point(s) were not evidence (generator saturated or no samples)"
            )?;
        }
        writeln!(f, "stopped: {}", self.stop)
    }
}

/// A cost without trailing zeros.
pub fn trim(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
