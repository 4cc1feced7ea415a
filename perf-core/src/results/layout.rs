//! Where each file of a results directory (`results/<run-id>/`) lives. Every crate names
//! the files through these functions, so the layout is written down once:
//!
//! | file | written by | what |
//! |---|---|---|
//! | `runs.csv` | [`super::ResultsWriter`] | one row per point, appended last |
//! | `points/<n>.json` | [`super::ResultsWriter`] | one point's [`crate::PointDetail`] |
//! | `histograms/<n>.json` | [`super::ResultsWriter`] | its histograms ([`crate::hdr`]) |
//! | `timeline.csv` | [`super::ResultsWriter`] | per second and endpoint |
//! | `resources.csv` | [`super::ResultsWriter`] | resource samples each second |
//! | `browser.csv` | the browser checks | one row per page step |
//! | `search.json` | `perf-scenarios search` | the breaking-point search's report |
//! | `gate.json` | `perf-scenarios gate` | the gate's verdicts |
//! | `report.json`, `report.html` | `perf-scenarios report` | the report |

use std::path::{Path, PathBuf};

/// `runs.csv`.
pub fn runs_csv(dir: &Path) -> PathBuf {
    dir.join("runs.csv")
}

/// The `points/` folder.
pub fn points_dir(dir: &Path) -> PathBuf {
    dir.join("points")
}

/// `points/<index>.json`.
pub fn point_json(dir: &Path, index: usize) -> PathBuf {
    points_dir(dir).join(format!("{index}.json"))
}

/// The `histograms/` folder.
pub fn histograms_dir(dir: &Path) -> PathBuf {
    dir.join("histograms")
}

/// `histograms/<index>.json`.
pub fn point_histograms(dir: &Path, index: usize) -> PathBuf {
    histograms_dir(dir).join(format!("{index}.json"))
}

/// `timeline.csv`.
pub fn timeline_csv(dir: &Path) -> PathBuf {
    dir.join("timeline.csv")
}

/// `resources.csv`.
pub fn resources_csv(dir: &Path) -> PathBuf {
    dir.join("resources.csv")
}

/// `browser.csv`.
pub fn browser_csv(dir: &Path) -> PathBuf {
    dir.join("browser.csv")
}

/// `search.json`.
pub fn search_json(dir: &Path) -> PathBuf {
    dir.join("search.json")
}

/// `tune.json`.
pub fn tune_json(dir: &Path) -> PathBuf {
    dir.join("tune.json")
}

/// `gate.json`.
pub fn gate_json(dir: &Path) -> PathBuf {
    dir.join("gate.json")
}

/// `report.json`.
pub fn report_json(dir: &Path) -> PathBuf {
    dir.join("report.json")
}

/// `report.html`.
pub fn report_html(dir: &Path) -> PathBuf {
    dir.join("report.html")
}
