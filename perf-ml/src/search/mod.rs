//! The breaking-point search: the highest arrival rate at which the target still meets
//! its SLOs, found in as few real load runs as possible, with an interval.
//!
//! [`SearchParams`] → [`SearchParams::check`] → [`Search`] → [`Search::run`] drives a
//! [`LoadProbe`] (the engine, or a [`synthetic::SyntheticTarget`] in tests) one point at
//! a time and returns a [`SearchReport`].
//!
//! # The model
//!
//! Each point's evidence is its SLO margin, the worst over the SLOs of a signed distance
//! from the limit ([`margin::margin_of`]: `1 − limit/observed` while passing,
//! `ln(observed/limit)` while failing and for an error rate on both sides, within ±3),
//! negative when it passes. [`Strategy::Gp`] fits a Gaussian process (egobox-gp, Matérn
//! 3/2 correlation) of the margin over the log of the load, normalised to `u ∈ [0, 1]`
//! across the range. Its mean is linear in `u`: margins rise with load (the queueing and
//! failure curves of [`crate::latency`] and [`crate::failure`] are monotone), so away
//! from the data the posterior reverts to a rising trend rather than to a constant that
//! could invent a failure at low load. Between a clear pass and a clear failure a second
//! GP, with a constant mean, is averaged in by its evidence ([`posterior`]): a margin
//! that stays flat below its knee and rises steeply past it (a pool of workers under a
//! tight latency limit) is convex there, and a rising line through its last pass and
//! first failure puts the crossing too low. The nugget is the noise of a margin relative to the fitted
//! process variance. The noise is measured, not assumed: each point reports the standard
//! error of its SLO values from its own data ([`ProbeOutcome::log_sd`]: the spread of
//! its per-second percentiles; the binomial error of its failure count, or the spread of
//! its per-second failure shares when failures come in bursts), carried to
//! the margin by the delta method ([`margin::point_margin_sd`]); the GP uses their root
//! mean square over the points near the boundary, never below a floor of 0.03 (the
//! seconds of one run are its only replicates, and runs differ by more). `--noise`
//! ([`SearchParams::noise`]) overrides it. Margins enter the GP capped at ±2 (e² ≈ 7
//! times the limit, or a latency a third of it): a failure far above its limit says no
//! more about where the boundary is than one well above it, and a far one next to a
//! near pass made the surrogate rise steeply right after the pass and put its interval
//! below the truth. A cap of ±1 hid what a failure at 2–7 times an error-rate limit
//! says about the slope, and cost runs on smooth knees (BENCHMARKS.md).
//!
//! The boundary's posterior is read off joint posterior draws of the whole margin curve
//! ([`posterior`]): in each draw, the first load at which it turns positive. The
//! estimate is the draws' median, the interval their central quantiles
//! ([`SearchParams::confidence`], 90%).
//!
//! # Choosing the next load
//!
//! The next point is the median of the boundary's posterior. For a single monotone
//! crossing this is probabilistic bisection (Horstein; Waeber, Frazier & Henderson 2013):
//! it splits the remaining posterior mass in half, so a pass/fail answer removes as much
//! uncertainty as it can, and the margin's size moves the median further than a plain
//! bisection would (a point far below its limit pushes the boundary well above it). The
//! alternatives were weighed: straddle and other level-set rules spread points over the
//! whole curve, which pays off when several crossings matter, not one; constrained
//! expected improvement (egobox-ego) looks for the best objective value, and the
//! interval we need would still have to come from the margin's GP, as here. Until three
//! points exist a GP is not identifiable, so the first steps bisect the bracket (by
//! regula falsi once a pass and a failure exist). A posterior median beyond a bracket
//! end is pulled back to the bracket's middle only when that end is clear of its limit
//! by two noise deviations: an end within noise is evidence the posterior has already
//! weighed, and bisecting towards it measured one load until the budget was spent.
//!
//! The target's throughput ceiling enters the posterior as knowledge of its own
//! ([`law::CeilingLaw`]): past its capacity a server serves about that capacity whatever
//! is offered (it sheds, rejects, lets requests wait or time out), so one failing point
//! that served clearly less than it was offered places the boundary at or below what it
//! served (`c/(1 − ℓ)` under an `error-rate<ℓ` rule) — at it for a sharp knee (shedding,
//! a rate limiter), below it by an unmeasured factor for a smooth one (queueing latency,
//! timeouts). That is a likelihood of the boundary, and the posterior is multiplied by
//! it ([`posterior::BoundaryPosterior::weighted`]; before three points exist, the flat
//! posterior over the pass/fail bracket is), within the window the points proved: a
//! clear failure below the ceiling removes the sharp part by itself. A fifth of the
//! likelihood is flat, the chance that the law does not apply at all (a throughput that
//! collapses under overload). Where a smooth surrogate learns little from a point far
//! past the knee, this is what makes the search beat bisection (BENCHMARKS.md).
//!
//! # Warm start
//!
//! [`SearchParams::prior`] starts from earlier evidence ([`prior`]: an earlier search,
//! points of a sweep, a model's capacity). The prior locates, the target decides: the
//! search measures just below and just above the prior's breaking point, steps further
//! out only where the target disagrees, and never puts the earlier points into its
//! model; the report says whether the target agreed ([`PriorUse`]).
//!
//! # Stopping
//!
//! Each point records the rule that chose it (`chosen_by` in [`SearchPoint`]).
//!
//! The search stops when the interval's half-width is within [`SearchParams::tolerance`]
//! of the estimate ([`StopReason::Converged`]), when the run budget is spent
//! ([`StopReason::Budget`]), when the bottom of the range already fails
//! ([`StopReason::BreaksBelow`]), when the top of the range still passes
//! ([`StopReason::HoldsUp`]), or when the next load is one the generator could not
//! produce ([`StopReason::GeneratorLimited`]): points flagged `generator_saturated` are
//! kept in the results but are not evidence about the target.
//!
//! [`Strategy::Bisect`] (in log-load) and [`Strategy::Ramp`] (geometric steps from the
//! bottom until the first failure, as k6's breakpoint test) are the honest baselines.
//!
//! ```
//! use perf_core::parse_slos;
//! use perf_ml::search::{SearchParams, synthetic::SyntheticTarget};
//!
//! let slos = parse_slos("p95<60ms,error-rate<1%")?;
//! let mut target = SyntheticTarget::new(400.0, 10.0, slos).noise(0.05).seed(1);
//! let truth = target.boundary();
//! let report = SearchParams::new(20.0, 2000.0).tolerance(0.05).check()?.run(&mut target)?;
//! assert!(report.found(), "{report}");
//! assert!((report.estimate.unwrap() / truth - 1.0).abs() < 0.1);
//! println!("{report}"); // the breaking point, its interval, the runs, why it stopped
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bracket;
pub mod evidence;
pub mod file;
pub mod law;
pub mod margin;
pub mod posterior;
pub mod prior;
mod report;
pub mod synthetic;

