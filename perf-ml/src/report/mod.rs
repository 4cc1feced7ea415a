//! The report of one results directory: every analysis of [`crate::analyze`] that the
//! directory's files allow, as [`Report`] (written as `report.json`) and a
//! self-contained `report.html` with SVG charts ([`html::render`]).
//!
//! A section that cannot be made (one load point, no timeline, no model, no history...)
//! is kept with the reason it is missing, so the report is always written.
//! [`ReportParams`] → [`ReportParams::build`] → [`Report`] → [`Report::write`].

use std::path::{Path, PathBuf};

use perf_core::results::{read_point, read_runs, read_timeline, TimelineEntry};
use perf_core::{PointDetail, PointRow};
use serde::Serialize;

use crate::analyze::anomaly::{Anomaly, AnomalyParams, Tick};
use crate::analyze::bottleneck::{classify, Bottleneck, Limits};
use crate::analyze::capacity::{
    capacity_at_slo, replicas_for, runway, slo_limits, Capacity, Replicas, Runway,
};
use crate::analyze::drift::{Drift, DriftParams};
use crate::analyze::insights::{
    breaks_first, cluster_endpoints, permutation_importance, Break, Cluster, EndpointAt, Importance,
};
use crate::latency::Predict;
use crate::model_file::{latest_version, ModelFile};
use crate::search::IntervalKind;
use crate::MlError;

pub mod charts;
pub mod html;

/// A part of the report: its value, or why it is missing.
#[derive(Debug, Clone, Serialize)]
pub struct Section<T> {
    /// The content.
    pub value: Option<T>,
    /// Why there is none.
    pub missing: Option<String>,
}

impl<T> Section<T> {
    fn ok(v: T) -> Self {
        Self {
            value: Some(v),
            missing: None,
        }
    }
    fn missing(why: impl Into<String>) -> Self {
        Self {
            value: None,
            missing: Some(why.into()),
        }
    }
    fn from(r: Result<T, String>) -> Self {
        match r {
            Ok(v) => Self::ok(v),
            Err(why) => Self::missing(why),
        }
    }
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportParams {
    /// The results directory.
    pub dir: PathBuf,
    /// Where `fit` wrote models (`<models>/<scenario>/v<N>.json`).
    pub models: PathBuf,
    /// Earlier results directories to test drift against.
    pub history: Vec<PathBuf>,
    /// A `search.json` for the breaking point (default: the directory's own).
    pub search: Option<PathBuf>,
    /// Today's traffic, req/s, for the runway.
    pub current: Option<f64>,
    /// Weekly growth (0.05 = 5%).
    pub growth: Option<f64>,
    /// A rate to size replicas for.
    pub target_rate: Option<f64>,
    /// Seed of the permutation importance and k-means.
    pub seed: u64,
    /// The date the runway counts from.
    pub today: chrono::NaiveDate,
}

/// The model as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelView {
    /// The file.
    pub path: String,
    /// Its version.
    pub version: u32,
    /// The chosen latency model.
    pub chosen: String,
    /// Its cross-validated mean absolute percentage error of p95, when known.
    pub cv_mape_p95: Option<f64>,
    /// p95 curve: (load, p95 µs, 90% low, 90% high); low = high = p95 when the model
    /// has no interval (see `p95_interval`).
    pub p95_curve: Vec<(f64, f64, f64, f64)>,
    /// Whether the model has a 90% prediction interval (enough training points).
    pub p95_interval: bool,
    /// Failure probability curve: (load, p).
    pub failure_curve: Vec<(f64, f64)>,
    /// Set when drift says the model no longer describes the target.
    pub stale: Option<String>,
}

/// Capacity planning.
#[derive(Debug, Clone, Serialize)]
pub struct Planning {
    /// At the SLO, from the model.
    pub capacity: Option<Capacity>,
    /// Where the queueing curve saturates.
    pub queue_capacity: Option<f64>,
    /// Peak concurrency and maximum throughput (closed-model data).
    pub usl: Option<(f64, f64)>,
    /// For `target_rate`.
    pub replicas: Option<Replicas>,
    /// For `current` and `growth`.
    pub runway: Option<Runway>,
}

