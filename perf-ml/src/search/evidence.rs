//! The earlier evidence a warm-started search begins from ([`super::prior`]), read from
//! a results directory (its points judged under the current SLOs), a `search.json` (its
//! breaking point, when it was searched under the same SLOs), or a model file from `fit`
//! (its capacity at the SLOs, with its interval): [`load`]. Evidence of another
//! scenario, or a file that is none of these, is an [`EvidenceError`] naming the file.

use std::path::{Path, PathBuf};

use perf_core::probe::ProbeOutcome;
use perf_core::results::{layout, read_point, read_timeline};
use perf_core::{LoadModel, ModelKind, Params, Slo};

use super::{Prior, PriorPoint, SearchFile, SearchFileError, StopReason};
use crate::analyze::capacity::{capacity_at_slo, slo_limits};
use crate::model_file::ModelFile;

/// What a prior must match.
#[derive(Debug)]
pub struct Expect<'a> {
    /// The scenario searched.
    pub scenario: &'a str,
    /// Its parameters.
    pub params: &'a Params,
    /// The SLOs that define "breaks".
    pub slos: &'a [Slo],
}

/// Why a file or directory is no evidence for the search.
#[derive(Debug, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct EvidenceError {
    /// The file or directory.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

fn bad(path: &Path, why: impl std::fmt::Display) -> EvidenceError {
    EvidenceError {
        path: path.to_path_buf(),
        reason: why.to_string(),
    }
}

/// Reads the prior at `path`.
pub fn load(path: &Path, want: &Expect<'_>) -> Result<Prior, EvidenceError> {
    if path.is_dir() {
        let search = layout::search_json(path);
        if search.is_file() {
            if let Some(p) = from_search(&search, want)? {
                return Ok(p);
            }
        }
        return from_dir(path, want);
    }
    let text = std::fs::read(path).map_err(|e| bad(path, e))?;
    let v: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| bad(path, format!("invalid JSON: {e}")))?;
    if v.get("schema_version").is_some() {
        return from_model(path, want);
    }
    if v.get("points").is_some() && v.get("strategy").is_some() {
        return match from_search(path, want)? {
            Some(p) => Ok(p),
            None => from_dir(path.parent().unwrap_or(Path::new(".")), want),
        };
    }
    Err(bad(
        path,
        "not a results directory, a search.json or a model file from `fit`",
    ))
}

