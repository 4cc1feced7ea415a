//! The comparison: per point, endpoint and metric, a verdict from the tests in
//! [`crate::stats`] on the values of whole runs, with Holm's adjustment across the
//! comparisons that decide the gate.

use serde::Serialize;

use super::{EndpointSample, Gate, GateError, Primary, RunSample};
use crate::stats::{
    bootstrap_change, fisher_mid_p_greater, holm, mann_whitney_exact_greater, median,
    newcombe_difference,
};

/// What a comparison concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Not significantly different.
    NoChange,
    /// Significant, but smaller than the threshold.
    WithinNoise,
    /// Worse beyond the threshold: fails the gate when the comparison is primary.
    Regressed,
    /// Better beyond the threshold.
    Improved,
    /// Too few runs with enough requests to test.
    TooFewSamples,
}

impl Verdict {
    /// The word printed in the table.
    pub fn word(self) -> &'static str {
        match self {
            Self::NoChange => "no change",
            Self::WithinNoise => "within noise",
            Self::Regressed => "REGRESSED",
            Self::Improved => "improved",
            Self::TooFewSamples => "too few samples",
        }
    }
}

/// One row of the gate's table.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Point index.
    pub point: usize,
    /// The point's configuration.
    pub config: String,
    /// Endpoint (`ALL` for the aggregate).
    pub endpoint: String,
    /// `p50`, `p95` (µs, the median over runs of each run's value) or `error rate`
    /// (fraction, pooled over runs).
    pub metric: &'static str,
    /// Runs behind the baseline's and the current value.
    pub runs: (usize, usize),
    /// Baseline value.
    pub baseline: f64,
    /// Current value.
    pub current: f64,
    /// Relative change (latency) or difference in rate (errors).
    pub change: f64,
    /// Its interval at the gate's level.
    pub ci: (f64, f64),
    /// One-sided p-value of a regression, unadjusted.
    pub p_value: f64,
    /// The same after Holm's adjustment within its family (primary or secondary).
    pub p_adjusted: f64,
    /// Whether it is one of the comparisons that decide the gate.
    pub primary: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// Everything a comparison found.
#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    /// The tests and thresholds, in words.
    pub method: String,
    /// One row per point × endpoint × metric.
    pub findings: Vec<Finding>,
    /// Endpoints in the current runs that the baseline lacks (not judged).
    pub notes: Vec<String>,
}

impl GateReport {
    /// Primary rows that fail the gate.
    pub fn regressions(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.primary && f.verdict == Verdict::Regressed)
    }

    /// Whether the gate passes.
    pub fn passed(&self) -> bool {
        self.regressions().next().is_none()
    }
}

/// A row before the family's adjustment: its finding and its two one-sided p-values.
struct Row {
    f: Finding,
    p_better: f64,
}

impl Gate {
    /// Compares the `current` runs with the `base` runs: each run is one sample (the
    /// seconds inside a run are correlated; runs are the unit that varies as a whole).
    /// Errors (exit 2 in the CLI): fewer runs than [`super::GateParams::min_runs`] on a
    /// side, runs of another scenario or plan, an endpoint of the baseline absent from a
    /// current run, an endpoint with no requests.
    pub fn compare(
        &self,
        base: &[RunSample],
        current: &[RunSample],
    ) -> Result<GateReport, GateError> {
        for (side, runs) in [("the baseline", base), ("this gate", current)] {
            if runs.len() < self.p.min_runs {
                return Err(GateError::TooFewRuns {
                    side,
                    found: runs.len(),
                    need: self.p.min_runs,
                });
            }
        }
        let reference = &base[0];
        for r in base.iter().chain(current) {
            let configs: Vec<&str> = r.points.iter().map(|p| p.config.as_str()).collect();
            reference.check_plan(&r.scenario, &configs)?;
        }
        self.detectable(
            base.len(),
            current.len(),
            self.primary_comparisons_of(reference),
        )?;
        let mut rows = Vec::new();
        let mut notes = Vec::new();
        for (i, point) in reference.points.iter().enumerate() {
            for name in point.endpoints.keys() {
                let side = |runs: &[RunSample],
                            what: &str|
                 -> Result<Vec<EndpointSample>, GateError> {
                    runs.iter()
                        .map(|r| {
                            let e = r.points[i].endpoints.get(name).ok_or_else(|| {
                                GateError::MissingEndpoint {
                                    point: i,
                                    endpoint: name.clone(),
                                }
                            })?;
                            if e.requests == 0 {
                                return Err(GateError::Empty {
                                    what: format!(
                                        "point {i}, endpoint '{name}': no requests in a run of {what}"
                                    ),
                                });
                            }
                            Ok(e.clone())
                        })
                        .collect()
                };
                let (b, c) = (side(base, "the baseline")?, side(current, "this gate")?);
                let primary = self.p.primary == Primary::All || name == "ALL";
                let seed = self.p.seed ^ (i as u64) << 32 ^ fnv(name);
                for metric in ["p50", "p95"] {
                    rows.push(self.latency(i, &point.config, name, metric, &b, &c, seed, primary));
                }
                rows.push(self.errors(i, &point.config, name, &b, &c, primary));
            }
            let mut extra: Vec<&String> = current
                .iter()
                .flat_map(|r| r.points[i].endpoints.keys())
                .filter(|n| !point.endpoints.contains_key(*n))
                .collect();
            extra.sort();
            extra.dedup();
            for name in extra {
                notes.push(format!(
                    "point {i}: endpoint '{name}' is not in the baseline; not judged"
                ));
            }
        }
        Ok(GateReport {
            method: self.method(),
            findings: self.decide(rows),
            notes,
        })
    }

