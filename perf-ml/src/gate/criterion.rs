//! The benchmark gate: criterion's latest estimates (`<bench>/new/estimates.json`)
//! against a saved criterion baseline (`<bench>/<NAME>/estimates.json`, written by
//! `cargo bench -- --save-baseline NAME`). A benchmark is slower when its median is
//! slower by more than the threshold *and* the two medians' 95% intervals do not
//! overlap; faster in the mirror case.
//!
//! ```
//! use perf_ml::gate::criterion::{compare_dir, BenchVerdict};
//!
//! let dir = tempfile::tempdir()?;
//! for (side, median) in [("main", 100.0), ("new", 130.0)] {
//!     let d = dir.path().join("parse/small").join(side);
//!     std::fs::create_dir_all(&d)?;
//!     let e = format!(r#"{{"median": {{"point_estimate": {median},
//!         "confidence_interval": {{"lower_bound": {}, "upper_bound": {}}}}}}}"#,
//!         median - 2.0, median + 2.0);
//!     std::fs::write(d.join("estimates.json"), e)?;
//! }
//! let gate = compare_dir(dir.path(), "main")?;
//! assert_eq!(gate.rows[0].name, "parse/small");
//! assert_eq!(gate.rows[0].verdict(0.10), BenchVerdict::Slower);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why the benchmarks cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum BenchGateError {
    /// The baseline name is not one criterion would write.
    #[error("'{0}': must be a criterion baseline name (not 'new', no slashes)")]
    BadName(String),
    /// The criterion folder does not exist.
    #[error("{0}: no such folder; run `cargo bench` first")]
    NoDir(PathBuf),
    /// An estimates file cannot be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// An estimates file is not criterion's, or its median is not a time.
    #[error("{path}: {reason}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No benchmark has the baseline.
    #[error("no benchmark under {dir} has a saved baseline '{baseline}'; save one with `cargo bench -p benches -- --save-baseline {baseline}`")]
    NoBaseline {
        /// The criterion folder.
        dir: PathBuf,
        /// The baseline name.
        baseline: String,
    },
}

/// A 95% interval, ns.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Interval {
    /// Lower end.
    pub lower_bound: f64,
    /// Upper end.
    pub upper_bound: f64,
}

/// A median time per iteration with its interval, ns.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Estimate {
    /// The interval.
    pub confidence_interval: Interval,
    /// The median.
    pub point_estimate: f64,
}

#[derive(Debug, Deserialize)]
struct Estimates {
    median: Estimate,
}

/// What became of one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchVerdict {
    /// Slower beyond the threshold, intervals apart.
    Slower,
    /// Faster beyond the threshold, intervals apart.
    Faster,
    /// Neither.
    Ok,
}

/// One benchmark's two medians.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    /// Its path under the criterion folder (`group/function`).
    pub name: String,
    /// The baseline's median.
    pub base: Estimate,
    /// The latest median.
    pub new: Estimate,
}

impl BenchRow {
    /// Relative change of the median (0.1 = 10% slower).
    pub fn change(&self) -> f64 {
        self.new.point_estimate / self.base.point_estimate - 1.0
    }

    /// The verdict at `threshold` (0.1 = 10%).
    pub fn verdict(&self, threshold: f64) -> BenchVerdict {
        let (b, n) = (self.base.confidence_interval, self.new.confidence_interval);
        if self.change() > threshold && n.lower_bound > b.upper_bound {
            BenchVerdict::Slower
        } else if self.change() < -threshold && n.upper_bound < b.lower_bound {
            BenchVerdict::Faster
        } else {
            BenchVerdict::Ok
        }
    }
}

/// Every benchmark with both sides, and how many had no baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchGate {
    /// By name.
    pub rows: Vec<BenchRow>,
    /// Benchmarks without the baseline (not judged).
    pub unmatched: usize,
}

fn read(path: &Path) -> Result<Estimate, BenchGateError> {
    let text = std::fs::read_to_string(path).map_err(|error| BenchGateError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let bad = |reason: String| BenchGateError::Bad {
        path: path.to_path_buf(),
        reason,
    };
    let e: Estimates =
        serde_json::from_str(&text).map_err(|e| bad(format!("not criterion estimates: {e}")))?;
    let m = e.median.point_estimate;
    if !(m.is_finite() && m > 0.0) {
        return Err(bad(format!(
            "the median estimate is {m}, expected a time above 0"
        )));
    }
    Ok(e.median)
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

/// Pairs every benchmark under the criterion folder `dir` with its saved `baseline`.
pub fn compare_dir(dir: &Path, baseline: &str) -> Result<BenchGate, BenchGateError> {
    if baseline.is_empty() || baseline == "new" || baseline.contains(['/', '\\']) {
        return Err(BenchGateError::BadName(baseline.to_string()));
    }
    if !dir.is_dir() {
        return Err(BenchGateError::NoDir(dir.to_path_buf()));
    }
    let mut rows = Vec::new();
    let mut unmatched = 0;
    for (name, bench) in benchmarks(dir) {
        let base_path = bench.join(baseline).join("estimates.json");
        if !base_path.is_file() {
            unmatched += 1;
            continue;
        }
        rows.push(BenchRow {
            name,
            base: read(&base_path)?,
            new: read(&bench.join("new").join("estimates.json"))?,
        });
    }
    if rows.is_empty() {
        return Err(BenchGateError::NoBaseline {
            dir: dir.to_path_buf(),
            baseline: baseline.to_string(),
        });
    }
    Ok(BenchGate { rows, unmatched })
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
        let row = |b, n, half| BenchRow {
            name: "x".into(),
            base: est(b, half),
            new: est(n, half),
        };
        assert_eq!(row(100.0, 120.0, 2.0).verdict(0.1), BenchVerdict::Slower);
        assert_eq!(
            row(100.0, 120.0, 15.0).verdict(0.1),
            BenchVerdict::Ok,
            "overlapping intervals"
        );
        assert_eq!(
            row(100.0, 105.0, 1.0).verdict(0.1),
            BenchVerdict::Ok,
            "within the threshold"
        );
        assert_eq!(row(100.0, 80.0, 1.0).verdict(0.1), BenchVerdict::Faster);
    }

    #[test]
    fn bad_folders_names_and_files_are_named() {
        let d = tempfile::tempdir().unwrap();
        let e = |dir: &Path, name: &str| compare_dir(dir, name).unwrap_err().to_string();
        assert!(e(d.path(), "new").contains("not 'new'"));
        assert!(e(d.path(), "a/b").contains("no slashes"));
        assert!(
            e(&d.path().join("none"), "main").ends_with("no such folder; run `cargo bench` first")
        );
        assert!(e(d.path(), "main").starts_with("no benchmark under"));
        let b = d.path().join("x");
        std::fs::create_dir_all(b.join("new")).unwrap();
        std::fs::create_dir_all(b.join("main")).unwrap();
        std::fs::write(b.join("new/estimates.json"), "{}").unwrap();
        std::fs::write(b.join("main/estimates.json"), "{}").unwrap();
        assert!(e(d.path(), "main").contains("not criterion estimates"));
        let zero = r#"{"median": {"point_estimate": 0, "confidence_interval": {"lower_bound": 0, "upper_bound": 0}}}"#;
        std::fs::write(b.join("main/estimates.json"), zero).unwrap();
        assert!(e(d.path(), "main").contains("expected a time above 0"));
    }
}
