//! Anomalies within a run: seconds whose latency, errors or throughput depart from the
//! run's own behaviour, by two detectors on the per-second timeline of each point.
//!
//! - **Robust z-score**: `(x − median) / (1.4826 · MAD)`, with the scale floored at a
//!   share of the median (`rel_floor`) so a very steady series does not make noise
//!   look large. Upward for p95 latency, downward for throughput.
//! - **EWMA control chart** (λ, L·σ limits, referenced to the run's first third, input
//!   clipped at 3 scales so one spike does not hold it up): catches a sustained shift
//!   too small for single seconds to stand out, such as a slow degradation.
//! - **Errors**: each second's failures against the run's typical error rate with a
//!   binomial z-score (a per-second ratio has no useful MAD when most seconds have none).
//!
//! Flagged seconds closer than `merge_gap_s` are merged into one [`Anomaly`], whose
//! [`Severity`] is critical (z ≥ `z_critical`), warning (z ≥ `z_warning`) or advisory.

use serde::{Deserialize, Serialize};

use crate::stats::median;

/// How serious an anomaly is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Advisory,
    /// Likely a real problem.
    Warning,
    /// A clear failure (stall, error burst).
    Critical,
}

/// Detector settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyParams {
    /// Smallest |z| flagged (advisory).
    pub z_advisory: f64,
    /// |z| for a warning.
    pub z_warning: f64,
    /// |z| for a critical anomaly.
    pub z_critical: f64,
    /// The robust scale is at least this share of the median.
    pub rel_floor: f64,
    /// EWMA weight of the newest second.
    pub ewma_lambda: f64,
    /// EWMA control limit in standard deviations of the chart.
    pub ewma_l: f64,
    /// Seconds the EWMA must stay over its limit in a row to count (a drift is sustained).
    pub ewma_sustain_s: usize,
    /// Flags this close (seconds) merge into one anomaly.
    pub merge_gap_s: u64,
    /// Seconds needed before anything is judged.
    pub min_seconds: usize,
}

impl Default for AnomalyParams {
    fn default() -> Self {
        Self {
            z_advisory: 5.0,
            z_warning: 8.0,
            z_critical: 15.0,
            rel_floor: 0.05,
            ewma_lambda: 0.2,
            ewma_l: 4.0,
            ewma_sustain_s: 3,
            merge_gap_s: 1,
            min_seconds: 8,
        }
    }
}

/// One second of the aggregate timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    /// Second since the point started.
    pub second: u64,
    /// Requests completed.
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
    /// 95th percentile latency, µs (0 without requests).
    pub p95_us: u64,
}

/// A run of anomalous seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The load point.
    pub point: usize,
    /// First flagged second.
    pub from_s: u64,
    /// Last flagged second.
    pub to_s: u64,
    /// How serious.
    pub severity: Severity,
    /// What departed: `p95 latency`, `errors`, `throughput` (several joined by `+`).
    pub metric: String,
    /// Largest |z| seen.
    pub peak_z: f64,
    /// Which detectors fired: `mad`, `ewma`, `binomial`.
    pub detectors: Vec<String>,
    /// What was seen, in words.
    pub evidence: String,
}

#[derive(Debug, Clone)]
struct Flag {
    second: u64,
    metric: &'static str,
    z: f64,
    detector: &'static str,
    note: String,
}

/// Robust location and scale (scale floored at `rel_floor` × |median|, and above 0).
fn robust(v: &[f64], rel_floor: f64) -> (f64, f64) {
    let m = median(v);
    let dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    let s = (1.4826 * median(&dev)).max(rel_floor * m.abs()).max(1e-9);
    (m, s)
}

impl AnomalyParams {
    /// Anomalies of one point's aggregate timeline (seconds in order).
    pub fn detect(&self, point: usize, ticks: &[Tick]) -> Vec<Anomaly> {
        if ticks.len() < self.min_seconds {
            return Vec::new();
        }
        let mut flags = Vec::new();
        self.latency(ticks, &mut flags);
        self.throughput(ticks, &mut flags);
        self.errors(ticks, &mut flags);
        self.merge(point, flags)
    }

