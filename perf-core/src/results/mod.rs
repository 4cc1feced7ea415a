//! The results directory of the contract, `results/<run-id>/`:
//! `runs.csv` (one row per point), `points/<n>.json`, `timeline.csv` (per second, per
//! endpoint) and `resources.csv`. [`ResultsWriter`] appends and flushes each point as it
//! completes (atomically, `runs.csv` last), so a run stopped in any way keeps every
//! whole point; [`read_runs`],
//! [`read_timeline`] and [`read_point`] read them back with errors that name file, line
//! and column. [`layout`] names every file of the directory, these and the commands' own.

use std::fs;
use std::path::{Path, PathBuf};

use crate::summary::PointDetail;

pub mod layout;
pub mod merge;
mod read;
pub use read::{read_histograms, read_point, read_runs, read_timeline, TimelineEntry};

/// Columns of `runs.csv` before the scenario's parameter columns.
pub const RUNS_COLUMNS: [&str; 29] = [
    "run_id",
    "scenario",
    "model",
    "users",
    "target_rps",
    "duration_s",
    "achieved_rps",
    "requests",
    "failures",
    "unfinished",
    "error_rate",
    "p50_us",
    "p90_us",
    "p95_us",
    "p99_us",
    "max_us",
    "mean_us",
    "fail_p50_us",
    "fail_p95_us",
    "fail_max_us",
    "dropped_iterations",
    "sut_cpu_pct",
    "sut_rss_mb",
    "gen_cpu_pct",
    "generator_saturated",
    "slo_pass",
    "complete",
    "point",
    "started_at",
];

/// Columns of `timeline.csv`.
pub const TIMELINE_COLUMNS: [&str; 9] = [
    "point", "second", "endpoint", "requests", "failures", "p50_us", "p95_us", "p99_us", "max_us",
];

/// Columns of `resources.csv`.
pub const RESOURCES_COLUMNS: [&str; 9] = [
    "point",
    "t_s",
    "gen_cpu_pct",
    "gen_rss_mb",
    "sut_cpu_pct",
    "sut_rss_mb",
    "machine_cpu_pct",
    "gen_lag_ms",
    "segment",
];

/// Reading or writing result files failed.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The output directory cannot be made or written.
    #[error("cannot write results to {path}")]
    Write {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The CSV structure is broken (unequal rows, bad quoting...).
    #[error("{path}:{line}: malformed CSV: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What the CSV reader said.
        reason: String,
    },
    /// A required column is absent from the header.
    #[error("{path}:1: missing column '{column}'")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A cell does not hold what its column needs.
    #[error("{path}:{line}: column '{column}' (column {index}): {reason}, got '{value}'")]
    BadCell {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Column name.
        column: String,
        /// 1-based column number.
        index: usize,
        /// The cell.
        value: String,
        /// What it should be.
        reason: &'static str,
    },
    /// The file has a header but no rows, or nothing at all.
    #[error("{path}: no load points in the file")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A stored histogram does not decode.
    #[error("{path}: unreadable histograms")]
    Histogram {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::hdr::HdrError,
    },
    /// A JSON file does not parse.
    #[error("{path}: invalid JSON")]
    Json {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

/// Writes one results directory. Every file is replaced atomically
/// ([`crate::atomic`]), and a point's `runs.csv` row is added only after its timeline,
/// resources and `points/<n>.json` are in place: a directory is readable after any stop,
/// and a point in `runs.csv` is whole.
#[derive(Debug)]
pub struct ResultsWriter {
    dir: PathBuf,
    param_names: Vec<String>,
}

fn w_err(path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + '_ {
    move |source| ResultsError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn csv_w_err(path: &Path) -> impl Fn(csv::Error) -> ResultsError + '_ {
    move |e| ResultsError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.3}")).unwrap_or_default()
}

/// CSV records as bytes.
fn csv_bytes<I, R>(path: &Path, records: I) -> Result<Vec<u8>, ResultsError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in records {
        w.write_record(r).map_err(csv_w_err(path))?;
    }
    w.into_inner()
        .map_err(|e| csv_w_err(path)(e.into_error().into()))
}

/// Appends CSV records to a result file, atomically.
fn append_csv<I, R>(path: &Path, records: I) -> Result<(), ResultsError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let bytes = csv_bytes(path, records)?;
    crate::atomic::append(path, &bytes).map_err(w_err(path))
}