/// One point's aggregate timeline, for the charts.
#[derive(Debug, Clone, Serialize)]
pub struct PointTimeline {
    /// The point.
    pub point: usize,
    /// Its label.
    pub load: String,
    /// (second, requests, failures, p95 µs).
    pub seconds: Vec<(u64, u64, u64, u64)>,
}

/// One resource sample of one point.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceLine {
    /// The point.
    pub point: usize,
    /// Seconds since the run's first point started (points laid end to end).
    pub t_s: f64,
    /// Generator CPU, % of one core.
    pub gen_cpu_pct: f64,
    /// Target CPU, % of one core (when sampled).
    pub sut_cpu_pct: Option<f64>,
    /// Whole machine, %.
    pub machine_cpu_pct: f64,
}

/// Everything the report says.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The scenario.
    pub scenario: String,
    /// The results directory.
    pub dir: String,
    /// When the report was made.
    pub generated_at: String,
    /// The points (runs.csv).
    pub points: Vec<PointRow>,
    /// SLO verdicts: (point, rule, observed, pass).
    pub slo: Section<Vec<(usize, String, String, bool)>>,
    /// The p95 and error-rate limits the analyses use.
    pub limits: Option<(f64, f64)>,
    /// The latency and failure models.
    pub model: Section<ModelView>,
    /// The breaking point from a search: (estimate, low, high, confidence).
    pub breaking_point: Section<(f64, f64, f64, String)>,
    /// Per-second timelines.
    pub timeline: Section<Vec<PointTimeline>>,
    /// Anomalies in them.
    pub anomalies: Section<Vec<Anomaly>>,
    /// Resource samples.
    pub resources: Section<Vec<ResourceLine>>,
    /// Drift against history.
    pub drift: Section<Vec<Drift>>,
    /// Capacity planning.
    pub planning: Section<Planning>,
    /// Bottlenecks, with evidence and recommendations.
    pub bottlenecks: Vec<Bottleneck>,
    /// Endpoints in the order they break.
    pub breaks_first: Section<Vec<Break>>,
    /// Permutation importance of the latency model's inputs.
    pub importance: Section<Vec<Importance>>,
    /// Endpoints clustered by latency profile.
    pub clusters: Section<Vec<Cluster>>,
}

fn load_of(r: &PointRow) -> f64 {
    r.target_rps.unwrap_or(r.users as f64)
}

/// The p95 and error-rate limits of the run's SLOs ([`slo_limits`]).
fn limits(details: &[PointDetail]) -> Option<(f64, f64)> {
    let slos: Vec<perf_core::Slo> = details.first()?.slo.iter().map(|v| v.slo.clone()).collect();
    slo_limits(&slos)
}