/// An earlier search searched under the same SLOs and parameters: its breaking point
/// and points. `None` when either differs (or it does not say): its points must then be
/// judged again from its directory, which also checks each point's parameters.
fn from_search(path: &Path, want: &Expect<'_>) -> Result<Option<Prior>, EvidenceError> {
    let f = SearchFile::read(path).map_err(|e| match e {
        SearchFileError::Parse { reason, .. } => bad(path, format!("not a search.json: {reason}")),
        SearchFileError::Read { error, .. } => bad(path, error),
        other => bad(path, other),
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let scenario = match f.scenario.clone() {
        Some(s) => s,
        None => scenario_of_dir(dir).ok_or_else(|| {
            bad(
                path,
                "names no scenario, and no results beside it tell which it searched",
            )
        })?,
    };
    same_scenario(path, &scenario, want)?;
    let rules: Vec<String> = want.slos.iter().map(|s| s.rule.clone()).collect();
    if f.slos.as_ref() != Some(&rules) || f.params != Some(want.params.to_string()) {
        return Ok(None);
    }
    // `SearchReport::found` for a gp search: a breaking point inside the range.
    let found = matches!(f.stop, StopReason::Converged | StopReason::Budget);
    let interval = f.bounds().and_then(|(l, h)| Some((l, h?)));
    Ok(Some(Prior {
        source: path.display().to_string(),
        points: f.points,
        estimate: f.estimate.filter(|_| found),
        interval: interval.filter(|_| found),
    }))
}

/// The scenario of the points in a results directory, if it has any.
fn scenario_of_dir(dir: &Path) -> Option<String> {
    point_files(dir)
        .ok()?
        .first()
        .and_then(|f| read_point(f).ok())
        .map(|d| d.row.scenario)
}

fn point_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(layout::points_dir(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn same_scenario(path: &Path, found: &str, want: &Expect<'_>) -> Result<(), EvidenceError> {
    if found == want.scenario {
        Ok(())
    } else {
        Err(bad(
            path,
            format!(
                "holds scenario '{found}', not '{}': a prior must be evidence about the same scenario",
                want.scenario
            ),
        ))
    }
}

/// The complete open-model points of a results directory with the same parameters,
/// judged under the current SLOs.
fn from_dir(dir: &Path, want: &Expect<'_>) -> Result<Prior, EvidenceError> {
    let files = point_files(dir).map_err(|_| {
        bad(
            dir,
            "not a results directory (it has no points/): give results/<run-id>, its search.json, or a model file",
        )
    })?;
    let timeline_path = layout::timeline_csv(dir);
    let timeline = if timeline_path.is_file() {
        read_timeline(&timeline_path).map_err(|e| bad(dir, format!("{e:#}")))?
    } else {
        Vec::new()
    };
    let mut points = Vec::new();
    let mut other_params = 0;
    for f in &files {
        let mut d = read_point(f).map_err(|e| bad(dir, e))?;
        same_scenario(f, &d.row.scenario, want)?;
        let LoadModel::Open { rate, .. } = d.config.model else {
            continue;
        };
        if &d.config.params != want.params {
            other_params += 1;
            continue;
        }
        if !d.row.complete {
            continue;
        }
        d.slo = d.judge(want.slos);
        let rows: Vec<_> = timeline
            .iter()
            .filter(|t| t.point == d.index)
            .map(|t| t.row.clone())
            .collect();
        if let Some(p) = PriorPoint::from_outcome(&ProbeOutcome::from_point(rate, &d, &rows, None))
        {
            points.push(p);
        }
    }
    if points.is_empty() {
        return Err(bad(
            dir,
            format!(
                "no complete open-model point of scenario '{}' with these parameters{}",
                want.scenario,
                if other_params > 0 {
                    format!(" ({other_params} point(s) had other parameter values)")
                } else {
                    String::new()
                }
            ),
        ));
    }
    Ok(Prior {
        source: dir.display().to_string(),
        points,
        estimate: None,
        interval: None,
    })
}

/// A model's capacity at the SLOs, with its interval.
fn from_model(path: &Path, want: &Expect<'_>) -> Result<Prior, EvidenceError> {
    let m = ModelFile::load(path).map_err(|e| bad(path, format!("{e:#}")))?;
    same_scenario(path, &m.scenario, want)?;
    if m.training.load_model == ModelKind::Closed {
        return Err(bad(
            path,
            "was fitted on closed-model data (users); the search needs arrival rates",
        ));
    }
    let (p95, err) = slo_limits(want.slos).ok_or_else(|| {
        bad(
            path,
            "a model predicts p95 latency and error rate, and the SLOs have neither rule",
        )
    })?;
    let c = capacity_at_slo(&m, p95, err).ok_or_else(|| {
        bad(
            path,
            "the model fails the SLOs at every load it knows: it gives no capacity to start from",
        )
    })?;
    if c.limited_by == "neither" {
        return Err(bad(
            path,
            format!(
                "the model meets the SLOs up to {:.1} req/s, the top of what it can say: it gives no capacity to start from",
                c.load
            ),
        ));
    }
    Ok(Prior {
        source: path.display().to_string(),
        points: Vec::new(),
        estimate: Some(c.load),
        interval: c.interval,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::synthetic::SyntheticTarget;
    use crate::search::SearchParams;

    /// A gp search of a synthetic target, written to `dir`: the file and the search.
    fn searched(
        dir: &Path,
        scenario: &str,
        slos: &[Slo],
        params: &Params,
    ) -> (PathBuf, crate::search::SearchReport) {
        let report = SearchParams::new(20.0, 3000.0)
            .check()
            .unwrap()
            .run(&mut SyntheticTarget::new(300.0, 10.0, slos.to_vec()))
            .unwrap();
        let path = crate::search::file::write(dir, &report, scenario, slos, params).unwrap();
        (path, report)
    }

    #[test]
    fn a_search_under_the_same_slos_gives_its_breaking_point() {
        let d = tempfile::tempdir().unwrap();
        let slos = perf_core::parse_slos("p95<50ms").unwrap();
        let params = Params::default();
        let (path, report) = searched(d.path(), "api", &slos, &params);
        assert!(report.found(), "{report}");
        let want = Expect {
            scenario: "api",
            params: &params,
            slos: &slos,
        };
        let p = load(&path, &want).unwrap();
        let e = p.estimate.unwrap();
        assert_eq!(Some(e), report.estimate);
        assert_eq!(p.interval, report.interval);
        assert_eq!(p.points.len(), report.points.len());
        // The directory holding it reads the same.
        assert_eq!(load(d.path(), &want).unwrap().estimate, Some(e));
    }

    #[test]
    fn evidence_of_something_else_is_named() {
        let d = tempfile::tempdir().unwrap();
        let slos = perf_core::parse_slos("p95<50ms").unwrap();
        let params = Params::default();
        let want = Expect {
            scenario: "checkout",
            params: &params,
            slos: &slos,
        };
        let (path, _) = searched(d.path(), "api", &slos, &params);
        let e = load(&path, &want).unwrap_err().to_string();
        assert!(e.ends_with("holds scenario 'api', not 'checkout': a prior must be evidence about the same scenario"), "{e}");

        let other = d.path().join("other.json");
        std::fs::write(&other, "{\"hello\": 1}").unwrap();
        let e = load(&other, &want).unwrap_err().to_string();
        assert!(
            e.ends_with("not a results directory, a search.json or a model file from `fit`"),
            "{e}"
        );

        std::fs::write(&other, "not json").unwrap();
        assert!(load(&other, &want)
            .unwrap_err()
            .reason
            .starts_with("invalid JSON"));

        let empty = tempfile::tempdir().unwrap();
        let e = load(empty.path(), &want).unwrap_err().to_string();
        assert!(
            e.contains("not a results directory (it has no points/)"),
            "{e}"
        );
    }
}
