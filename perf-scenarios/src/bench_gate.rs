//! `bench-gate`: criterion's latest estimates against a saved criterion baseline
//! ([`perf_ml::gate::criterion`]): the table, and exit 99 when a benchmark is slower, 2
//! when there is nothing to compare or a file is bad.

use anyhow::anyhow;
use perf_ml::gate::criterion::{compare_dir, BenchGateError, BenchVerdict};

use crate::cli::BenchGateArgs;
use crate::fail::{usage, Fail, SLO_FAILED};

fn fmt_ns(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.3} s", n / 1e9),
        n if n >= 1e6 => format!("{:.3} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.3} µs", n / 1e3),
        n => format!("{n:.2} ns"),
    }
}

/// `bench-gate`.
pub fn run(a: &BenchGateArgs) -> Result<u8, Fail> {
    if !(a.threshold.is_finite() && a.threshold >= 0.0) {
        return Err(usage(anyhow!(
            "--threshold: must be 0% or more, got {}",
            a.threshold
        )));
    }
    let gate = compare_dir(&a.criterion_dir, &a.baseline).map_err(|e| match e {
        BenchGateError::BadName(_) => usage(anyhow!("--baseline {e}")),
        BenchGateError::NoDir(_) => usage(anyhow!("--criterion-dir {e}")),
        other => usage(other),
    })?;
    let width = gate
        .rows
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(9)
        .max(9);
    println!(
        "{:<width$}  {:>12}  {:>12}  {:>8}  verdict",
        "benchmark", a.baseline, "now", "change"
    );
    let mut failed = 0;
    for r in &gate.rows {
        let verdict = r.verdict(a.threshold);
        failed += usize::from(verdict == BenchVerdict::Slower);
        println!(
            "{:<width$}  {:>12}  {:>12}  {:>+7.1}%  {}",
            r.name,
            fmt_ns(r.base.point_estimate),
            fmt_ns(r.new.point_estimate),
            r.change() * 100.0,
            match verdict {
                BenchVerdict::Slower => "SLOWER",
                BenchVerdict::Faster => "faster",
                BenchVerdict::Ok => "ok",
            }
        );
    }
    if gate.unmatched > 0 {
        println!(
            "note: {} benchmark(s) have no baseline '{}' and were not judged",
            gate.unmatched, a.baseline
        );
    }
    println!(
        "method: median time per iteration; fails when slower by more than {:.0}% and the two 95% intervals do not overlap",
        a.threshold * 100.0
    );
    let total = gate.rows.len();
    if failed > 0 {
        println!("bench-gate: FAIL: {failed} of {total} benchmark(s) slower");
        Ok(SLO_FAILED)
    } else {
        println!(
            "bench-gate: PASS: {total} benchmark(s) within {:.0}%",
            a.threshold * 100.0
        );
        Ok(0)
    }
}