fn ticks(timeline: &[TimelineEntry], point: usize) -> Vec<Tick> {
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

/// The model as the report shows it: its curves over the trained range ±20%.
fn model_view(path: &Path, m: &ModelFile) -> ModelView {
    let (lo, hi) = m.training.load_range;
    let (lo, hi) = (lo * 0.8, hi * 1.2);
    let interval = m.chosen_cv().and_then(|c| c.log_resid_q);
    let q = interval.map_or((0.0, 0.0), |q| q[1]);
    let params = &m.training.default_params;
    let loads: Vec<f64> = (0..=80)
        .map(|i| lo + (hi - lo) * f64::from(i) / 80.0)
        .collect();
    ModelView {
        path: path.display().to_string(),
        version: m.version,
        chosen: m.chosen.clone(),
        cv_mape_p95: m.chosen_cv().map(|c| c.mape[1]),
        p95_curve: loads
            .iter()
            .map(|l| {
                let p = m.latency.predict(*l, params)[1];
                (*l, p, p * q.0.exp(), p * q.1.exp())
            })
            .collect(),
        failure_curve: loads
            .iter()
            .map(|l| (*l, m.failure.model.probability(*l, params)))
            .collect(),
        p95_interval: interval.is_some(),
        stale: None,
    }
}

impl ReportParams {
    /// Reads the directory and runs every analysis its files allow. Fails only when
    /// `runs.csv` cannot be read or holds no points.
    pub fn build(&self) -> Result<Report, MlError> {
        let points = read_runs(&self.dir.join("runs.csv"))?;
        let scenario = points[0].scenario.clone();
        let mut details = Vec::new();
        let mut detail_err = None;
        for i in 0..points.len() {
            match read_point(&self.dir.join("points").join(format!("{i}.json"))) {
                Ok(d) => details.push(d),
                Err(e) => {
                    detail_err = Some(e.to_string());
                    break;
                }
            }
        }
        let details_missing = detail_err.map(|e| format!("point details unavailable ({e})"));
        let limits = limits(&details);
        let timeline = read_timeline(&self.dir.join("timeline.csv")).map_err(|e| e.to_string());
        let timeline = match timeline {
            Ok(t) if t.is_empty() => Err("timeline.csv has no rows".to_string()),
            other => other,
        };

        let slo = match &details_missing {
            Some(why) => Section::missing(why.clone()),
            None if details.iter().all(|d| d.slo.is_empty()) => {
                Section::missing("the run judged no SLOs")
            }
            None => Section::ok(
                details
                    .iter()
                    .flat_map(|d| {
                        d.slo
                            .iter()
                            .map(move |v| (d.index, v.slo.rule.clone(), v.observed_text(), v.pass))
                    })
                    .collect(),
            ),
        };

        let loaded = self.load_model(&scenario);
        let model = Section::from(
            loaded
                .as_ref()
                .map_err(Clone::clone)
                .map(|(path, m)| model_view(path, m)),
        );
        let levels = {
            let mut l: Vec<f64> = points.iter().map(load_of).collect();
            l.sort_by(f64::total_cmp);
            l.dedup();
            l.len()
        };

        let timeline_section = Section::from(timeline.as_ref().map_err(Clone::clone).map(|t| {
            (0..points.len())
                .map(|i| PointTimeline {
                    point: i,
                    load: points[i]
                        .target_rps
                        .map_or(format!("{} users", points[i].users), |r| {
                            format!("{r} req/s")
                        }),
                    seconds: ticks(t, i)
                        .iter()
                        .map(|k| (k.second, k.requests, k.failures, k.p95_us))
                        .collect(),
                })
                .collect()
        }));
        let anomalies = Section::from(
            timeline
                .as_ref()
                .map_err(|e| format!("no timeline: {e}"))
                .map(|t| {
                    let p = AnomalyParams::default();
                    (0..points.len())
                        .flat_map(|i| p.detect(i, &ticks(t, i)))
                        .collect()
                }),
        );

        let resources = match &details_missing {
            Some(why) => Section::missing(why.clone()),
            None => {
                let mut offset = 0.0;
                let mut lines = Vec::new();
                for d in &details {
                    for s in &d.resources {
                        lines.push(ResourceLine {
                            point: d.index,
                            t_s: offset + s.t_s,
                            gen_cpu_pct: s.gen_cpu_pct,
                            sut_cpu_pct: s.sut_cpu_pct,
                            machine_cpu_pct: s.machine_cpu_pct,
                        });
                    }
                    offset += d.resources.last().map_or(d.row.duration_s, |s| s.t_s);
                }
                if lines.is_empty() {
                    Section::missing("no resource samples in the points")
                } else {
                    Section::ok(lines)
                }
            }
        };

        let drift = self.drift(&details);
        let mut model = model;
        if let (Some(m), Some(d)) = (model.value.as_mut(), drift.value.as_ref()) {
            let drifted: Vec<&str> = d
                .iter()
                .filter(|x| x.drifted)
                .map(|x| x.what.as_str())
                .collect();
            if !drifted.is_empty() {
                m.stale = Some(format!(
                    "latency drifted from the history in {}: retrain with `perf-scenarios fit` on recent results (it writes version {})",
                    drifted.join("; "),
                    m.version + 1
                ));
            }
        }

        let planning = match (&loaded, limits) {
            (Err(why), _) => Section::missing(why.clone()),
            (_, None) => Section::missing("the run has no p95 or error-rate SLO to plan against"),
            (Ok((_, m)), Some((p95, err))) => {
                let capacity = capacity_at_slo(m, p95, err);
                let per = capacity.as_ref().map(|c| c.load);
                Section::ok(Planning {
                    queue_capacity: m.capacity,
                    usl: m.usl.as_ref().map(|u| (u.n_star, u.x_max)),
                    replicas: self.target_rate.zip(per).map(|(t, c)| replicas_for(t, c)),
                    runway: match (self.current, self.growth, per) {
                        (Some(cur), Some(g), Some(c)) => Some(runway(cur, g, c, self.today)),
                        _ => None,
                    },
                    capacity,
                })
            }
        };

        let cores = details.first().map_or(1, |d| d.environment.cores);
        let bottlenecks = classify(
            &points,
            Limits {
                p95_us: limits.map_or(f64::INFINITY, |l| l.0),
                error_rate: limits.map_or(1.0, |l| l.1),
            },
            cores,
        );

        let per_endpoint: Vec<EndpointAt> = details
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
            .collect();
        let breaks = match (&details_missing, limits) {
            (Some(why), _) => Section::missing(why.clone()),
            (_, None) => Section::missing("the run has no p95 or error-rate SLO"),
            (None, Some((p95, err))) => Section::ok(breaks_first(&per_endpoint, p95, err)),
        };
        let importance = match &loaded {
            Err(why) => Section::missing(why.clone()),
            Ok((_, m)) => {
                match crate::data::Dataset::load(std::slice::from_ref(&self.dir), Some(&scenario)) {
                    Err(e) => Section::missing(format!("cannot read the points: {e}")),
                    Ok(data) => {
                        let imp = permutation_importance(m, &data, 5, self.seed);
                        if imp.is_empty() {
                            Section::missing(
                                "needs at least 3 usable points with the model's parameters",
                            )
                        } else {
                            Section::ok(imp)
                        }
                    }
                }
            }
        };
        let clusters = if levels < 2 {
            Section::missing(format!(
                "{levels} load level(s): a latency profile needs at least 2"
            ))
        } else {
            let mut names: Vec<&str> = per_endpoint.iter().map(|e| e.endpoint.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            let profiles: Vec<(String, Vec<f64>)> = names
                .iter()
                .map(|n| {
                    let mut v: Vec<(f64, f64)> = per_endpoint
                        .iter()
                        .filter(|e| e.endpoint == *n)
                        .map(|e| (e.load, e.p95_us))
                        .collect();
                    v.sort_by(|a, b| a.0.total_cmp(&b.0));
                    (n.to_string(), v.into_iter().map(|x| x.1).collect())
                })
                .collect();
            let c = cluster_endpoints(
                &profiles,
                3.min(profiles.len().saturating_sub(1)).max(1),
                self.seed,
            );
            if c.is_empty() {
                Section::missing("fewer than 2 endpoints with a profile at every load level")
            } else {
                Section::ok(c)
            }
        };

        Ok(Report {
            scenario,
            dir: self.dir.display().to_string(),
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            slo,
            limits,
            model: if levels < 2 && model.value.is_none() {
                Section::missing(format!(
                    "{} ({levels} load level: a curve needs at least 2)",
                    model.missing.unwrap_or_default()
                ))
            } else {
                model
            },
            breaking_point: self.breaking_point(),
            timeline: timeline_section,
            anomalies,
            resources,
            drift,
            planning,
            bottlenecks,
            breaks_first: breaks,
            importance,
            clusters,
            points,
        })
    }

    fn load_model(&self, scenario: &str) -> Result<(PathBuf, ModelFile), String> {
        let dir = self.models.join(scenario);
        let (_, path) = latest_version(&dir).ok_or_else(|| {
            format!(
                "no model for '{scenario}' in {}: run `perf-scenarios fit {}`",
                dir.display(),
                self.dir.display()
            )
        })?;
        let m = ModelFile::load(&path).map_err(|e| format!("cannot use the model: {e}"))?;
        Ok((path, m))
    }

    fn breaking_point(&self) -> Section<(f64, f64, f64, String)> {
        let path = self
            .search
            .clone()
            .unwrap_or_else(|| self.dir.join("search.json"));
        if !path.exists() {
            return Section::missing(format!(
                "no search in {}: run `perf-scenarios search`",
                path.display()
            ));
        }
        let v: serde_json::Value = match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => return Section::missing(format!("cannot read {}: {e}", path.display())),
        };
        let est = v["estimate"].as_f64();
        let lo = v["interval"][0].as_f64();
        let hi = v["interval"][1].as_f64();
        match (est, lo) {
            (Some(e), Some(l)) => {
                let conf = v["confidence"].as_f64().unwrap_or(0.9);
                // Searches written before the kind was recorded say only "interval".
                let label = serde_json::from_value::<IntervalKind>(v["interval_kind"].clone())
                    .map_or_else(
                        |_| format!("{:.0}% interval", conf * 100.0),
                        |k| k.label(conf),
                    );
                Section::ok((e, l, hi.unwrap_or(f64::INFINITY), label))
            }
            _ => Section::missing(format!(
                "the search in {} found no breaking point",
                path.display()
            )),
        }
    }

    /// Drift with runs as the unit: for each endpoint at each point of this run, the
    /// `p50_us` of the matching point (same load and parameters) of every history run.
    fn drift(&self, details: &[PointDetail]) -> Section<Vec<Drift>> {
        if self.history.is_empty() {
            return Section::missing("no history given (report --history DIR)");
        }
        let judge = DriftParams::default();
        let mut history_points = Vec::new();
        for h in &self.history {
            let Ok(rows) = read_runs(&h.join("runs.csv")) else {
                return Section::missing(format!("cannot read the history in {}", h.display()));
            };
            let points: Vec<PointDetail> = (0..rows.len())
                .filter_map(|i| read_point(&h.join("points").join(format!("{i}.json"))).ok())
                .collect();
            history_points.push(points);
        }
        // A run's value at a point: its median latency of successful requests there.
        let value = |d: &PointDetail, endpoint: &str| -> Option<f64> {
            d.endpoints
                .iter()
                .find(|e| e.name == endpoint && e.requests > e.failures)
                .map(|e| e.p50_us as f64)
        };
        let mut pairs = Vec::new();
        for d in details.iter().filter(|d| d.row.complete) {
            let load = load_of(&d.row);
            for e in d
                .endpoints
                .iter()
                .filter(|e| !perf_core::record::is_browser(&e.name))
            {
                let Some(now) = value(d, &e.name) else {
                    continue;
                };
                let history: Vec<f64> = history_points
                    .iter()
                    .filter_map(|run| {
                        run.iter()
                            .filter(|h| h.row.complete)
                            .find(|h| {
                                (load_of(&h.row) - load).abs() < 1e-9
                                    && h.row.params == d.row.params
                            })
                            .and_then(|h| value(h, &e.name))
                    })
                    .collect();
                pairs.push((
                    format!("{} at {load}, {}", e.name, d.row.params),
                    history,
                    now,
                ));
            }
        }
        let judged: Vec<_> = pairs
            .iter()
            .filter(|(_, h, _)| h.len() >= judge.min_history)
            .collect();
        let out: Vec<Drift> = judged
            .iter()
            .filter_map(|(what, h, now)| judge.judge(what.clone(), h, *now, judged.len()))
            .collect();
        if out.is_empty() {
            let most = pairs.iter().map(|(_, h, _)| h.len()).max().unwrap_or(0);
            Section::missing(format!(
                "not enough history: at most {most} history run(s) match a point of this run (same load and parameters), at least {} needed",
                judge.min_history
            ))
        } else {
            Section::ok(out)
        }
    }
}

impl Report {
    /// The sections that could not be made, with why.
    pub fn missing_sections(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut add = |name: &'static str, why: &Option<String>| {
            if let Some(w) = why {
                out.push((name, w.clone()));
            }
        };
        add("SLO verdicts", &self.slo.missing);
        add("model", &self.model.missing);
        add("breaking point", &self.breaking_point.missing);
        add("timeline", &self.timeline.missing);
        add("anomalies", &self.anomalies.missing);
        add("resources", &self.resources.missing);
        add("drift", &self.drift.missing);
        add("capacity planning", &self.planning.missing);
        add("breaking endpoints", &self.breaks_first.missing);
        add("importance", &self.importance.missing);
        add("clusters", &self.clusters.missing);
        out
    }

    /// Writes `report.json` and `report.html` into `dir`; returns the HTML's path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, MlError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MlError::Io { path, source }
        };
        let json = dir.join("report.json");
        perf_core::atomic::write(
            &json,
            serde_json::to_string_pretty(self)
                .expect("a report serializes")
                .as_bytes(),
        )
        .map_err(io(&json))?;
        let page = dir.join("report.html");
        perf_core::atomic::write(&page, html::render(self).as_bytes()).map_err(io(&page))?;
        Ok(page)
    }
}
