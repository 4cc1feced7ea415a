//! `search.json`: a [`SearchReport`] with what it searched (scenario, SLOs, parameters),
//! written by [`write()`] and read back by [`SearchFile::read`] wherever a search is used
//! again: the report's breaking point and `search --prior`.

use std::path::{Path, PathBuf};

use perf_core::results::layout;
use perf_core::{Params, Slo};
use serde::{Deserialize, Serialize};

use super::{IntervalKind, PriorPoint, SearchReport, StopReason};

/// Why `search.json` could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SearchFileError {
    /// The file cannot be written.
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file cannot be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file is not a search's.
    #[error("{path}: not a search.json: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Serialize)]
struct Written<'a> {
    scenario: &'a str,
    slos: Vec<&'a str>,
    params: String,
    #[serde(flatten)]
    report: &'a SearchReport,
}

/// Writes `report` to `<dir>/search.json` with what it searched, whole or not at all;
/// returns the path.
pub fn write(
    dir: &Path,
    report: &SearchReport,
    scenario: &str,
    slos: &[Slo],
    params: &Params,
) -> Result<PathBuf, SearchFileError> {
    let json = serde_json::to_string_pretty(&Written {
        scenario,
        slos: slos.iter().map(|s| s.rule.as_str()).collect(),
        params: params.to_string(),
        report,
    })
    .expect("a search report serialises");
    let path = layout::search_json(dir);
    perf_core::atomic::write(&path, (json + "\n").as_bytes()).map_err(|error| {
        SearchFileError::Write {
            path: path.clone(),
            error,
        }
    })?;
    Ok(path)
}

/// A `search.json` as read back: the fields later uses need. Files from before the
/// scenario, SLOs, parameters or interval kind were recorded have `None` there.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SearchFile {
    /// The scenario searched.
    #[serde(default)]
    pub scenario: Option<String>,
    /// The SLO rules that defined "breaks".
    #[serde(default)]
    pub slos: Option<Vec<String>>,
    /// The fixed parameters, as `name=value ...`.
    #[serde(default)]
    pub params: Option<String>,
    /// Why it stopped.
    pub stop: StopReason,
    /// The breaking point, req/s.
    pub estimate: Option<f64>,
    /// Its interval; the upper end is `None` when it may lie above the range.
    pub interval: Option<(Option<f64>, Option<f64>)>,
    /// What that interval is.
    #[serde(default)]
    pub interval_kind: Option<IntervalKind>,
    /// The interval's probability (a bracket has none).
    #[serde(default)]
    pub confidence: Option<f64>,
    /// Every point, in order.
    pub points: Vec<PriorPoint>,
    /// The SLO that breaks first.
    #[serde(default)]
    pub breaking_slo: Option<String>,
}

impl SearchFile {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Self, SearchFileError> {
        let text = std::fs::read(path).map_err(|error| SearchFileError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        serde_json::from_slice(&text).map_err(|e| SearchFileError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// The interval's ends, when it has a lower one.
    pub fn bounds(&self) -> Option<(f64, Option<f64>)> {
        self.interval.and_then(|(l, h)| Some((l?, h)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::synthetic::SyntheticTarget;
    use crate::search::{SearchParams, Strategy};

    #[test]
    fn a_written_search_reads_back_with_what_it_searched() {
        let d = tempfile::tempdir().unwrap();
        let slos = perf_core::parse_slos("p95<50ms").unwrap();
        let report = SearchParams::new(20.0, 3000.0)
            .strategy(Strategy::Gp)
            .check()
            .unwrap()
            .run(&mut SyntheticTarget::new(300.0, 10.0, slos.clone()))
            .unwrap();
        assert!(report.estimate.is_some(), "{report}");
        let params = Params::from_values([("size".to_string(), 64.0)]);
        let path = write(d.path(), &report, "api", &slos, &params).unwrap();
        let back = SearchFile::read(&path).unwrap();
        assert_eq!(back.scenario.as_deref(), Some("api"));
        assert_eq!(back.slos, Some(vec!["p95<50ms".to_string()]));
        assert_eq!(back.params, Some(params.to_string()));
        assert_eq!(back.stop, report.stop);
        assert_eq!(back.estimate, report.estimate);
        assert_eq!(back.points.len(), report.points.len());
        assert_eq!(
            back.bounds().map(|(l, _)| l),
            report.interval.map(|(l, _)| l)
        );
    }

    #[test]
    fn a_file_that_is_not_a_search_names_itself() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("search.json");
        std::fs::write(&path, "{\"points\": 3}").unwrap();
        let e = SearchFile::read(&path).unwrap_err().to_string();
        assert!(e.contains("search.json: not a search.json"), "{e}");
        let e = SearchFile::read(&d.path().join("none.json"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cannot read"), "{e}");
    }
}