use std::fmt;
use std::str::FromStr;

use perf_core::probe::{CurvePoint, LoadProbe, ProbeOutcome, SearchView, ViewPoint};

use bracket::{ramp_step, Bracket};
pub use evidence::EvidenceError;
pub use file::{SearchFile, SearchFileError};
use law::CeilingLaw;
use posterior::distinct;
pub use prior::{Prior, PriorPoint, PriorUse};
pub use report::{IntervalKind, Noise, NoiseSource, SearchPoint, SearchReport, StopReason};

/// How the next load is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Gaussian process of the SLO margin; the next load is the boundary's posterior median.
    Gp,
    /// Bisection in log-load.
    Bisect,
    /// Geometric steps up from the bottom of the range until the first failure.
    Ramp,
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "gp" => Ok(Self::Gp),
            "bisect" => Ok(Self::Bisect),
            "ramp" => Ok(Self::Ramp),
            other => Err(format!(
                "unknown strategy '{other}'; use gp, bisect or ramp"
            )),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Gp => "gp",
            Self::Bisect => "bisect",
            Self::Ramp => "ramp",
        })
    }
}

/// The search failed before it could report.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A parameter is out of range.
    #[error("invalid {name} {reason}")]
    Invalid {
        /// The parameter (`range`, `tolerance`, ...).
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// There is nothing to break.
    #[error("the search needs at least one SLO to find where it breaks; give one with --slo, such as \"p95<200ms,error-rate<1%\"")]
    NoSlo,
    /// Every SLO is a throughput rule: nothing says where the target breaks.
    #[error("the search needs a latency or error-rate SLO to find where the target breaks; {slos} has none (a throughput rule like rps>=N is met or missed by the load asked for, not by the target)")]
    NoBreakingRule {
        /// The SLOs given.
        slos: String,
    },
    /// A load point could not be run.
    #[error("load point at {rate:.1} req/s failed")]
    Probe {
        /// The rate.
        rate: f64,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// The search's parameters; [`SearchParams::check`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchParams {
    /// Lowest arrival rate, req/s.
    pub lo: f64,
    /// Highest arrival rate, req/s.
    pub hi: f64,
    /// Stop when the interval's half-width is within this fraction of the estimate.
    pub tolerance: f64,
    /// Most load points.
    pub max_runs: usize,
    /// How the next point is chosen.
    pub strategy: Strategy,
    /// Probability of the interval (0.9).
    pub confidence: f64,
    /// Run-to-run standard deviation of a point's margin (the GP's nugget), when given;
    /// `None` measures it from the points ([`ProbeOutcome::log_sd`]).
    pub noise: Option<f64>,
    /// Seed of the posterior draws.
    pub seed: u64,
    /// Earlier evidence to start from ([`prior`]); GP strategy only.
    pub prior: Option<Prior>,
}

impl SearchParams {
    /// A GP search of `lo..hi` req/s with ±5% tolerance, 12 runs, 90% intervals.
    pub fn new(lo: f64, hi: f64) -> Self {
        Self {
            lo,
            hi,
            tolerance: 0.05,
            max_runs: 12,
            strategy: Strategy::Gp,
            confidence: 0.9,
            noise: None,
            seed: 1,
            prior: None,
        }
    }
    /// Sets the tolerance (a fraction: 0.05 is ±5%).
    pub fn tolerance(mut self, t: f64) -> Self {
        self.tolerance = t;
        self
    }
    /// Sets the run budget.
    pub fn max_runs(mut self, n: usize) -> Self {
        self.max_runs = n;
        self
    }
    /// Sets the strategy.
    pub fn strategy(mut self, s: Strategy) -> Self {
        self.strategy = s;
        self
    }
    /// Sets the seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
    /// Starts from earlier evidence ([`prior`]).
    pub fn prior(mut self, p: Prior) -> Self {
        self.prior = Some(p);
        self
    }
    /// Sets the margin noise instead of measuring it.
    pub fn noise(mut self, n: f64) -> Self {
        self.noise = Some(n);
        self
    }

    /// Validates the parameters.
    pub fn check(self) -> Result<Search, SearchError> {
        let bad = |name, reason: String| Err(SearchError::Invalid { name, reason });
        let (lo, hi) = (self.lo, self.hi);
        if !(lo.is_finite() && hi.is_finite() && lo > 0.0) {
            return bad(
                "range",
                format!("{lo}..{hi}: both ends must be rates above 0 req/s"),
            );
        }
        if lo >= hi {
            return bad(
                "range",
                format!("{lo}..{hi}: the lower end must be below the upper end"),
            );
        }
        if !(self.tolerance > 0.0 && self.tolerance < 0.5) {
            return bad(
                "tolerance",
                format!(
                    "{}: must be above 0 and below 50% (such as 5%)",
                    self.tolerance
                ),
            );
        }
        if !(2..=100).contains(&self.max_runs) {
            return bad(
                "max-runs",
                format!("{}: must be from 2 to 100", self.max_runs),
            );
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return bad(
                "confidence",
                format!("{}: must be between 0 and 1", self.confidence),
            );
        }
        if let Some(n) = self.noise {
            if !(n > 0.0 && n.is_finite()) {
                return bad("noise", format!("{n}: must be above 0"));
            }
        }
        if let Some(prior) = &self.prior {
            if self.strategy != Strategy::Gp {
                return bad(
                    "prior",
                    format!(
                        "{}: a warm start needs the gp strategy (strategy {} starts from the range alone)",
                        prior.source, self.strategy
                    ),
                );
            }
            if let Some(why) = prior.problem() {
                return bad("prior", why);
            }
        }
        Ok(Search { p: self })
    }
}

/// A validated search.
#[derive(Debug, Clone)]
pub struct Search {
    p: SearchParams,
}

/// One measured point.
#[derive(Debug, Clone)]
struct Evidence {
    u: f64,
    margin: f64,
    /// The margin's standard error measured within the point.
    sd: Option<f64>,
    /// The rule that chose this load.
    chosen_by: &'static str,
    outcome: ProbeOutcome,
}

impl Evidence {
    fn pass(&self) -> bool {
        self.outcome.pass()
    }
    fn usable(&self) -> bool {
        !self.outcome.generator_saturated
    }
}

/// Where the search stands after some points.
#[derive(Debug)]
struct Assessment {
    estimate: Option<f64>,
    interval: Option<(f64, f64)>,
    kind: IntervalKind,
    next: Option<f64>,
    /// The rule that chose `next`.
    rule: &'static str,
    stop: Option<StopReason>,
    note: Option<String>,
    noise: Option<Noise>,
    /// The target's throughput ceiling, when a point read it.
    law: Option<CeilingLaw>,
    /// The GP's margin curve `[u, mean, sd]`, when one was fitted.
    curve: Vec<[f64; 3]>,
}

/// The margin noise assumed before any point measured its own.
const NOISE_ASSUMED: f64 = 0.1;
/// The least margin noise a point is trusted to: seconds of one run are its only
/// replicates, and runs vary more than that (drift of the machine and the target).
const NOISE_FLOOR: f64 = 0.03;
/// Margins are capped at ±this in the GP: a failure far above its limit and one well
/// above it are both failures, and a clamped ±3 next to a near pass makes a smooth
/// surrogate rise steeply right after the pass and put the boundary too low.
const GP_CLAMP: f64 = 2.0;

/// How many noise deviations from zero make a margin a pass or failure beyond doubt:
/// the clear window, a bracket end that may pull the posterior median back, and a
/// point that agrees with the estimate all use it.
const CLEAR_SDS: f64 = 2.0;

/// Each step out from a prior's breaking point goes this many times as far as the one
/// before (in log-load).
const GROWTH: f64 = 3.0;
/// Draws of the boundary's posterior per step.
const DRAWS: usize = 600;
/// `u` closer than this to an edge counts as the edge.
const EDGE: f64 = 1e-9;

impl Search {
    /// The parameters.
    pub fn params(&self) -> &SearchParams {
        &self.p
    }

    fn rate(&self, u: f64) -> f64 {
        let r = self.p.lo * (self.p.hi / self.p.lo).powf(u.clamp(0.0, 1.0));
        // One decimal for people; the bounds stay exact.
        let r = (r * 10.0).round() / 10.0;
        r.clamp(self.p.lo, self.p.hi)
    }

    fn u(&self, rate: f64) -> f64 {
        (rate / self.p.lo).ln() / (self.p.hi / self.p.lo).ln()
    }

    /// Runs the search: one load point after another through `probe`.
    pub fn run<P: LoadProbe>(&self, probe: &mut P) -> Result<SearchReport, SearchError> {
        check_slos(probe.slos())?;
        let mut ev: Vec<Evidence> = Vec::new();
        let mut notes = Vec::new();
        let prior = self.locate_prior(&mut notes);
        let guess = prior.as_ref().and_then(|p| p.estimate);
        loop {
            let a = self.assess(&ev, guess);
            notes.extend(a.note.clone());
            let stop = match (a.stop, a.next) {
                (Some(s), _) => Some(s),
                (None, _) if ev.len() >= self.p.max_runs => Some(StopReason::Budget),
                (None, None) => Some(StopReason::Budget),
                (None, Some(_)) => None,
            };
            probe.show(&self.view(&ev, &a, stop));
            if let Some(stop) = stop {
                return Ok(self.report(&ev, a, stop, notes, prior));
            }
            let rate = self.rate(a.next.expect("checked"));
            let outcome = probe.probe(rate).map_err(|e| SearchError::Probe {
                rate,
                source: Box::new(e),
            })?;
            let interrupted = outcome.interrupted;
            // A point cut short by a signal measured less than asked: not evidence.
            if !outcome.partial {
                ev.push(Evidence {
                    u: self.u(rate),
                    margin: margin::point_margin(&outcome).unwrap_or(0.0),
                    sd: margin::point_margin_sd(&outcome),
                    chosen_by: a.rule,
                    outcome,
                });
            }
            if let Some(sig) = interrupted {
                let a = self.assess(&ev, None);
                let stop = StopReason::Interrupted { signal: sig };
                probe.show(&self.view(&ev, &a, Some(stop)));
                return Ok(self.report(&ev, a, stop, notes, prior));
            }
        }
    }

    /// The search as it stands, for a live view.
    fn view(&self, ev: &[Evidence], a: &Assessment, stop: Option<StopReason>) -> SearchView {
        // The 90% band of the margin: ±1.645 posterior standard deviations.
        const Z90: f64 = 1.645;
        SearchView {
            range: (self.p.lo, self.p.hi),
            points: ev
                .iter()
                .map(|e| ViewPoint {
                    rate: e.outcome.rate,
                    margin: e.margin,
                    pass: e.pass(),
                    rule: e.chosen_by.to_string(),
                })
                .collect(),
            curve: a
                .curve
                .iter()
                .map(|&[u, mean, sd]| CurvePoint {
                    rate: self.p.lo * (self.p.hi / self.p.lo).powf(u),
                    mean,
                    lo: mean - Z90 * sd,
                    hi: mean + Z90 * sd,
                })
                .collect(),
            estimate: a.estimate,
            interval: a.interval,
            interval_kind: a.kind.label(self.p.confidence),
            next: match (stop, a.next) {
                (None, Some(u)) => Some((self.rate(u), a.rule.to_string())),
                _ => None,
            },
            stopped: stop.map(|s| s.to_string()),
        }
    }

    /// Where the search stands; `guess` is a prior's breaking point to step out from.
    /// Long because it is the search's decision table (no pass yet, no failure yet, a
    /// bracket, a posterior) kept in one place so every case is read against the others.
    fn assess(&self, ev: &[Evidence], guess: Option<f64>) -> Assessment {
        let usable: Vec<&Evidence> = ev.iter().filter(|e| e.usable()).collect();
        let cap = ev
            .iter()
            .filter(|e| !e.usable())
            .map(|e| e.u)
            .reduce(f64::min);
        let points: Vec<(f64, bool)> = usable.iter().map(|e| (e.u, e.pass())).collect();
        let bracket = Bracket::new(&points);
        let mut a = Assessment {
            estimate: None,
            interval: None,
            kind: IntervalKind::Bracket,
            next: None,
            rule: "bracket middle",
            stop: None,
            note: None,
            noise: None,
            law: None,
            curve: Vec::new(),
        };
        // The ends decide when measured, unless another point contradicts them (noise).
        if usable.iter().any(|e| e.u <= EDGE && !e.pass()) && !usable.iter().any(|e| e.pass()) {
            a.stop = Some(StopReason::BreaksBelow);
            a.interval = Some((0.0, self.p.lo));
            return a;
        }
        if usable.iter().any(|e| e.u >= 1.0 - EDGE && e.pass()) && !bracket.hi_measured {
            a.stop = Some(StopReason::HoldsUp);
            a.interval = Some((self.p.hi, f64::INFINITY));
            return a;
        }
        let bracket_interval = |b: &Bracket| (self.rate(b.lo), self.rate(b.hi));
        match self.p.strategy {
            Strategy::Bisect => {
                self.assess_bracket(&bracket, &mut a, (bracket.mid(), "bracket middle"))
            }
            Strategy::Ramp => {
                if bracket.hi_measured {
                    a.interval = Some(bracket_interval(&bracket));
                    a.kind = IntervalKind::Bracket;
                    a.estimate = Some(self.centre(a.interval.unwrap()));
                    a.stop = Some(if self.converged(a.interval.unwrap()) {
                        StopReason::Converged
                    } else {
                        StopReason::FirstFailure
                    });
                } else {
                    let k = ev.len();
                    a.next = Some(ramp_step(k, self.p.max_runs));
                    a.rule = "ramp step";
                }
            }
            Strategy::Gp => {
                let n = self.noise(&usable);
                a.noise = Some(n);
                let noise = n.sd;
                let data: Vec<(f64, f64)> = usable
                    .iter()
                    .map(|e| (e.u, e.margin.clamp(-GP_CLAMP, GP_CLAMP)))
                    .collect();
                let post = posterior_of(&data, noise, self.p.seed ^ ev.len() as u64);
                a.curve = post.as_ref().map(|p| p.curve.clone()).unwrap_or_default();
                let law = CeilingLaw::from_points(
                    usable.iter().map(|e| &e.outcome),
                    |r| self.u(r),
                    (self.p.hi / self.p.lo).ln(),
                );
                if post.is_none() && distinct(&data) >= 3 {
                    a.note = Some(format!(
                        "after {} points the GP fit failed numerically; that step bisected",
                        ev.len()
                    ));
                }
                match with_law(post, law.as_ref(), &data, noise, &bracket) {
                    None => self.assess_bracket(&bracket, &mut a, secant(&bracket, &data)),
                    Some(p) => {
                        self.assess_posterior(&p, &data, noise, &bracket, &mut a);
                        if law.is_some() {
                            a.rule = rule_with_law(a.rule);
                        }
                    }
                }
                // A ceiling this target showed outranks a prior's estimate.
                if a.stop.is_none() && law.is_none() {
                    if let Some((u, rule)) = guess.and_then(|g| self.around_prior(g, &usable)) {
                        a.next = Some(u);
                        a.rule = rule;
                    }
                }
                a.law = law;
            }
        }
        // Loads from the generator's limit up can't be measured: search below it, and stop
        // when the boundary would have to be there.
        if let (Some(next), Some(cap), None) = (a.next, cap, a.stop) {
            let cap_rate = self.rate(cap);
            if self.rate(next) >= cap_rate * (1.0 - 1e-9) {
                let below = usable
                    .iter()
                    .filter(|e| e.pass() && e.u < cap)
                    .map(|e| e.u)
                    .reduce(f64::max);
                match below {
                    Some(u) if cap_rate / self.rate(u) - 1.0 <= 2.0 * self.p.tolerance => {
                        a.stop = Some(StopReason::GeneratorLimited { rate: cap_rate });
                    }
                    _ => {
                        a.next = Some(0.5 * (below.unwrap_or(0.0) + cap));
                        a.rule = "below the generator's limit";
                    }
                }
            }
        }
        a
    }

    /// The margin noise of the GP: the `--noise` given, or else the root mean square of
    /// the standard errors the points measured ([`margin::point_margin_sd`]) among
    /// those whose margin the GP sees unclamped (a point far from its limit carries no
    /// weight near the boundary), each at least [`NOISE_FLOOR`]; [`NOISE_ASSUMED`]
    /// until such a point exists.
    fn noise(&self, usable: &[&Evidence]) -> Noise {
        if let Some(sd) = self.p.noise {
            return Noise {
                sd,
                source: NoiseSource::Given,
            };
        }
        match rms_noise(usable.iter().map(|e| (e.margin, e.sd))) {
            None => Noise {
                sd: NOISE_ASSUMED,
                source: NoiseSource::Assumed,
            },
            Some((sd, points)) => Noise {
                sd,
                source: NoiseSource::Measured { points },
            },
        }
    }

    /// Bisection's view: the bracket is the interval; probe `next` until it is within
    /// the tolerance, and the bracket's unmeasured ends before claiming it.
    fn assess_bracket(&self, b: &Bracket, a: &mut Assessment, (next, rule): (f64, &'static str)) {
        let iv = (self.rate(b.lo), self.rate(b.hi));
        a.interval = Some(iv);
        a.kind = IntervalKind::Bracket;
        a.estimate = Some(self.centre(iv));
        if self.converged(iv) {
            if !b.hi_measured {
                a.next = Some(1.0);
                a.rule = "top of the range";
            } else if !b.lo_measured {
                a.next = Some(0.0);
                a.rule = "bottom of the range";
            } else {
                a.stop = Some(StopReason::Converged);
            }
        } else {
            a.next = Some(next);
            a.rule = rule;
        }
    }

    fn assess_posterior(
        &self,
        p: &posterior::BoundaryPosterior,
        data: &[(f64, f64)],
        noise: f64,
        b: &Bracket,
        a: &mut Assessment,
    ) {
        let tail = (1.0 - self.p.confidence) / 2.0;
        let (ql, qm, qh) = (p.quantile(tail), p.quantile(0.5), p.quantile(1.0 - tail));
        let to_rate = |u: f64| {
            if u == f64::INFINITY {
                f64::INFINITY
            } else if u == f64::NEG_INFINITY {
                0.0
            } else {
                self.rate(u)
            }
        };
        let iv = (to_rate(ql), to_rate(qh));
        a.interval = Some(iv);
        a.kind = IntervalKind::Posterior;
        a.estimate = qm.is_finite().then(|| self.rate(qm));
        // A model may be sure of a boundary where nothing was measured: three points on a
        // convex curve fit a line well, and a smooth curve through a pass and a failure
        // puts the crossing between them however sharp the knee really is. So it
        // converges only when the data agree: with a point within the tolerance of its
        // estimate whose margin is within noise of zero; with a measured pass and
        // failure both within the tolerance, in which case the interval also spans them;
        // or with a pass and a failure within twice the tolerance whose margins the GP
        // sees unclamped, so that the crossing is interpolated between measured values.
        if qm.is_finite() && ql.is_finite() && qh.is_finite() {
            let est = self.rate(qm);
            // Whether `u` is within `k` tolerances of the estimate.
            let within = |u: f64, k: f64| (self.rate(u) / est - 1.0).abs() <= k * self.p.tolerance;
            let at_zero = data
                .iter()
                .any(|d| within(d.0, 1.0) && d.1.abs() <= CLEAR_SDS * noise);
            let pinned = b.lo_measured && b.hi_measured && within(b.lo, 1.0) && within(b.hi, 1.0);
            let hull = (iv.0.min(self.rate(b.lo)), iv.1.max(self.rate(b.hi)));
            if at_zero && self.converged(iv) {
                a.stop = Some(StopReason::Converged);
                return;
            }
            if pinned && self.converged(hull) {
                a.interval = Some(hull);
                a.kind = IntervalKind::PosteriorAndBracket;
                a.stop = Some(StopReason::Converged);
                return;
            }
            let near = |u: f64| {
                data.iter()
                    .any(|d| (d.0 - u).abs() < 1e-9 && d.1.abs() < GP_CLAMP)
            };
            let straddled = b.lo_measured
                && b.hi_measured
                && near(b.lo)
                && near(b.hi)
                && within(b.lo, 2.0)
                && within(b.hi, 2.0);
            if straddled && self.converged(iv) {
                a.stop = Some(StopReason::Converged);
                return;
            }
        }
        // The median, unless a point was already measured there: more points at one load
        // average its noise but leave the slope, and so the interval, as it was; then the
        // quartiles, then the deciles, whichever is new.
        let half_step = 0.5 * self.p.tolerance.ln_1p() / (self.p.hi / self.p.lo).ln();
        let fresh = |u: f64| data.iter().all(|d| (d.0 - u).abs() > half_step);
        let (next, rule) = [
            (0.5, "posterior median"),
            (0.25, "posterior quartile"),
            (0.75, "posterior quartile"),
            (0.1, "posterior decile"),
            (0.9, "posterior decile"),
        ]
        .iter()
        .map(|(q, rule)| (p.quantile(*q).clamp(0.0, 1.0), *rule))
        .find(|(u, _)| fresh(*u))
        .unwrap_or((qm.clamp(0.0, 1.0), "posterior median"));
        // A bracket end beyond noise is proof; a posterior median outside it (a poor
        // fit) is pulled back to the bracket's middle. An end within noise of its limit
        // proves nothing the posterior has not weighed: pulling back to it would bisect
        // towards a noisy pass or failure until the budget is spent.
        let clear = |u: f64, sign: f64| {
            data.iter()
                .any(|d| (d.0 - u).abs() < 1e-9 && sign * d.1 > CLEAR_SDS * noise)
        };
        let (next, rule) = if (b.lo_measured && next < b.lo - 1e-6 && clear(b.lo, -1.0))
            || (b.hi_measured && next > b.hi + 1e-6 && clear(b.hi, 1.0))
        {
            (b.mid(), "bracket middle (posterior outside the bracket)")
        } else {
            (next, rule)
        };
        // A draw failing already at the clear pass crosses there, so the median can sit
        // on a load measured beyond doubt; measuring it again teaches nothing. Step a
        // tolerance's width inside the window instead.
        let (wl, wh) = clear_window(data, noise);
        let step = self.p.tolerance.ln_1p() / (self.p.hi / self.p.lo).ln();
        let (lo, hi) = (wl.map_or(0.0, |u| u + step), wh.map_or(1.0, |u| u - step));
        let (next, rule) = if lo > hi {
            (0.5 * (lo + hi), "middle of the clear window")
        } else if next < lo || next > hi {
            (next.clamp(lo, hi), "a step inside the clear window")
        } else {
            (next, rule)
        };
        a.next = Some(next);
        a.rule = rule;
    }

    fn centre(&self, (lo, hi): (f64, f64)) -> f64 {
        0.5 * (lo + hi)
    }

    fn converged(&self, (lo, hi): (f64, f64)) -> bool {
        hi.is_finite() && hi - lo <= 2.0 * self.p.tolerance * self.centre((lo, hi))
    }

    fn report(
        &self,
        ev: &[Evidence],
        mut a: Assessment,
        stop: StopReason,
        mut notes: Vec<String>,
        mut prior: Option<PriorUse>,
    ) -> SearchReport {
        // Without a measured point there is nothing to estimate from.
        if ev.is_empty() {
            (a.estimate, a.interval) = (None, None);
        }
        if let Some(l) = a.law {
            notes.push(format!(
                "a point served {:.1} of the {:.1} req/s offered: the throughput ceiling put the breaking point at or below {:.1} req/s (±{:.1}%{}), weighed inside the posterior",
                l.read_at.1,
                l.read_at.0,
                l.rate,
                100.0 * l.log_sd,
                if l.sharp { ", at it if the knee is sharp" } else { "" }
            ));
        }
        if let (Some(p), Some(found)) = (prior.as_mut(), a.estimate) {
            if let Some(why) = prior::estimate_disagrees(p.interval, self.p.tolerance, found) {
                notes.push(format!("the prior disagreed with the target: {why}"));
                p.agreed = false;
                p.disagreement = Some(why);
            }
        }
        report::build(self, ev, &a, stop, notes, prior)
    }

    /// The prior's breaking point and interval: as given, or located by the margin's GP
    /// from its points inside the range (a note says why when it cannot be).
    fn locate_prior(&self, notes: &mut Vec<String>) -> Option<PriorUse> {
        let p = self.p.prior.as_ref()?;
        let inside: Vec<&PriorPoint> = p
            .points
            .iter()
            .filter(|q| !q.generator_saturated && (-EDGE..=1.0 + EDGE).contains(&self.u(q.rate)))
            .collect();
        let mut used = PriorUse {
            source: p.source.clone(),
            points: inside.len(),
            estimate: p.estimate,
            interval: p.interval,
            agreed: true,
            disagreement: None,
        };
        if let Some(e) = p.estimate {
            let t = self.p.tolerance;
            used.interval = Some(p.interval.unwrap_or((e * (1.0 - t), e * (1.0 + t))));
            return Some(used);
        }
        let data: Vec<(f64, f64)> = inside
            .iter()
            .map(|q| (self.u(q.rate), q.margin.clamp(-GP_CLAMP, GP_CLAMP)))
            .collect();
        let noise = self.p.noise.unwrap_or_else(|| {
            rms_noise(inside.iter().map(|q| (q.margin, q.margin_sd))).map_or(NOISE_ASSUMED, |n| n.0)
        });
        let pairs: Vec<(f64, bool)> = data
            .iter()
            .zip(&inside)
            .map(|(d, q)| (d.0, q.pass))
            .collect();
        let b = Bracket::new(&pairs);
        let located = (b.lo_measured && b.hi_measured).then(|| {
            let tail = (1.0 - self.p.confidence) / 2.0;
            posterior_of(&data, noise, self.p.seed)
                .map(|post| [tail, 0.5, 1.0 - tail].map(|q| post.quantile(q)))
                .filter(|q| q.iter().all(|u| u.is_finite()))
                // Too few points for the GP: the middle of their pass/fail bracket.
                .unwrap_or([b.lo, b.mid(), b.hi])
                .map(|u| self.rate(u))
        });
        match located {
            Some([l, e, h]) => {
                used.estimate = Some(e);
                used.interval = Some((l, h));
            }
            None => notes.push(format!(
                "the prior ({}) does not locate a breaking point in the range: of its {} point(s) inside it, {} pass; the search started from the range alone",
                p.source,
                inside.len(),
                inside.iter().filter(|q| q.pass).count()
            )),
        }
        Some(used)
    }

    /// Until this search has both a pass and a failure of its own, it steps out from a
    /// prior's breaking point ([`prior`]): just below it, then, after a pass, just above
    /// it; every further step on the same side [`GROWTH`] times as far in log-load as
    /// the one before. `None` once a pass and a failure exist, or when the step would repeat a
    /// measured end of the range.
    fn around_prior(&self, guess: f64, usable: &[&Evidence]) -> Option<(f64, &'static str)> {
        let passes = usable.iter().filter(|e| e.pass()).count();
        let fails = usable.len() - passes;
        if passes > 0 && fails > 0 {
            return None;
        }
        let d0 = (0.6 * self.p.tolerance).ln_1p();
        let (rate, rule) = if passes == 0 {
            (
                guess * (-d0 * GROWTH.powi(fails as i32)).exp(),
                "below the prior's breaking point",
            )
        } else {
            (
                guess * (d0 * GROWTH.powi(passes as i32 - 1)).exp(),
                "above the prior's breaking point",
            )
        };
        let u = self.u(rate.clamp(self.p.lo, self.p.hi));
        let measured = usable.iter().any(|e| (e.u - u).abs() < 1e-9);
        (!measured).then_some((u, rule))
    }
}

/// The SLOs a search can find a breaking point for: at least one, and at least one of
/// them on latency or errors.
pub fn check_slos(slos: &[perf_core::Slo]) -> Result<(), SearchError> {
    use perf_core::slo::SloMetric;
    if slos.is_empty() {
        return Err(SearchError::NoSlo);
    }
    if slos.iter().all(|s| s.metric == SloMetric::Rps) {
        let text: Vec<String> = slos.iter().map(ToString::to_string).collect();
        return Err(SearchError::NoBreakingRule {
            slos: format!("\"{}\"", text.join(",")),
        });
    }
    Ok(())
}

/// The throughput ceiling inside the posterior: it multiplies the GP's posterior (within the
/// window the points proved) or, before a GP can be fitted, the flat posterior over the
/// pass/fail bracket, as a likelihood of the boundary.
fn with_law(
    post: Option<posterior::BoundaryPosterior>,
    law: Option<&CeilingLaw>,
    data: &[(f64, f64)],
    noise: f64,
    bracket: &Bracket,
) -> Option<posterior::BoundaryPosterior> {
    let Some(l) = law else { return post };
    let (prior, window) = match post {
        Some(p) => {
            let (wl, wh) = clear_window(data, noise);
            (p, (wl.unwrap_or(0.0), wh.unwrap_or(1.0)))
        }
        None => {
            let b = (bracket.lo, bracket.hi);
            (posterior::BoundaryPosterior::uniform(b, DRAWS), b)
        }
    };
    Some(prior.weighted(|u| l.likelihood(u), window))
}

/// A posterior rule's name when the throughput ceiling was inside the posterior.
fn rule_with_law(rule: &'static str) -> &'static str {
    match rule {
        "posterior median" => "posterior median (ceiling inside)",
        "posterior quartile" => "posterior quartile (ceiling inside)",
        "posterior decile" => "posterior decile (ceiling inside)",
        other => other,
    }
}

/// The boundary's posterior from `(u, margin)` data within their clear window, once
/// there are three distinct loads to fit.
fn posterior_of(
    data: &[(f64, f64)],
    noise: f64,
    seed: u64,
) -> Option<posterior::BoundaryPosterior> {
    (distinct(data) >= 3)
        .then(|| posterior::boundary_posterior(data, noise, clear_window(data, noise), DRAWS, seed))
        .flatten()
}

/// The root mean square of the measured margin noise of points the GP sees unclamped,
/// each at least [`NOISE_FLOOR`], and how many there were; `None` without any.
fn rms_noise(points: impl Iterator<Item = (f64, Option<f64>)>) -> Option<(f64, usize)> {
    let sds: Vec<f64> = points
        .filter(|(m, _)| m.abs() < GP_CLAMP)
        .filter_map(|(_, sd)| sd)
        .map(|sd| sd.max(NOISE_FLOOR))
        .collect();
    (!sds.is_empty()).then(|| {
        let ms = sds.iter().map(|v| v * v).sum::<f64>() / sds.len() as f64;
        (ms.sqrt(), sds.len())
    })
}

/// The highest clear pass below the lowest clear failure (margins more than two noise
/// deviations from zero), as the posterior's window.
fn clear_window(data: &[(f64, f64)], noise: f64) -> (Option<f64>, Option<f64>) {
    let z = CLEAR_SDS * noise;
    let fail = data
        .iter()
        .filter(|d| d.1 > z)
        .map(|d| d.0)
        .reduce(f64::min);
    let pass = data
        .iter()
        .filter(|d| d.1 < -z && fail.is_none_or(|f| d.0 < f))
        .map(|d| d.0)
        .reduce(f64::max);
    (pass, fail)
}

/// Before the GP can be fitted: where the line through the bracket's two margins crosses
/// zero (regula falsi), kept to the bracket's middle 80% so that a clamped margin can't
/// pin it to one end; the bracket's middle when it is open.
fn secant(b: &Bracket, data: &[(f64, f64)]) -> (f64, &'static str) {
    let at = |u: f64| data.iter().find(|d| (d.0 - u).abs() < 1e-12).map(|d| d.1);
    match (b.lo_measured && b.hi_measured, at(b.lo), at(b.hi)) {
        (true, Some(ml), Some(mh)) if mh > ml => {
            let w = b.hi - b.lo;
            let t = (-ml / (mh - ml)).clamp(0.1, 0.9);
            (b.lo + t * w, "secant through the bracket")
        }
        _ => (b.mid(), "bracket middle"),
    }
}

#[cfg(test)]
mod tests;
