//! Readers of the result files, with errors that name file, line and column.

use std::fs;
use std::path::Path;

use super::{ResultsError, RUNS_COLUMNS, TIMELINE_COLUMNS};
use crate::params::Params;
use crate::summary::{PointDetail, PointRow, TimelineRow};

/// Reads one `points/<n>.json`.
pub fn read_point(path: &Path) -> Result<PointDetail, ResultsError> {
    read_json(path)
}

/// Reads a `histograms/<n>.json` ([`crate::hdr::PointHistograms`]), checking its version
/// (the histograms decode when they are rebuilt, [`crate::record::Acc::from_stored`]).
pub fn read_histograms(path: &Path) -> Result<crate::hdr::PointHistograms, ResultsError> {
    let h: crate::hdr::PointHistograms = read_json(path)?;
    let bad = |e: crate::hdr::HdrError| ResultsError::Histogram {
        path: path.to_path_buf(),
        source: e,
    };
    h.check_version().map_err(bad)?;
    Ok(h)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ResultsError> {
    let text = fs::read(path).map_err(|source| ResultsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&text).map_err(|source| ResultsError::Json {
        path: path.to_path_buf(),
        source,
    })
}

struct Row<'a> {
    path: &'a Path,
    line: u64,
    rec: &'a csv::StringRecord,
    cols: &'a [String],
}

impl Row<'_> {
    fn cell(&self, name: &str) -> Result<(&str, usize), ResultsError> {
        let i = self.cols.iter().position(|c| c == name).ok_or_else(|| {
            ResultsError::MissingColumn {
                path: self.path.to_path_buf(),
                column: name.to_string(),
            }
        })?;
        Ok((self.rec.get(i).unwrap_or("").trim(), i))
    }

    fn bad(&self, name: &str, index: usize, value: &str, reason: &'static str) -> ResultsError {
        ResultsError::BadCell {
            path: self.path.to_path_buf(),
            line: self.line,
            column: name.to_string(),
            index: index + 1,
            value: value.to_string(),
            reason,
        }
    }

    fn text(&self, name: &str) -> Result<String, ResultsError> {
        Ok(self.cell(name)?.0.to_string())
    }

    fn f64(&self, name: &str) -> Result<f64, ResultsError> {
        let (v, i) = self.cell(name)?;
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            Ok(_) => Err(self.bad(name, i, v, "expected a finite number (not NaN or infinity)")),
            Err(_) => Err(self.bad(name, i, v, "expected a number")),
        }
    }

    fn opt_f64(&self, name: &str) -> Result<Option<f64>, ResultsError> {
        let (v, _) = self.cell(name)?;
        if v.is_empty() {
            Ok(None)
        } else {
            self.f64(name).map(Some)
        }
    }

    fn u64(&self, name: &str) -> Result<u64, ResultsError> {
        let (v, i) = self.cell(name)?;
        v.parse::<u64>()
            .map_err(|_| self.bad(name, i, v, "expected a whole number of at least 0"))
    }

    fn opt_u64(&self, name: &str) -> Result<Option<u64>, ResultsError> {
        let (v, _) = self.cell(name)?;
        if v.is_empty() {
            Ok(None)
        } else {
            self.u64(name).map(Some)
        }
    }

    fn bool(&self, name: &str) -> Result<bool, ResultsError> {
        let (v, i) = self.cell(name)?;
        match v {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.bad(name, i, v, "expected true or false")),
        }
    }
}

/// A CSV error as [`ResultsError::Malformed`], with the line it happened on.
fn malformed(path: &Path, e: csv::Error) -> ResultsError {
    ResultsError::Malformed {
        path: path.to_path_buf(),
        line: e.position().map_or(1, |p| p.line()),
        reason: e.to_string(),
    }
}

/// A result file's CSV reader, over the file's bytes.
type CsvReader = csv::Reader<std::io::Cursor<Vec<u8>>>;

