//! What the gate compares of one run: per point and endpoint, the request and failure
//! counts and the point's p50 and p95 ([`RunSample`]), read from a results directory.

use std::collections::BTreeMap;
use std::path::Path;

use perf_core::results::{read_point, read_runs};
use perf_core::summary::Environment;
use serde::{Deserialize, Serialize};

use super::GateError;

/// One endpoint of one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSample {
    /// Requests in the measured window.
    pub requests: u64,
    /// Failed requests.
    pub failures: u64,
    /// Median latency of the point's successful requests, µs: the run's p50.
    pub p50_us: u64,
    /// 95th percentile of the point's successful requests, µs: the run's p95.
    pub p95_us: u64,
}

/// One load point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointSample {
    /// What was run: `open 100 req/s for 10 s, size=1024 write_ratio=0.1`.
    pub config: String,
    /// Per endpoint, `ALL` included; browser checks are not judged.
    pub endpoints: BTreeMap<String, EndpointSample>,
}

/// A whole run: scenario, environment and points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSample {
    /// The scenario.
    pub scenario: String,
    /// Where it ran (of its first point).
    pub environment: Environment,
    /// The points, in order.
    pub points: Vec<PointSample>,
}

/// The configuration string two points must share to be compared.
pub fn config_of(p: &perf_core::LoadPoint) -> String {
    let model = match &p.model {
        perf_core::LoadModel::Open { rate, .. } => format!("open {rate} req/s"),
        perf_core::LoadModel::Closed { users, think, .. } => {
            format!("closed {users} users, think {} ms", think.as_millis())
        }
    };
    format!(
        "{model} for {} s, {}",
        p.duration.as_secs_f64(),
        if p.params.iter().next().is_none() {
            "no parameters".to_string()
        } else {
            p.params.to_string()
        }
    )
}

impl RunSample {
    /// Whether a run of `scenario` with points of these configurations ([`config_of`])
    /// can be compared with this one: the gate checks the plan with it before running
    /// any load, and [`crate::gate::Gate::compare`] the run with it after.
    pub fn check_plan(&self, scenario: &str, configs: &[&str]) -> Result<(), GateError> {
        if self.scenario != scenario {
            return Err(GateError::Mismatch(format!(
                "the baseline is of scenario '{}', this run of '{scenario}'",
                self.scenario
            )));
        }
        if self.points.len() != configs.len() {
            return Err(GateError::Mismatch(format!(
                "the baseline has {} load point(s), this run {}",
                self.points.len(),
                configs.len()
            )));
        }
        for (i, (b, c)) in self.points.iter().zip(configs).enumerate() {
            if b.config != *c {
                return Err(GateError::Mismatch(format!(
                    "point {i}: the baseline ran {}, this run {c}",
                    b.config
                )));
            }
        }
        Ok(())
    }

    /// Reads `runs.csv` and `points/<n>.json` of a results directory.
    /// A directory with no points, or with no requests at all, is [`GateError::Empty`].
    pub fn from_dir(dir: &Path) -> Result<Self, GateError> {
        let empty = |why: &str| GateError::Empty {
            what: format!("{}: {why}", dir.display()),
        };
        let runs_path = perf_core::results::layout::runs_csv(dir);
        if !runs_path.exists() {
            return Err(empty("no runs.csv (not a results directory)"));
        }
        let rows = match read_runs(&runs_path) {
            Err(perf_core::ResultsError::Empty { .. }) => return Err(empty("no load points")),
            r => r?,
        };
        if rows.iter().all(|r| r.requests == 0) {
            return Err(empty("no requests in any load point"));
        }
        let mut points = Vec::new();
        let mut environment = None;
        for (i, row) in rows.iter().enumerate() {
            let detail = read_point(&perf_core::results::layout::point_json(dir, i))?;
            environment.get_or_insert_with(|| detail.environment.clone());
            let mut endpoints = BTreeMap::new();
            for e in detail.endpoints.iter().chain(std::iter::once(&detail.all)) {
                if perf_core::record::is_browser(&e.name) {
                    continue;
                }
                endpoints.insert(
                    e.name.clone(),
                    EndpointSample {
                        requests: e.requests,
                        failures: e.failures,
                        p50_us: e.p50_us,
                        p95_us: e.p95_us,
                    },
                );
            }
            debug_assert_eq!(row.scenario, detail.row.scenario);
            points.push(PointSample {
                config: config_of(&detail.config),
                endpoints,
            });
        }
        Ok(Self {
            scenario: rows[0].scenario.clone(),
            environment: environment.expect("at least one point"),
            points,
        })
    }
}