    /// Holm's adjustment within each family (primary, secondary), then the verdicts.
    fn decide(&self, rows: Vec<Row>) -> Vec<Finding> {
        let mut worse = vec![f64::NAN; rows.len()];
        let mut better = vec![f64::NAN; rows.len()];
        for family in [true, false] {
            let members: Vec<usize> = (0..rows.len())
                .filter(|&i| rows[i].f.primary == family)
                .collect();
            let pick =
                |f: &dyn Fn(&Row) -> f64| members.iter().map(|&i| f(&rows[i])).collect::<Vec<_>>();
            for (k, (w, b)) in holm(&pick(&|r| r.f.p_value))
                .into_iter()
                .zip(holm(&pick(&|r| r.p_better)))
                .enumerate()
            {
                worse[members[k]] = w;
                better[members[k]] = b;
            }
        }
        let alpha = self.p.alpha;
        rows.into_iter()
            .enumerate()
            .map(|(i, Row { mut f, .. })| {
                if f.verdict == Verdict::TooFewSamples {
                    return f;
                }
                let bar = if f.metric == "error rate" {
                    self.p.min_error_rise
                } else {
                    self.p.threshold
                };
                f.p_adjusted = worse[i];
                f.verdict = if worse[i] < alpha {
                    if f.change > bar {
                        Verdict::Regressed
                    } else {
                        Verdict::WithinNoise
                    }
                } else if better[i] < alpha {
                    if -f.change > bar {
                        Verdict::Improved
                    } else {
                        Verdict::WithinNoise
                    }
                } else {
                    Verdict::NoChange
                };
                f
            })
            .collect()
    }

    /// The method in one paragraph, with this gate's settings.
    pub fn method(&self) -> String {
        let p = &self.p;
        let family = match p.primary {
            Primary::Aggregate => {
                "primary comparisons: p50, p95 and error rate of ALL at each point (the rest secondary: reported, adjusted among themselves, never failing the gate)"
            }
            Primary::All => "primary comparisons: every point, endpoint and metric",
        };
        format!(
            "runs are the sampling unit (at least {} a side); latency: each run's p50 and p95 of the point \
             (runs with at least {} successful requests), exact one-sided Mann-Whitney U on the run values, \
             the change in their median with a {:.0}% bootstrap interval over runs ({} seeded resamples), \
             regressed when beyond +{:.0}%; errors: failures pooled over runs, one-sided Fisher exact test \
             (mid-p) with a Newcombe {:.0}% interval of the difference, regressed when above +{:.1} percentage \
             points; Holm's adjustment keeps the chance of any false alarm at most {} per family; {family}",
            p.min_runs,
            p.min_requests,
            p.level * 100.0,
            p.resamples,
            p.threshold * 100.0,
            p.level * 100.0,
            p.min_error_rise * 100.0,
            p.alpha,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn latency(
        &self,
        point: usize,
        config: &str,
        endpoint: &str,
        metric: &'static str,
        b: &[EndpointSample],
        c: &[EndpointSample],
        seed: u64,
        primary: bool,
    ) -> Row {
        let values = |runs: &[EndpointSample]| -> Vec<f64> {
            runs.iter()
                .filter(|e| e.requests - e.failures.min(e.requests) >= self.p.min_requests)
                .map(|e| if metric == "p50" { e.p50_us } else { e.p95_us } as f64)
                .collect()
        };
        let (x, y) = (values(b), values(c));
        let mut f = Finding {
            point,
            config: config.to_string(),
            endpoint: endpoint.to_string(),
            metric,
            runs: (x.len(), y.len()),
            baseline: if x.is_empty() { f64::NAN } else { median(&x) },
            current: if y.is_empty() { f64::NAN } else { median(&y) },
            change: f64::NAN,
            ci: (f64::NAN, f64::NAN),
            p_value: f64::NAN,
            p_adjusted: f64::NAN,
            primary,
            verdict: Verdict::TooFewSamples,
        };
        if x.len() < self.p.min_runs || y.len() < self.p.min_runs || f.baseline <= 0.0 {
            return Row {
                f,
                p_better: f64::NAN,
            };
        }
        let (est, lo, hi) = bootstrap_change(&x, &y, self.p.resamples, self.p.level, seed);
        f.change = est;
        f.ci = (lo, hi);
        f.p_value = mann_whitney_exact_greater(&x, &y);
        f.verdict = Verdict::NoChange;
        Row {
            f,
            p_better: mann_whitney_exact_greater(&y, &x),
        }
    }

    fn errors(
        &self,
        point: usize,
        config: &str,
        endpoint: &str,
        b: &[EndpointSample],
        c: &[EndpointSample],
        primary: bool,
    ) -> Row {
        let pooled = |runs: &[EndpointSample]| {
            runs.iter()
                .fold((0, 0), |(f, n), e| (f + e.failures, n + e.requests))
        };
        let ((f0, n0), (f1, n1)) = (pooled(b), pooled(c));
        let (r0, r1) = (f0 as f64 / n0 as f64, f1 as f64 / n1 as f64);
        Row {
            f: Finding {
                point,
                config: config.to_string(),
                endpoint: endpoint.to_string(),
                metric: "error rate",
                runs: (b.len(), c.len()),
                baseline: r0,
                current: r1,
                change: r1 - r0,
                ci: newcombe_difference(f0, n0, f1, n1, self.p.level),
                p_value: fisher_mid_p_greater(f0, n0, f1, n1),
                p_adjusted: f64::NAN,
                primary,
                verdict: Verdict::NoChange,
            },
            p_better: fisher_mid_p_greater(f1, n1, f0, n0),
        }
    }
}

/// A stable hash of an endpoint name (FNV-1a), so each comparison has its own seed.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
