//! The comparison: per point, endpoint and metric, a verdict from the tests in
//! [`super::stats`], in the manner of criterion (a significant change whose whole
//! interval lies beyond a noise threshold).

use serde::Serialize;

use super::stats::{bootstrap_change, mann_whitney_greater, median, proportion_greater};
use super::{EndpointSample, Gate, GateError, RunSample};

/// What a comparison concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Not significantly different.
    NoChange,
    /// Significant, but the interval reaches inside the noise threshold.
    WithinNoise,
    /// Worse beyond the threshold: fails the gate.
    Regressed,
    /// Better beyond the threshold.
    Improved,
    /// Too few seconds with enough requests to test.
    TooFewSamples,
    /// Regressed in the first run but not in the confirmation run: passes.
    NotConfirmed,
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
            Self::NotConfirmed => "not confirmed",
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
    /// `p50`, `p95` (median of the per-second values, µs) or `error rate` (fraction).
    pub metric: &'static str,
    /// Baseline value.
    pub baseline: f64,
    /// Current value.
    pub current: f64,
    /// Relative change (latency) or difference in rate (errors).
    pub change: f64,
    /// Its interval at the gate's level.
    pub ci: (f64, f64),
    /// One-sided p-value of a regression.
    pub p_value: f64,
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
    /// Endpoints in the current run that the baseline lacks (not judged).
    pub notes: Vec<String>,
}

impl GateReport {
    /// Rows that fail the gate.
    pub fn regressions(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.verdict == Verdict::Regressed)
    }

    /// Whether the gate passes.
    pub fn passed(&self) -> bool {
        self.regressions().next().is_none()
    }

    /// Keeps a regression only when `rerun` (a confirmation run of the same profile)
    /// regressed on the same point, endpoint and metric; the others become
    /// [`Verdict::NotConfirmed`]. A slowdown of the machine that lasts one run (another
    /// job on the same cores) does not fail the gate; a real regression persists.
    pub fn confirm_with(&mut self, rerun: &GateReport) {
        let mut dropped = 0;
        for f in self
            .findings
            .iter_mut()
            .filter(|f| f.verdict == Verdict::Regressed)
        {
            let again = rerun.findings.iter().any(|g| {
                g.point == f.point
                    && g.endpoint == f.endpoint
                    && g.metric == f.metric
                    && g.verdict == Verdict::Regressed
            });
            if !again {
                f.verdict = Verdict::NotConfirmed;
                dropped += 1;
            }
        }
        let kept = self.regressions().count();
        self.notes.push(format!(
            "confirmation run: {kept} regression(s) reproduced, {dropped} did not (not confirmed: pass)"
        ));
    }
}

impl Gate {
    /// Compares `current` with `base`. Errors (exit 2 in the CLI): another scenario, a
    /// different number or configuration of points, an endpoint of the baseline absent
    /// from the current run, an endpoint with no requests.
    pub fn compare(&self, base: &RunSample, current: &RunSample) -> Result<GateReport, GateError> {
        let configs: Vec<&str> = current.points.iter().map(|p| p.config.as_str()).collect();
        base.check_plan(&current.scenario, &configs)?;
        let mut findings = Vec::new();
        let mut notes = Vec::new();
        for (i, (b, c)) in base.points.iter().zip(&current.points).enumerate() {
            for (name, be) in &b.endpoints {
                let ce = c
                    .endpoints
                    .get(name)
                    .ok_or_else(|| GateError::MissingEndpoint {
                        point: i,
                        endpoint: name.clone(),
                    })?;
                for (side, e) in [("the baseline", be), ("this run", ce)] {
                    if e.requests == 0 {
                        return Err(GateError::Empty {
                            what: format!("point {i}, endpoint '{name}': no requests in {side}"),
                        });
                    }
                }
                let seed = self.p.seed ^ (i as u64) << 32 ^ fnv(name);
                for metric in ["p50", "p95"] {
                    findings.push(self.latency(i, &b.config, name, metric, be, ce, seed));
                }
                findings.push(self.errors(i, &b.config, name, be, ce));
            }
            for name in c.endpoints.keys().filter(|n| !b.endpoints.contains_key(*n)) {
                notes.push(format!(
                    "point {i}: endpoint '{name}' is not in the baseline; not judged"
                ));
            }
        }
        Ok(GateReport {
            method: self.method(),
            findings,
            notes,
        })
    }

