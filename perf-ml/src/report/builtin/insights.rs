//! The endpoint insights, three plugins: `breaks_first` (which endpoint breaks its
//! limits first), `importance` (what drives the latency model) and `clusters`
//! (endpoints grouped by latency profile) — [`crate::analyze::insights`].

use crate::analyze::insights::{
    breaks_first, cluster_endpoints, permutation_importance, Break, Cluster, Importance,
};
use crate::report::html::{esc, table};
use crate::report::{Input, Page, Plugin};

/// Endpoints in the order they break.
#[derive(Debug, Clone, Copy, Default)]
pub struct BreaksFirst;

impl Plugin for BreaksFirst {
    type Findings = Vec<Break>;
    fn name(&self) -> &'static str {
        "breaks_first"
    }
    fn title(&self) -> &'static str {
        "Which endpoint breaks first"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<Break>, String> {
        input.details()?;
        let l = input.limits.ok_or("the run has no p95 or error-rate SLO")?;
        Ok(breaks_first(&input.endpoints_at(), l.p95_us, l.error_rate))
    }
    fn render(&self, b: &Vec<Break>, _page: &Page<'_>) -> String {
        if b.is_empty() {
            return "<p>No endpoint broke its limits at the tested loads.</p>".into();
        }
        let rows: Vec<Vec<String>> = b
            .iter()
            .map(|x| vec![esc(&x.endpoint), format!("{:.1}", x.load), esc(&x.reason)])
            .collect();
        table(&["endpoint", "load", "why"], &rows)
    }
}

/// Permutation importance of the latency model's inputs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportancePlugin;

impl Plugin for ImportancePlugin {
    type Findings = Vec<Importance>;
    fn name(&self) -> &'static str {
        "importance"
    }
    fn title(&self) -> &'static str {
        "What drives latency (permutation importance)"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<Importance>, String> {
        let (_, m) = input.model()?;
        let data = crate::data::Dataset::load(
            std::slice::from_ref(&input.params.dir),
            Some(input.scenario),
        )
        .map_err(|e| format!("cannot read the points: {e}"))?;
        let imp = permutation_importance(m, &data, 5, input.params.seed);
        if imp.is_empty() {
            return Err("needs at least 3 usable points with the model's parameters".into());
        }
        Ok(imp)
    }
    fn render(&self, v: &Vec<Importance>, _page: &Page<'_>) -> String {
        let rows: Vec<Vec<String>> = v
            .iter()
            .map(|i| {
                vec![
                    esc(&i.feature),
                    format!("{:.4}", i.increase),
                    format!("{:.0}%", i.share * 100.0),
                ]
            })
            .collect();
        table(&["input", "error increase when shuffled", "share"], &rows)
    }
}

/// Endpoints clustered by latency profile (k-means).
#[derive(Debug, Clone, Copy, Default)]
pub struct Clusters;

impl Plugin for Clusters {
    type Findings = Vec<Cluster>;
    fn name(&self) -> &'static str {
        "clusters"
    }
    fn title(&self) -> &'static str {
        "Endpoints grouped by latency profile (k-means)"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<Cluster>, String> {
        let levels = input.load_levels();
        if levels < 2 {
            return Err(format!(
                "{levels} load level(s): a latency profile needs at least 2"
            ));
        }
        let per_endpoint = input.endpoints_at();
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
        let k = 3.min(profiles.len().saturating_sub(1)).max(1);
        let c = cluster_endpoints(&profiles, k, input.params.seed);
        if c.is_empty() {
            return Err("fewer than 2 endpoints with a profile at every load level".into());
        }
        Ok(c)
    }
    fn render(&self, v: &Vec<Cluster>, _page: &Page<'_>) -> String {
        let rows: Vec<Vec<String>> = v
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    format!("group {}", i + 1),
                    esc(&c.endpoints.join(", ")),
                    format!(
                        "{:.1} → {:.1}",
                        c.p95_lowest_load_us / 1e3,
                        c.p95_highest_load_us / 1e3
                    ),
                ]
            })
            .collect();
        table(
            &["group", "endpoints", "p95 ms, lowest → highest load"],
            &rows,
        )
    }
}
