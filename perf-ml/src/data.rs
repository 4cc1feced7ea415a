//! Training data: the points of one scenario read from results directories through
//! perf-core's reader. Partial points and points where the generator was the bottleneck
//! are left out (they are not evidence about the target). [`LoadInterval`], an interval
//! of loads that the models' answers carry.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use perf_core::ModelKind;

use crate::MlError;

/// One load point as the models see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Offered load: arrival rate (open model) or users (closed).
    pub load: f64,
    /// Successful requests per second.
    pub goodput: f64,
    /// Scenario parameter values, in [`Dataset::param_names`] order.
    pub params: Vec<f64>,
    /// Latency percentiles p50, p95, p99 in µs.
    pub latency: [f64; 3],
    /// Requests measured.
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
}

impl Point {
    /// Failed fraction.
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.failures as f64 / self.requests as f64
        }
    }
}

/// The points of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// The scenario.
    pub scenario: String,
    /// `open` or `closed`.
    pub model: ModelKind,
    /// Names of the parameters that vary in the data (the models' features).
    pub param_names: Vec<String>,
    /// Parameters with one value throughout, and that value.
    pub fixed_params: Vec<(String, f64)>,
    /// Usable points.
    pub points: Vec<Point>,
    /// Points left out (partial, generator-saturated, or empty).
    pub skipped: usize,
    /// Per endpoint, from `points/<n>.json`: load is the point's offered load and goodput
    /// the point's total goodput, latency and counts the endpoint's own.
    #[serde(default)]
    pub endpoints: std::collections::BTreeMap<String, Vec<Point>>,
    /// Run ids the points come from.
    pub runs: Vec<String>,
}

impl Dataset {
    /// Reads every `runs.csv` of `dirs`, keeping `scenario` (or the only scenario there is).
    pub fn load(dirs: &[PathBuf], scenario: Option<&str>) -> Result<Self, MlError> {
        let mut rows = Vec::new();
        for d in dirs {
            rows.extend(perf_core::read_runs(
                &perf_core::results::layout::runs_csv(d),
            )?);
        }
        let mut scenarios: Vec<&str> = rows.iter().map(|r| r.scenario.as_str()).collect();
        scenarios.sort_unstable();
        scenarios.dedup();
        let scenario = match scenario {
            Some(s) if scenarios.contains(&s) => s.to_string(),
            Some(s) => {
                return Err(MlError::Data(format!(
                    "no points of scenario '{s}' in the results (there are: {})",
                    scenarios.join(", ")
                )))
            }
            None if scenarios.len() == 1 => scenarios[0].to_string(),
            None => {
                return Err(MlError::Data(format!(
                    "the results hold several scenarios ({}): choose one with --scenario",
                    scenarios.join(", ")
                )))
            }
        };
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| r.scenario == scenario)
            .collect();
        let model = rows[0].model;
        if rows.iter().any(|r| r.model != model) {
            return Err(MlError::Data(
                "the results mix open-model and closed-model points; fit them separately".into(),
            ));
        }
        // Parameters that never vary carry no information for a model (and make features
        // with zero variance); they are kept aside as fixed values.
        let all_names: Vec<String> = rows[0].params.iter().map(|(k, _)| k.to_string()).collect();
        let (param_names, fixed): (Vec<String>, Vec<String>) =
            all_names.into_iter().partition(|n| {
                rows.iter()
                    .any(|r| r.params.get(n) != rows[0].params.get(n))
            });
        let fixed_params = fixed
            .iter()
            .map(|n| (n.clone(), rows[0].params.get(n)))
            .collect();
        let mut runs: Vec<String> = rows.iter().map(|r| r.run_id.clone()).collect();
        runs.sort();
        runs.dedup();
        let total = rows.len();
        let points: Vec<Point> = rows
            .into_iter()
            .filter(|r| r.complete && !r.generator_saturated && r.requests > 0)
            .map(|r| Point {
                load: if model == ModelKind::Open {
                    r.target_rps.unwrap_or(r.achieved_rps)
                } else {
                    r.users as f64
                },
                goodput: r.achieved_rps * (1.0 - r.error_rate),
                params: param_names.iter().map(|n| r.params.get(n)).collect(),
                latency: [r.p50_us as f64, r.p95_us as f64, r.p99_us as f64].map(|v| v.max(1.0)),
                requests: r.requests,
                failures: r.failures,
            })
            .collect();
        let endpoints = endpoint_points(dirs, &scenario, model, &param_names)?;
        Ok(Self {
            scenario,
            model,
            param_names,
            fixed_params,
            skipped: total - points.len(),
            points,
            runs,
            endpoints,
        })
    }

    /// A stable fingerprint of the training data (FNV-1a over the points).
    pub fn fingerprint(&self) -> String {
        let text = serde_json::to_string(&self.points).unwrap_or_default();
        let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{h:016x}")
    }

    /// Distinct load levels.
    pub fn load_levels(&self) -> usize {
        levels(&self.points).len()
    }
}

/// Per-endpoint points from every `points/<n>.json` of the directories.
fn endpoint_points(
    dirs: &[PathBuf],
    scenario: &str,
    model: ModelKind,
    param_names: &[String],
) -> Result<std::collections::BTreeMap<String, Vec<Point>>, MlError> {
    let mut endpoints: std::collections::BTreeMap<String, Vec<Point>> =
        std::collections::BTreeMap::new();
    for d in dirs {
        let Ok(files) = std::fs::read_dir(perf_core::results::layout::points_dir(d)) else {
            continue;
        };
        for f in files
            .flatten()
            .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        {
            let p = perf_core::results::read_point(&f.path())?;
            let r = &p.row;
            if r.scenario != scenario || !r.complete || r.generator_saturated || r.requests == 0 {
                continue;
            }
            let load = if model == ModelKind::Open {
                r.target_rps.unwrap_or(r.achieved_rps)
            } else {
                r.users as f64
            };
            for e in p.endpoints.iter().filter(|e| e.requests > 0) {
                endpoints.entry(e.name.clone()).or_default().push(Point {
                    load,
                    goodput: r.achieved_rps * (1.0 - r.error_rate),
                    params: param_names.iter().map(|n| r.params.get(n)).collect(),
                    latency: [e.p50_us as f64, e.p95_us as f64, e.p99_us as f64]
                        .map(|v| v.max(1.0)),
                    requests: e.requests,
                    failures: e.failures,
                });
            }
        }
    }
    Ok(endpoints)
}

/// Distinct loads, sorted.
pub fn levels(points: &[Point]) -> Vec<f64> {
    let mut v: Vec<f64> = points.iter().map(|p| p.load).collect();
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * b.abs().max(1.0));
    v
}

/// An interval of loads; an open end (`None`) lies beyond the range searched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoadInterval {
    /// Confidence level (0.9 = 90%).
    pub level: f64,
    /// Lower end; `None`: below the range searched.
    pub lo: Option<f64>,
    /// Upper end; `None`: above the range searched.
    pub hi: Option<f64>,
}
