//! The report of one results directory: every registered [`Plugin`]'s analysis, as
//! [`Report`] (written as `report.json`) and a self-contained `report.html` with SVG
//! charts ([`html::page`]).
//!
//! Every analysis is a [`Plugin`]: the built-ins ([`builtin`]: latency and
//! errors vs load, breaking point, SLO verdicts, timelines and anomalies, resources,
//! capacity planning, bottlenecks, insights, drift) and any a user registers. A section
//! that cannot be made (one load point, no timeline, no model, no history...) is kept
//! with the reason it is missing, so the report is always written.
//! [`ReportParams`] → [`ReportParams::build`] with [`Plugins`] → [`Report`] →
//! [`Report::write`].
//!
//! A plugin, its findings in `report.json` and its section in `report.html`:
//!
//! ```
//! use perf_ml::report::{Input, Page, Plugin, Plugins};
//!
//! /// The slowest point's p99.
//! struct SlowestPoint;
//!
//! impl Plugin for SlowestPoint {
//!     type Findings = u64;
//!     fn name(&self) -> &'static str {
//!         "slowest_point"
//!     }
//!     fn title(&self) -> &'static str {
//!         "Slowest point"
//!     }
//!     fn analyze(&self, input: &Input<'_>) -> Result<u64, String> {
//!         input.points.iter().map(|p| p.p99_us).max().ok_or_else(|| "no points".into())
//!     }
//!     fn render(&self, p99_us: &u64, _page: &Page<'_>) -> String {
//!         format!("<p>Highest p99: {:.1} ms</p>", *p99_us as f64 / 1e3)
//!     }
//! }
//!
//! let mut plugins = Plugins::builtin();
//! plugins.push(SlowestPoint)?;
//! assert_eq!(plugins.names().last(), Some(&"slowest_point"));
//! # Ok::<(), perf_ml::report::PluginError>(())
//! ```

use std::path::{Path, PathBuf};

use perf_core::PointRow;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::analyze::bottleneck::Limits;
use crate::MlError;

pub mod builtin;
pub mod charts;
pub mod html;
mod input;
mod plugin;

pub use input::{load_label, load_of, ticks, Input};
pub use plugin::{Page, Plugin, PluginError, Plugins, RESERVED};

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

/// One plugin's part of the report.
#[derive(Debug, Clone)]
pub struct Section {
    /// The plugin's name: the key in `report.json`, the id in `report.html`.
    pub name: &'static str,
    /// The heading.
    pub title: &'static str,
    /// The findings as written into `report.json`.
    pub value: Option<serde_json::Value>,
    /// Why there are none.
    pub missing: Option<String>,
    /// The plugin's console line about its findings.
    pub summary: Option<String>,
    /// The section's HTML below its heading.
    pub html: String,
}

/// Everything the report says: the points, and one [`Section`] per plugin, in order.
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario.
    pub scenario: String,
    /// The results directory.
    pub dir: String,
    /// When the report was made.
    pub generated_at: String,
    /// The points (runs.csv).
    pub points: Vec<PointRow>,
    /// The p95 and error-rate limits of the run's SLOs.
    pub limits: Option<Limits>,
    /// The plugins' sections.
    pub sections: Vec<Section>,
}

impl Serialize for Report {
    /// The fixed fields, `plugins` (the sections' names in order), then each section
    /// under its name as `{"title", "value", "missing"}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Part<'a> {
            title: &'a str,
            value: &'a Option<serde_json::Value>,
            missing: &'a Option<String>,
        }
        let mut m = s.serialize_map(Some(6 + self.sections.len()))?;
        m.serialize_entry("scenario", &self.scenario)?;
        m.serialize_entry("dir", &self.dir)?;
        m.serialize_entry("generated_at", &self.generated_at)?;
        m.serialize_entry("points", &self.points)?;
        m.serialize_entry("limits", &self.limits)?;
        let names: Vec<&str> = self.sections.iter().map(|x| x.name).collect();
        m.serialize_entry("plugins", &names)?;
        for x in &self.sections {
            m.serialize_entry(
                x.name,
                &Part {
                    title: x.title,
                    value: &x.value,
                    missing: &x.missing,
                },
            )?;
        }
        m.end()
    }
}

impl ReportParams {
    /// Reads the directory and runs every plugin of `plugins` on it, then renders their
    /// sections. Fails only when `runs.csv` cannot be read or holds no points.
    pub fn build(&self, plugins: &Plugins) -> Result<Report, MlError> {
        let points = Input::read_points(&self.dir)?;
        let input = Input::new(self, &points);
        let outcomes: Vec<_> = plugins.list.iter().map(|p| p.run(&input)).collect();
        let limits = input.limits;
        let mut report = Report {
            scenario: points[0].scenario.clone(),
            dir: self.dir.display().to_string(),
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            limits,
            sections: plugins
                .list
                .iter()
                .zip(&outcomes)
                .map(|(p, o)| Section {
                    name: p.name(),
                    title: p.title(),
                    value: o.json.clone(),
                    missing: o.findings.as_ref().err().cloned(),
                    summary: o.summary.clone(),
                    html: String::new(),
                })
                .collect(),
            points: points.clone(),
        };
        let typed: Vec<(&'static str, Option<&dyn std::any::Any>)> = plugins
            .list
            .iter()
            .zip(&outcomes)
            .map(|(p, o)| (p.name(), o.findings.as_ref().ok().map(|b| &**b)))
            .collect();
        let page = Page {
            report: &report,
            typed: &typed,
        };
        let htmls: Vec<String> = plugins
            .list
            .iter()
            .zip(&typed)
            .map(|(p, (_, f))| f.map_or_else(String::new, |f| p.render(f, &page)))
            .collect();
        for (s, h) in report.sections.iter_mut().zip(htmls) {
            s.html = h;
        }
        Ok(report)
    }
}

impl Report {
    /// The section of the plugin `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The sections that could not be made: (plugin, why).
    pub fn missing_sections(&self) -> Vec<(&'static str, String)> {
        self.sections
            .iter()
            .filter_map(|s| s.missing.clone().map(|w| (s.name, w)))
            .collect()
    }

    /// Writes `report.json` and `report.html` into `dir`; returns the HTML's path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, MlError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MlError::Io { path, source }
        };
        let json = perf_core::results::layout::report_json(dir);
        perf_core::atomic::write(
            &json,
            serde_json::to_string_pretty(self)
                .expect("a report serializes")
                .as_bytes(),
        )
        .map_err(io(&json))?;
        let page = perf_core::results::layout::report_html(dir);
        perf_core::atomic::write(&page, html::page(self).as_bytes()).map_err(io(&page))?;
        Ok(page)
    }
}
