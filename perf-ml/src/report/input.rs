//! What a plugin reads: one results directory's points (always there), and its point
//! details, timeline, model and search, each read once on first use and kept with the
//! reason it cannot be had.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use perf_core::results::layout;
use perf_core::results::{read_point, read_runs, read_timeline, TimelineEntry};
use perf_core::{PointDetail, PointRow};

use super::ReportParams;
use crate::analyze::anomaly::Tick;
use crate::analyze::bottleneck::Limits;
use crate::analyze::capacity::slo_limits;
use crate::analyze::insights::EndpointAt;
use crate::model_file::{latest_version, ModelFile};
use crate::MlError;

/// The load of a point: its target rate (open model) or its users (closed).
pub fn load_of(r: &PointRow) -> f64 {
    r.target_rps.unwrap_or(r.users as f64)
}

/// A point's load as its label: "400 req/s" or "20 users".
pub fn load_label(r: &PointRow) -> String {
    r.target_rps
        .map_or(format!("{} users", r.users), |x| format!("{x} req/s"))
}

/// The aggregate (`ALL`) seconds of one point of a timeline.
pub fn ticks(timeline: &[TimelineEntry], point: usize) -> Vec<Tick> {
    timeline
        .iter()
        .filter(|t| t.point == point && t.row.endpoint == perf_core::record::ALL)
        .map(|t| Tick {
            second: t.row.second,
            requests: t.row.requests,
            failures: t.row.failures,
            p95_us: t.row.p95_us,
        })
        .collect()
}

/// One results directory as plugins read it.
#[derive(Debug)]
pub struct Input<'a> {
    /// What the report was asked for (history, search file, planning inputs, seed).
    pub params: &'a ReportParams,
    /// The scenario of the points.
    pub scenario: &'a str,
    /// The points (`runs.csv`), at least one.
    pub points: &'a [PointRow],
    /// The p95 and error-rate limits of the run's SLOs (`None`: it has neither).
    pub limits: Option<Limits>,
    details: Result<Vec<PointDetail>, String>,
    timeline: OnceCell<Result<Vec<TimelineEntry>, String>>,
    model: OnceCell<Result<(PathBuf, ModelFile), String>>,
}

impl<'a> Input<'a> {
    /// Reads `points/<i>.json` of every point of `points`; the rest is read when asked.
    pub(crate) fn new(params: &'a ReportParams, points: &'a [PointRow]) -> Self {
        let mut details = Vec::new();
        let mut err = None;
        for i in 0..points.len() {
            match read_point(&layout::point_json(&params.dir, i)) {
                Ok(d) => details.push(d),
                Err(e) => {
                    err = Some(format!("point details unavailable ({e})"));
                    break;
                }
            }
        }
        let limits = details.first().and_then(|d| {
            let slos: Vec<perf_core::Slo> = d.slo.iter().map(|v| v.slo.clone()).collect();
            slo_limits(&slos).map(|(p95_us, error_rate)| Limits { p95_us, error_rate })
        });
        Self {
            params,
            scenario: &points[0].scenario,
            points,
            limits,
            details: err.map_or(Ok(details), Err),
            timeline: OnceCell::new(),
            model: OnceCell::new(),
        }
    }

    /// Reads `runs.csv`; fails when it cannot be read or holds no points.
    pub(crate) fn read_points(dir: &Path) -> Result<Vec<PointRow>, MlError> {
        Ok(read_runs(&layout::runs_csv(dir))?)
    }

    /// The results directory.
    pub fn dir(&self) -> &Path {
        &self.params.dir
    }

    /// Every point's details (`points/<i>.json`), or why they cannot be read.
    pub fn details(&self) -> Result<&[PointDetail], String> {
        self.details.as_deref().map_err(Clone::clone)
    }

    /// The per-second timeline (`timeline.csv`), or why there is none.
    pub fn timeline(&self) -> Result<&[TimelineEntry], String> {
        self.timeline
            .get_or_init(|| match read_timeline(&layout::timeline_csv(self.dir())) {
                Ok(t) if t.is_empty() => Err("timeline.csv has no rows".to_string()),
                Ok(t) => Ok(t),
                Err(e) => Err(e.to_string()),
            })
            .as_deref()
            .map_err(Clone::clone)
    }

    /// The scenario's latest model (`<models>/<scenario>/v<N>.json`), or why there is
    /// none.
    pub fn model(&self) -> Result<(&Path, &ModelFile), String> {
        self.model
            .get_or_init(|| {
                let dir = self.params.models.join(self.scenario);
                let (_, path) = latest_version(&dir).ok_or_else(|| {
                    format!(
                        "no model for '{}' in {}: run `perf-scenarios fit {}`",
                        self.scenario,
                        dir.display(),
                        self.dir().display()
                    )
                })?;
                let m = ModelFile::load(&path).map_err(|e| format!("cannot use the model: {e}"))?;
                Ok((path, m))
            })
            .as_ref()
            .map(|(p, m)| (p.as_path(), m))
            .map_err(Clone::clone)
    }

    /// How many different loads the points were run at.
    pub fn load_levels(&self) -> usize {
        let mut l: Vec<f64> = self.points.iter().map(load_of).collect();
        l.sort_by(f64::total_cmp);
        l.dedup();
        l.len()
    }

    /// Every HTTP endpoint at every point (browser rows left out); empty without details.
    pub fn endpoints_at(&self) -> Vec<EndpointAt> {
        self.details()
            .unwrap_or_default()
            .iter()
            .flat_map(|d| {
                let load = load_of(&d.row);
                d.endpoints
                    .iter()
                    .filter(|e| !perf_core::record::is_browser(&e.name))
                    .map(move |e| EndpointAt {
                        endpoint: e.name.clone(),
                        load,
                        p95_us: e.p95_us as f64,
                        requests: e.requests,
                        failures: e.failures,
                    })
            })
            .collect()
    }
}