/// Opens a result CSV and reads its header (trimmed column names). A last line without
/// its newline and with fewer fields than the header was cut off while being written
/// (by a writer that was not atomic, or a copy that stopped): it is left out, with a
/// warning on stderr, so the whole rows before it stay readable.
fn open_csv(path: &Path) -> Result<(CsvReader, Vec<String>), ResultsError> {
    let mut bytes = fs::read(path).map_err(|source| ResultsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(cut) = partial_last_line(&bytes) {
        let line = bytes[..cut].iter().filter(|b| **b == b'\n').count() + 1;
        eprintln!(
            "warning: {}:{line}: left out an incomplete last line (the file was cut off while it was written)",
            path.display()
        );
        bytes.truncate(cut);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(std::io::Cursor::new(bytes));
    let cols = rdr
        .headers()
        .map_err(|e| malformed(path, e))?
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    Ok((rdr, cols))
}

/// Where a cut-off last line starts: the file does not end with a newline, it has a
/// header line before, and the last line has fewer fields than the header.
fn partial_last_line(bytes: &[u8]) -> Option<usize> {
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return None;
    }
    let start = bytes.iter().rposition(|b| *b == b'\n')? + 1;
    let fields = |line: &[u8]| {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(line)
            .records()
            .next()
            .and_then(Result::ok)
            .map_or(0, |r| r.len())
    };
    let header_end = bytes.iter().position(|b| *b == b'\n')?;
    (fields(&bytes[start..]) < fields(&bytes[..header_end])).then_some(start)
}

/// Columns a `runs.csv` may lack: written by earlier versions without them (read as 0
/// or empty).
const OPTIONAL_RUNS_COLUMNS: [&str; 6] = [
    "point",
    "started_at",
    "unfinished",
    "fail_p50_us",
    "fail_p95_us",
    "fail_max_us",
];

/// Reads `runs.csv`. Parameter columns are every column after the contract's. Long
/// because it reads the contract's columns one by one, each with its own check.
pub fn read_runs(path: &Path) -> Result<Vec<PointRow>, ResultsError> {
    let (mut rdr, cols) = open_csv(path)?;
    let malformed = |e: csv::Error| malformed(path, e);
    if cols.iter().all(String::is_empty) {
        return Err(ResultsError::Empty {
            path: path.to_path_buf(),
        });
    }
    for c in RUNS_COLUMNS
        .iter()
        .filter(|c| !OPTIONAL_RUNS_COLUMNS.contains(c))
    {
        if !cols.iter().any(|h| h == c) {
            return Err(ResultsError::MissingColumn {
                path: path.to_path_buf(),
                column: c.to_string(),
            });
        }
    }
    let param_cols: Vec<(usize, String)> = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| !RUNS_COLUMNS.contains(&c.as_str()))
        .map(|(i, c)| (i, c.clone()))
        .collect();
    // Results written before unfinished requests were counted, or before failed
    // requests had durations of their own, lack those columns.
    let has_unfinished = cols.iter().any(|c| c == "unfinished");
    let has_fail = cols.iter().any(|c| c == "fail_p50_us");
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(malformed)?;
        let line = rec.position().map_or(0, |p| p.line());
        let row = Row {
            path,
            line,
            rec: &rec,
            cols: &cols,
        };
        let mut overrides = Vec::new();
        for (i, name) in &param_cols {
            let v = rec.get(*i).unwrap_or("").trim();
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => overrides.push((name.clone(), x)),
                _ => {
                    return Err(row.bad(name, *i, v, "expected a finite number (parameter value)"))
                }
            }
        }
        out.push(PointRow {
            run_id: row.text("run_id")?,
            scenario: row.text("scenario")?,
            model: match row.text("model")?.parse() {
                Ok(m) => m,
                Err(_) => {
                    let (v, i) = row.cell("model")?;
                    return Err(row.bad("model", i, v, "expected open or closed"));
                }
            },
            users: row.u64("users")?,
            target_rps: row.opt_f64("target_rps")?,
            duration_s: row.f64("duration_s")?,
            achieved_rps: row.f64("achieved_rps")?,
            requests: row.u64("requests")?,
            failures: row.u64("failures")?,
            unfinished: if has_unfinished {
                row.u64("unfinished")?
            } else {
                0
            },
            error_rate: row.f64("error_rate")?,
            p50_us: row.u64("p50_us")?,
            p90_us: row.u64("p90_us")?,
            p95_us: row.u64("p95_us")?,
            p99_us: row.u64("p99_us")?,
            max_us: row.u64("max_us")?,
            mean_us: row.f64("mean_us")?,
            fail_p50_us: if has_fail {
                row.opt_u64("fail_p50_us")?
            } else {
                None
            },
            fail_p95_us: if has_fail {
                row.opt_u64("fail_p95_us")?
            } else {
                None
            },
            fail_max_us: if has_fail {
                row.opt_u64("fail_max_us")?
            } else {
                None
            },
            dropped_iterations: row.u64("dropped_iterations")?,
            sut_cpu_pct: row.opt_f64("sut_cpu_pct")?,
            sut_rss_mb: row.opt_f64("sut_rss_mb")?,
            gen_cpu_pct: row.f64("gen_cpu_pct")?,
            generator_saturated: row.bool("generator_saturated")?,
            slo_pass: row.bool("slo_pass")?,
            complete: row.bool("complete")?,
            params: Params::from_values(overrides),
        });
    }
    if out.is_empty() {
        return Err(ResultsError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// One row of `timeline.csv`: the point it belongs to and the second's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    /// The load point's index.
    pub point: usize,
    /// The second's row.
    pub row: TimelineRow,
}

/// Reads `timeline.csv` (per point, per second, per endpoint). A header with no rows is
/// an empty timeline, not an error: a point shorter than a second has none.
pub fn read_timeline(path: &Path) -> Result<Vec<TimelineEntry>, ResultsError> {
    let (mut rdr, cols) = open_csv(path)?;
    let malformed = |e: csv::Error| malformed(path, e);
    if let Some(c) = TIMELINE_COLUMNS
        .iter()
        .find(|c| !cols.iter().any(|h| h == *c))
    {
        return Err(ResultsError::MissingColumn {
            path: path.to_path_buf(),
            column: c.to_string(),
        });
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(malformed)?;
        let row = Row {
            path,
            line: rec.position().map_or(0, |p| p.line()),
            rec: &rec,
            cols: &cols,
        };
        let endpoint = row.text("endpoint")?;
        if endpoint.is_empty() {
            let (v, i) = row.cell("endpoint")?;
            return Err(row.bad("endpoint", i, v, "expected an endpoint name"));
        }
        out.push(TimelineEntry {
            point: row.u64("point")? as usize,
            row: TimelineRow {
                second: row.u64("second")?,
                endpoint,
                requests: row.u64("requests")?,
                failures: row.u64("failures")?,
                p50_us: row.u64("p50_us")?,
                p95_us: row.u64("p95_us")?,
                p99_us: row.u64("p99_us")?,
                max_us: row.u64("max_us")?,
            },
        });
    }
    Ok(out)
}