/// Writes a JSON file atomically.
fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), ResultsError> {
    let body = serde_json::to_vec_pretty(value).map_err(|e| ResultsError::Json {
        path: path.to_path_buf(),
        source: e,
    })?;
    crate::atomic::write(path, &body).map_err(w_err(path))
}

impl ResultsWriter {
    /// Creates `<out>/<run_id>/` with headers written; fails if it can't be made.
    pub fn create(
        out: &Path,
        run_id: &str,
        param_names: Vec<String>,
    ) -> Result<Self, ResultsError> {
        let dir = out.join(run_id);
        fs::create_dir_all(layout::points_dir(&dir)).map_err(w_err(&dir))?;
        fs::create_dir_all(layout::histograms_dir(&dir)).map_err(w_err(&dir))?;
        let header = |name: &str, cols: Vec<String>| -> Result<(), ResultsError> {
            let path = dir.join(name);
            let bytes = csv_bytes(&path, [cols])?;
            crate::atomic::write(&path, &bytes).map_err(w_err(&path))
        };
        let mut runs_header: Vec<String> = RUNS_COLUMNS.iter().map(|s| s.to_string()).collect();
        runs_header.extend(param_names.iter().cloned());
        let strings = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        header("timeline.csv", strings(&TIMELINE_COLUMNS))?;
        header("resources.csv", strings(&RESOURCES_COLUMNS))?;
        header("runs.csv", runs_header)?;
        Ok(Self { dir, param_names })
    }

    /// The run's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds a point: its timeline, resources, histograms and JSON first, its `runs.csv`
    /// row last, each file replaced atomically and synced.
    pub fn write_point(
        &mut self,
        d: &PointDetail,
        timeline: &[crate::summary::TimelineRow],
        hists: &crate::hdr::PointHistograms,
    ) -> Result<(), ResultsError> {
        let r = &d.row;
        let tl_path = layout::timeline_csv(&self.dir);
        append_csv(
            &tl_path,
            timeline.iter().map(|t| {
                [
                    d.index.to_string(),
                    t.second.to_string(),
                    t.endpoint.clone(),
                    t.requests.to_string(),
                    t.failures.to_string(),
                    t.p50_us.to_string(),
                    t.p95_us.to_string(),
                    t.p99_us.to_string(),
                    t.max_us.to_string(),
                ]
            }),
        )?;

        let res_path = layout::resources_csv(&self.dir);
        append_csv(
            &res_path,
            d.resources.iter().map(|s| {
                [
                    d.index.to_string(),
                    format!("{:.3}", s.t_s),
                    format!("{:.2}", s.gen_cpu_pct),
                    format!("{:.2}", s.gen_rss_mb),
                    opt(s.sut_cpu_pct),
                    opt(s.sut_rss_mb),
                    format!("{:.2}", s.machine_cpu_pct),
                    s.gen_lag_ms.map_or(String::new(), |v| format!("{v:.3}")),
                    s.segment.map_or(String::new(), |v| v.to_string()),
                ]
            }),
        )?;

        write_json(&layout::point_histograms(&self.dir, d.index), hists)?;
        write_json(&layout::point_json(&self.dir, d.index), d)?;

        let mut rec = vec![
            r.run_id.clone(),
            r.scenario.clone(),
            r.model.to_string(),
            r.users.to_string(),
            opt(r.target_rps),
            format!("{:.3}", r.duration_s),
            format!("{:.3}", r.achieved_rps),
            r.requests.to_string(),
            r.failures.to_string(),
            r.unfinished.to_string(),
            format!("{:.6}", r.error_rate),
            r.p50_us.to_string(),
            r.p90_us.to_string(),
            r.p95_us.to_string(),
            r.p99_us.to_string(),
            r.max_us.to_string(),
            format!("{:.1}", r.mean_us),
            r.fail_p50_us.map_or_else(String::new, |v| v.to_string()),
            r.fail_p95_us.map_or_else(String::new, |v| v.to_string()),
            r.fail_max_us.map_or_else(String::new, |v| v.to_string()),
            r.dropped_iterations.to_string(),
            opt(r.sut_cpu_pct),
            opt(r.sut_rss_mb),
            format!("{:.3}", r.gen_cpu_pct),
            r.generator_saturated.to_string(),
            r.slo_pass.to_string(),
            r.complete.to_string(),
            d.index.to_string(),
            d.started_at.clone(),
        ];
        rec.extend(
            self.param_names
                .iter()
                .map(|n| format!("{}", r.params.get(n))),
        );
        append_csv(&layout::runs_csv(&self.dir), [rec])
    }
}
