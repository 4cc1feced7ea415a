//! Coverage of the latency model's 90% prediction intervals, leave one load level out
//! (issue 14.6): for each results directory (one sweep), for each of its load levels,
//! fit the models on the other levels exactly as `perf-scenarios fit` does, predict
//! the left-out level, and count whether its measured p50, p95 and p99 fall inside the
//! predicted 90% intervals. Prints one line per sweep and the total.
//!
//! `interval_coverage <results dir>...` (run by `benches/scripts/interval-coverage.sh`)

use std::path::{Path, PathBuf};

use perf_ml::data::{levels, Dataset};
use perf_ml::fit::{fit, predict};

/// Covered / counted per percentile, and the levels whose fit gave no interval.
#[derive(Default)]
struct Tally {
    covered: [usize; 3],
    counted: usize,
    no_interval: usize,
    /// The left-out loads whose p95 fell outside its interval.
    missed_p95: Vec<f64>,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        for i in 0..3 {
            self.covered[i] += other.covered[i];
        }
        self.counted += other.counted;
        self.no_interval += other.no_interval;
        self.missed_p95.extend(&other.missed_p95);
    }

    fn line(&self) -> String {
        let pct = |c: usize| 100.0 * c as f64 / self.counted.max(1) as f64;
        let [a, b, c] = self.covered;
        let n = self.counted;
        format!(
            "p50 {a}/{n} ({:.0}%), p95 {b}/{n} ({:.0}%), p99 {c}/{n} ({:.0}%); no interval at {} level(s); p95 missed at {:?} req/s",
            pct(a),
            pct(b),
            pct(c),
            self.no_interval,
            self.missed_p95
        )
    }
}

/// Why a sweep could not be scored: its directory is not readable results (bad input,
/// exit 2), or a fit or prediction failed on it (exit 1).
enum Failure {
    Input(String),
    Model(String),
}

fn sweep(dir: &Path) -> Result<Tally, Failure> {
    let data =
        Dataset::load(&[dir.to_path_buf()], None).map_err(|e| Failure::Input(e.to_string()))?;
    let mut tally = Tally::default();
    for level in levels(&data.points) {
        let same = |l: f64| (l - level).abs() <= 1e-9 * level.max(1.0);
        let mut train = data.clone();
        train.points.retain(|p| !same(p.load));
        // The per-endpoint models are not what is measured here: skip their fits.
        train.endpoints.clear();
        let model =
            fit(&train, 1).map_err(|e| Failure::Model(format!("fit without {level}: {e}")))?;
        for p in data.points.iter().filter(|p| same(p.load)) {
            if p.requests == p.failures {
                continue; // no successful request: no latency to cover
            }
            let named: Vec<(String, f64)> = data
                .param_names
                .iter()
                .cloned()
                .zip(p.params.iter().copied())
                .collect();
            let pred = predict(&model, level, &named).map_err(|e| Failure::Model(e.to_string()))?;
            let Some(iv) = pred.latency_interval_us else {
                tally.no_interval += 1;
                continue;
            };
            tally.counted += 1;
            for (i, (lo, hi)) in iv.iter().enumerate() {
                if (*lo..=*hi).contains(&p.latency[i]) {
                    tally.covered[i] += 1;
                } else if i == 1 {
                    tally.missed_p95.push(level);
                }
            }
        }
    }
    Ok(tally)
}

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: interval_coverage <results dir>...");
        std::process::exit(2);
    }
    let mut total = Tally::default();
    for d in &dirs {
        match sweep(d) {
            Ok(t) => {
                println!("{}: {}", d.display(), t.line());
                total.add(&t);
            }
            Err(Failure::Input(e)) => {
                eprintln!("error: {}: {e}", d.display());
                std::process::exit(2);
            }
            Err(Failure::Model(e)) => {
                eprintln!("error: {}: {e}", d.display());
                std::process::exit(1);
            }
        }
    }
    println!("all {} sweep(s): {}", dirs.len(), total.line());
}
