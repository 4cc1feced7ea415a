//! `bench-gate`: compare criterion's latest estimates (`<bench>/new/estimates.json`)
//! with a saved criterion baseline (`<bench>/<NAME>/estimates.json`, written by
//! `cargo bench -p benches -- --save-baseline NAME`). A benchmark fails when its median
//! is slower by more than the threshold and the two medians' 95% intervals do not
//! overlap; exit 99 on any failure, 2 when there is nothing to compare or a file is bad.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use serde::Deserialize;

use crate::cli::BenchGateArgs;
use crate::runner::{usage, Fail, SLO_FAILED};

#[derive(Debug, Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Debug, Deserialize)]
struct Estimate {
    confidence_interval: Interval,
    point_estimate: f64,
}

#[derive(Debug, Deserialize)]
struct Estimates {
    median: Estimate,
}

/// One benchmark's comparison.
#[derive(Debug)]
struct Row {
    name: String,
    base: Estimate,
    new: Estimate,
}

impl Row {
    fn change(&self) -> f64 {
        self.new.point_estimate / self.base.point_estimate - 1.0
    }

    fn slower(&self, threshold: f64) -> bool {
        self.change() > threshold
            && self.new.confidence_interval.lower_bound > self.base.confidence_interval.upper_bound
    }
}

fn read(path: &Path) -> Result<Estimates, Fail> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(anyhow!("cannot read {}: {e}", path.display())))?;
    let e: Estimates = serde_json::from_str(&text)
        .map_err(|e| usage(anyhow!("{}: not criterion estimates: {e}", path.display())))?;
    if !(e.median.point_estimate.is_finite() && e.median.point_estimate > 0.0) {
        return Err(usage(anyhow!(
            "{}: the median estimate is {}, expected a time above 0",
            path.display(),
            e.median.point_estimate
        )));
    }
    Ok(e)
}

/// Every folder under `dir` holding `new/estimates.json`, as (name, folder).
fn benchmarks(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if !p.is_dir() {
                continue;
            }
            if p.file_name().is_some_and(|n| n == "new") && p.join("estimates.json").is_file() {
                let name = d.strip_prefix(dir).unwrap_or(&d).display().to_string();
                out.push((name, d.clone()));
            } else {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

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
    if a.baseline.is_empty() || a.baseline == "new" || a.baseline.contains(['/', '\\']) {
        return Err(usage(anyhow!(
            "--baseline '{}': must be a criterion baseline name (not 'new', no slashes)",
            a.baseline
        )));
    }
    if !a.criterion_dir.is_dir() {
        return Err(usage(anyhow!(
            "--criterion-dir {}: no such folder; run `cargo bench -p benches` first",
            a.criterion_dir.display()
        )));
    }
    let mut rows = Vec::new();
    let mut unmatched = 0;
    for (name, dir) in benchmarks(&a.criterion_dir) {
        let base_path = dir.join(&a.baseline).join("estimates.json");
        if !base_path.is_file() {
            unmatched += 1;
            continue;
        }
        rows.push(Row {
            name,
            base: read(&base_path)?.median,
            new: read(&dir.join("new").join("estimates.json"))?.median,
        });
    }
    if rows.is_empty() {
        return Err(usage(anyhow!(
            "no benchmark under {} has a saved baseline '{}'; save one with `cargo bench -p benches -- --save-baseline {}`",
            a.criterion_dir.display(),
            a.baseline,
            a.baseline
        )));
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(9).max(9);
    println!(
        "{:<width$}  {:>12}  {:>12}  {:>8}  verdict",
        "benchmark", a.baseline, "now", "change"
    );
    let mut failed = 0;
    for r in &rows {
        let slower = r.slower(a.threshold);
        failed += usize::from(slower);
        let verdict = if slower {
            "SLOWER"
        } else if r.change() < -a.threshold
            && r.new.confidence_interval.upper_bound < r.base.confidence_interval.lower_bound
        {
            "faster"
        } else {
            "ok"
        };
        println!(
            "{:<width$}  {:>12}  {:>12}  {:>+7.1}%  {verdict}",
            r.name,
            fmt_ns(r.base.point_estimate),
            fmt_ns(r.new.point_estimate),
            r.change() * 100.0
        );
    }
    if unmatched > 0 {
        println!(
            "note: {unmatched} benchmark(s) have no baseline '{}' and were not judged",
            a.baseline
        );
    }
    println!(
        "method: median time per iteration; fails when slower by more than {:.0}% and the two 95% intervals do not overlap",
        a.threshold * 100.0
    );
    if failed > 0 {
        println!(
            "bench-gate: FAIL: {failed} of {} benchmark(s) slower",
            rows.len()
        );
        Ok(SLO_FAILED)
    } else {
        println!(
            "bench-gate: PASS: {} benchmark(s) within {:.0}%",
            rows.len(),
            a.threshold * 100.0
        );
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(point: f64, half: f64) -> Estimate {
        Estimate {
            confidence_interval: Interval {
                lower_bound: point - half,
                upper_bound: point + half,
            },
            point_estimate: point,
        }
    }

    #[test]
    fn slower_needs_both_the_threshold_and_separate_intervals() {
        let row = |b, n, half| Row {
            name: "x".into(),
            base: est(b, half),
            new: est(n, half),
        };
        assert!(row(100.0, 120.0, 2.0).slower(0.1));
        assert!(
            !row(100.0, 120.0, 15.0).slower(0.1),
            "overlapping intervals"
        );
        assert!(!row(100.0, 105.0, 1.0).slower(0.1), "within the threshold");
        assert!(!row(100.0, 80.0, 1.0).slower(0.1));
    }
}
