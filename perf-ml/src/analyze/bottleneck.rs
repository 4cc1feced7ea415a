//! Bottlenecks and recommendations from a run's points and resource samples: what
//! limited the target (its CPU, a pool it queues for, errors before slowness) or whether
//! the generator limited the test itself, each with its evidence and what to do.

use perf_core::PointRow;
use serde::{Deserialize, Serialize};

/// What limited the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BottleneckKind {
    /// The target's CPU was near its cores while latency rose.
    TargetCpu,
    /// Latency rose while the target's CPU stayed low: requests wait for a pool.
    Queueing,
    /// Errors broke the SLO before latency did.
    Errors,
    /// The generator could not deliver the load.
    Generator,
    /// Nothing saturated in the tested range.
    NoneReached,
    /// Latency rose but the target's CPU is unknown (a remote host without --target-pid).
    Undetermined,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bottleneck {
    /// The kind.
    pub kind: BottleneckKind,
    /// The figures behind it.
    pub evidence: String,
    /// What to do about it.
    pub recommendation: String,
}

/// The p95 and error-rate limits of a run's SLOs, as the analyses use them (infinite
/// p95 or an error rate of 1 where the run has no such SLO).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// p95 limit, µs.
    pub p95_us: f64,
    /// Error-rate limit (fraction).
    pub error_rate: f64,
}

fn load(r: &PointRow) -> f64 {
    r.target_rps.unwrap_or(r.users as f64)
}

/// Classifies `rows` (any order); `cores` is the machine's (CPU percentages are of one
/// core, so a saturated target shows near `cores × 100`).
pub fn classify(rows: &[PointRow], limits: Limits, cores: usize) -> Vec<Bottleneck> {
    let mut out = Vec::new();
    let mut sorted: Vec<&PointRow> = rows.iter().collect();
    sorted.sort_by(|a, b| load(a).total_cmp(&load(b)));
    let saturated: Vec<&&PointRow> = sorted.iter().filter(|r| r.generator_saturated).collect();
    if let Some(first) = saturated.first() {
        out.push(Bottleneck {
            kind: BottleneckKind::Generator,
            evidence: format!(
                "{} point(s) from {} on were limited by the generator (generator CPU {:.0}% of {} core(s) at {}; {} dropped iterations)",
                saturated.len(),
                load(first),
                first.gen_cpu_pct,
                cores,
                load(first),
                first.dropped_iterations
            ),
            recommendation: "these points measure the generator, not the target: run the generator on more cores or machines, or raise --max-users".into(),
        });
    }
    let valid: Vec<&PointRow> = sorted
        .iter()
        .copied()
        .filter(|r| !r.generator_saturated && r.requests > 0)
        .collect();
    let (Some(low), Some(high)) = (valid.first(), valid.last()) else {
        return out;
    };
    if let Some(e) = valid
        .iter()
        .find(|r| r.error_rate > limits.error_rate && (r.p95_us as f64) <= limits.p95_us)
    {
        out.push(Bottleneck {
            kind: BottleneckKind::Errors,
            evidence: format!(
                "at {} the error rate was {:.2}% (limit {:.2}%) while p95 was {:.1} ms, under its {:.1} ms limit",
                load(e),
                e.error_rate * 100.0,
                limits.error_rate * 100.0,
                e.p95_us as f64 / 1e3,
                limits.p95_us / 1e3
            ),
            recommendation: "the target fails or sheds requests before it slows down: look at the failing responses (503 from a full queue, timeouts, 5xx), the queue and connection limits, and the error logs".into(),
        });
    }
    let rise = high.p95_us as f64 / (low.p95_us as f64).max(1.0);
    let breached = high.p95_us as f64 > limits.p95_us;
    if rise < 1.5 && !breached {
        out.push(Bottleneck {
            kind: BottleneckKind::NoneReached,
            evidence: format!(
                "p95 went from {:.1} ms at {} to {:.1} ms at {} ({rise:.2}×): no saturation in the tested range",
                low.p95_us as f64 / 1e3,
                load(low),
                high.p95_us as f64 / 1e3,
                load(high)
            ),
            recommendation: "extend the sweep to higher loads (or run `search`) to find the limit".into(),
        });
        return out;
    }
    let full = cores as f64 * 100.0;
    let rise_text = format!(
        "p95 rose {rise:.1}× from {:.1} ms at {} to {:.1} ms at {}",
        low.p95_us as f64 / 1e3,
        load(low),
        high.p95_us as f64 / 1e3,
        load(high)
    );
    match high.sut_cpu_pct {
        None => out.push(Bottleneck {
            kind: BottleneckKind::Undetermined,
            evidence: format!("{rise_text}; the target's CPU was not sampled"),
            recommendation: "pass --target-pid for a local target so its CPU can tell CPU-bound from queueing".into(),
        }),
        Some(cpu) if cpu >= 0.8 * full => out.push(Bottleneck {
            kind: BottleneckKind::TargetCpu,
            evidence: format!("{rise_text} while the target's CPU reached {cpu:.0}% of {cores} core(s) ({full:.0}%)"),
            recommendation: "the target is CPU-bound: profile its hot handlers, then add cores or replicas".into(),
        }),
        Some(cpu) if cpu < 0.5 * full => out.push(Bottleneck {
            kind: BottleneckKind::Queueing,
            evidence: format!("{rise_text} while the target's CPU stayed at {cpu:.0}% of {full:.0}%"),
            recommendation: "requests wait for a limited pool while the CPU idles: raise the worker, thread or connection pool (or the database pool behind it); the capacity grows with it until the CPU becomes the limit".into(),
        }),
        Some(cpu) => out.push(Bottleneck {
            kind: BottleneckKind::Undetermined,
            evidence: format!("{rise_text} with the target's CPU at {cpu:.0}% of {full:.0}%: between idle and saturated"),
            recommendation: "both CPU and waiting contribute: profile the target under load".into(),
        }),
    }
    out
}