    fn latency(&self, ticks: &[Tick], flags: &mut Vec<Flag>) {
        // The first second is the ramp (connections opening, caches warming).
        // The p95 describes successful requests: a second with none has no latency.
        let busy: Vec<&Tick> = ticks[1..]
            .iter()
            .filter(|t| t.requests > t.failures)
            .collect();
        if busy.len() < self.min_seconds {
            return;
        }
        let v: Vec<f64> = busy.iter().map(|t| t.p95_us as f64).collect();
        let (m, s) = robust(&v, self.rel_floor);
        for t in &busy {
            let z = (t.p95_us as f64 - m) / s;
            if z >= self.z_advisory {
                flags.push(Flag {
                    second: t.second,
                    metric: "p95 latency",
                    z,
                    detector: "mad",
                    note: format!(
                        "p95 {:.1} ms against a typical {:.1} ms",
                        t.p95_us as f64 / 1e3,
                        m / 1e3
                    ),
                });
            }
        }
        // EWMA of the p95 against the run's first third (at least `min_seconds`): the
        // in-control reference of a control chart, so a slow drift is not absorbed into
        // the run's own median.
        let k = (busy.len() / 3).max(self.min_seconds).min(busy.len());
        let reference: Vec<f64> = v[..k].to_vec();
        let (m0, s0) = robust(&reference, self.rel_floor);
        let lam = self.ewma_lambda;
        let sigma = s0 * (lam / (2.0 - lam)).sqrt();
        let mut e = m0;
        let mut over: Vec<Flag> = Vec::new();
        // Each second enters clipped at 3 reference scales (a Huber-style robust EWMA): a
        // spike is the z-score's to flag, and must not hold the chart up for seconds after.
        let clip = m0 + 3.0 * s0;
        for t in &busy {
            e = lam * (t.p95_us as f64).min(clip) + (1.0 - lam) * e;
            let z = (e - m0) / sigma;
            if z > self.ewma_l {
                over.push(Flag {
                    second: t.second,
                    metric: "p95 latency",
                    // A drift alone is at most a warning.
                    z: z.min(self.z_warning - 1e-9),
                    detector: "ewma",
                    note: format!(
                        "smoothed p95 {:.1} ms above its control limit {:.1} ms (first {k} s: {:.1} ms)",
                        e / 1e3,
                        (m0 + self.ewma_l * sigma) / 1e3,
                        m0 / 1e3
                    ),
                });
            } else {
                self.keep_sustained(&mut over, flags);
            }
        }
        self.keep_sustained(&mut over, flags);
    }

    /// A shift is sustained: only runs of `ewma_sustain_s` or more seconds over the limit.
    fn keep_sustained(&self, over: &mut Vec<Flag>, flags: &mut Vec<Flag>) {
        if over.len() >= self.ewma_sustain_s {
            flags.append(over);
        }
        over.clear();
    }

    fn throughput(&self, ticks: &[Tick], flags: &mut Vec<Flag>) {
        // The first and last seconds are ramps, not anomalies.
        let inner = &ticks[1..ticks.len() - 1];
        let v: Vec<f64> = inner.iter().map(|t| t.requests as f64).collect();
        let (m, s) = robust(&v, self.rel_floor);
        if m < 5.0 {
            return; // too few requests per second for a dip to mean anything
        }
        for t in inner {
            let z = (m - t.requests as f64) / s;
            if z >= self.z_advisory {
                flags.push(Flag {
                    second: t.second,
                    metric: "throughput",
                    z,
                    detector: "mad",
                    note: format!("{} requests completed against a typical {m:.0}", t.requests),
                });
            }
        }
    }

    fn errors(&self, ticks: &[Tick], flags: &mut Vec<Flag>) {
        let total: u64 = ticks.iter().map(|t| t.requests).sum();
        if total == 0 {
            return;
        }
        let ratios: Vec<f64> = ticks
            .iter()
            .filter(|t| t.requests > 0)
            .map(|t| t.failures as f64 / t.requests as f64)
            .collect();
        let p = median(&ratios)
            .max(0.5 / total as f64 * ticks.len() as f64)
            .clamp(1e-4, 0.5);
        for t in ticks.iter().filter(|t| t.requests > 0) {
            let n = t.requests as f64;
            let z = (t.failures as f64 - n * p) / (n * p * (1.0 - p)).sqrt();
            if z >= self.z_advisory && t.failures >= 3 {
                flags.push(Flag {
                    second: t.second,
                    metric: "errors",
                    z,
                    detector: "binomial",
                    note: format!(
                        "{} of {} requests failed against a typical {:.2}%",
                        t.failures,
                        t.requests,
                        p * 100.0
                    ),
                });
            }
        }
    }

    fn merge(&self, point: usize, mut flags: Vec<Flag>) -> Vec<Anomaly> {
        flags.sort_by(|a, b| a.second.cmp(&b.second).then(b.z.total_cmp(&a.z)));
        let mut out: Vec<(Anomaly, Vec<Flag>)> = Vec::new();
        for f in flags {
            match out.last_mut() {
                Some((a, fs)) if f.second <= a.to_s + self.merge_gap_s => {
                    a.to_s = a.to_s.max(f.second);
                    fs.push(f);
                }
                _ => out.push((
                    Anomaly {
                        point,
                        from_s: f.second,
                        to_s: f.second,
                        severity: Severity::Advisory,
                        metric: String::new(),
                        peak_z: 0.0,
                        detectors: Vec::new(),
                        evidence: String::new(),
                    },
                    vec![f],
                )),
            }
        }
        out.into_iter()
            .map(|(mut a, fs)| {
                let top = fs
                    .iter()
                    .max_by(|x, y| x.z.total_cmp(&y.z))
                    .expect("non-empty");
                a.peak_z = top.z;
                a.severity = if top.z >= self.z_critical {
                    Severity::Critical
                } else if top.z >= self.z_warning {
                    Severity::Warning
                } else {
                    Severity::Advisory
                };
                let mut metrics: Vec<&str> = fs.iter().map(|f| f.metric).collect();
                metrics.sort_unstable();
                metrics.dedup();
                a.metric = metrics.join(" + ");
                let mut det: Vec<String> = fs.iter().map(|f| f.detector.to_string()).collect();
                det.sort();
                det.dedup();
                a.detectors = det;
                a.evidence = format!("second {}: {}", top.second, top.note);
                a
            })
            .collect()
    }
}