    /// The method in one paragraph, with this gate's settings.
    pub fn method(&self) -> String {
        let p = &self.p;
        format!(
            "latency: per-second p50 and p95 (seconds with at least {} requests, at least {} such seconds); \
             one-sided Mann-Whitney U p < {} and the whole {:.0}% bootstrap interval ({} seeded resamples) of the \
             change in their median beyond ±{:.0}%; errors: one-sided two-proportion z-test p < {} and a rise of \
             more than {:.1} percentage points",
            p.min_requests_per_second,
            p.min_seconds,
            p.alpha,
            p.level * 100.0,
            p.resamples,
            p.threshold * 100.0,
            p.error_alpha,
            p.min_error_rise * 100.0
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn latency(
        &self,
        point: usize,
        config: &str,
        endpoint: &str,
        metric: &'static str,
        b: &EndpointSample,
        c: &EndpointSample,
        seed: u64,
    ) -> Finding {
        let values = |e: &EndpointSample| -> Vec<f64> {
            e.seconds
                .iter()
                .filter(|s| s.requests >= self.p.min_requests_per_second)
                .map(|s| if metric == "p50" { s.p50_us } else { s.p95_us } as f64)
                .collect()
        };
        let (x, y) = (values(b), values(c));
        let mut f = Finding {
            point,
            config: config.to_string(),
            endpoint: endpoint.to_string(),
            metric,
            baseline: if x.is_empty() { f64::NAN } else { median(&x) },
            current: if y.is_empty() { f64::NAN } else { median(&y) },
            change: f64::NAN,
            ci: (f64::NAN, f64::NAN),
            p_value: f64::NAN,
            verdict: Verdict::TooFewSamples,
        };
        if x.len() < self.p.min_seconds || y.len() < self.p.min_seconds || f.baseline <= 0.0 {
            return f;
        }
        let (est, lo, hi) = bootstrap_change(&x, &y, self.p.resamples, self.p.level, seed);
        let p_worse = mann_whitney_greater(&x, &y);
        let p_better = mann_whitney_greater(&y, &x);
        let t = self.p.threshold;
        f.change = est;
        f.ci = (lo, hi);
        f.p_value = p_worse;
        f.verdict = if p_worse < self.p.alpha {
            if lo > t {
                Verdict::Regressed
            } else {
                Verdict::WithinNoise
            }
        } else if p_better < self.p.alpha {
            if hi < -t {
                Verdict::Improved
            } else {
                Verdict::WithinNoise
            }
        } else {
            Verdict::NoChange
        };
        f
    }

    fn errors(
        &self,
        point: usize,
        config: &str,
        endpoint: &str,
        b: &EndpointSample,
        c: &EndpointSample,
    ) -> Finding {
        let (r0, r1) = (
            b.failures as f64 / b.requests as f64,
            c.failures as f64 / c.requests as f64,
        );
        let diff = r1 - r0;
        let se = (r0 * (1.0 - r0) / b.requests as f64 + r1 * (1.0 - r1) / c.requests as f64).sqrt();
        let z = statrs::distribution::ContinuousCDF::inverse_cdf(
            &statrs::distribution::Normal::new(0.0, 1.0).expect("standard normal"),
            0.5 + self.p.level / 2.0,
        );
        let p_worse = proportion_greater(b.failures, b.requests, c.failures, c.requests);
        let p_better = proportion_greater(c.failures, c.requests, b.failures, b.requests);
        let verdict = if p_worse < self.p.error_alpha {
            if diff > self.p.min_error_rise {
                Verdict::Regressed
            } else {
                Verdict::WithinNoise
            }
        } else if p_better < self.p.error_alpha && -diff > self.p.min_error_rise {
            Verdict::Improved
        } else {
            Verdict::NoChange
        };
        Finding {
            point,
            config: config.to_string(),
            endpoint: endpoint.to_string(),
            metric: "error rate",
            baseline: r0,
            current: r1,
            change: diff,
            ci: (diff - z * se, diff + z * se),
            p_value: p_worse,
            verdict,
        }
    }
}

/// A stable hash of an endpoint name (FNV-1a), so each comparison has its own seed.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
