//! `apdex`: the Apdex score (apdex.org) of every endpoint at every load level — the
//! share of requests a user would call satisfied (at most T), plus half of the
//! tolerating ones (at most 4 T); failed requests count as frustrated.
//!
//! T is the plugin's parameter: `report --plugin-param apdex.threshold=300ms`. Without
//! it, T is the run's p95 SLO limit (a request as fast as the SLO asks satisfies), or
//! 500 ms when the run has no p95 SLO. The shares come from the points' latency
//! histograms (buckets 9% wide, linear inside a bucket).

use perf_core::EndpointSummary;
use perf_ml::report::html::{esc, table};
use perf_ml::report::{load_label, Input, Page, Plugin};
use serde::Serialize;

/// The plugin, registered as `apdex`.
pub fn plugin() -> Apdex {
    Apdex::default()
}

/// The Apdex plugin: T set, or taken from the run.
#[derive(Debug, Clone, Default)]
pub struct Apdex {
    /// T, µs, when set by `apdex.threshold`.
    threshold_us: Option<f64>,
}

/// Apdex scores at one T.
#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    /// T, µs.
    pub threshold_us: f64,
    /// Where T came from: "parameter", "p95 SLO" or "default".
    pub threshold_from: &'static str,
    /// One row per endpoint and point.
    pub rows: Vec<Score>,
}

/// One endpoint at one point.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    /// The point.
    pub point: usize,
    /// Its load, as a label.
    pub load: String,
    /// The endpoint, or `ALL`.
    pub endpoint: String,
    /// Requests (failed ones included).
    pub requests: u64,
    /// Successful requests of latency at most T.
    pub satisfied: f64,
    /// Successful requests above T and at most 4 T.
    pub tolerating: f64,
    /// The rest: slower than 4 T, or failed.
    pub frustrated: f64,
    /// (satisfied + tolerating / 2) / requests.
    pub apdex: f64,
    /// Apdex's rating of the score: excellent (≥ 0.94), good (≥ 0.85), fair (≥ 0.70),
    /// poor (≥ 0.50), unacceptable.
    pub rating: &'static str,
}

fn rating(score: f64) -> &'static str {
    match score {
        s if s >= 0.94 => "excellent",
        s if s >= 0.85 => "good",
        s if s >= 0.70 => "fair",
        s if s >= 0.50 => "poor",
        _ => "unacceptable",
    }
}

/// One endpoint's score at T at a point; `None` without requests or, when some
/// succeeded, without a latency histogram.
fn score(point: usize, load: &str, e: &EndpointSummary, t_us: f64) -> Option<Score> {
    if e.requests == 0 {
        return None;
    }
    let ok = e.requests.saturating_sub(e.failures) as f64;
    let (within_t, within_4t) = if ok > 0.0 {
        (e.share_within(t_us)?, e.share_within(4.0 * t_us)?)
    } else {
        (0.0, 0.0)
    };
    let satisfied = ok * within_t;
    let tolerating = ok * (within_4t - within_t);
    let n = e.requests as f64;
    let apdex = (satisfied + tolerating / 2.0) / n;
    Some(Score {
        point,
        load: load.to_string(),
        endpoint: e.name.clone(),
        requests: e.requests,
        satisfied,
        tolerating,
        frustrated: n - satisfied - tolerating,
        apdex,
        rating: rating(apdex),
    })
}

impl Plugin for Apdex {
    type Findings = Scores;

    fn name(&self) -> &'static str {
        "apdex"
    }

    fn title(&self) -> &'static str {
        "Apdex per endpoint and load"
    }

    fn params(&self) -> Vec<(&'static str, &'static str)> {
        vec![(
            "threshold",
            "T, a duration such as 300ms: satisfied at most T, tolerating at most 4 T (default: the p95 SLO's limit, else 500ms)",
        )]
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        if key != "threshold" {
            return Err(format!("has no parameter '{key}' (it has: threshold)"));
        }
        let bad = || {
            format!("threshold '{value}' is not a duration above zero with a unit, such as 300ms or 1.5s")
        };
        if value.parse::<f64>().is_ok() {
            return Err(bad());
        }
        let d = perf_core::load::parse_duration(value).ok_or_else(bad)?;
        if d.is_zero() {
            return Err(bad());
        }
        self.threshold_us = Some(d.as_secs_f64() * 1e6);
        Ok(())
    }

    fn analyze(&self, input: &Input<'_>) -> Result<Scores, String> {
        let (threshold_us, threshold_from) = match (self.threshold_us, input.limits) {
            (Some(t), _) => (t, "parameter"),
            (None, Some(l)) if l.p95_us.is_finite() => (l.p95_us, "p95 SLO"),
            _ => (500_000.0, "default"),
        };
        let details = input.details()?;
        let rows: Vec<Score> = details
            .iter()
            .flat_map(|d| {
                let load = load_label(&d.row);
                d.endpoints
                    .iter()
                    .chain(std::iter::once(&d.all))
                    .filter_map(move |e| score(d.index, &load, e, threshold_us))
            })
            .collect();
        if rows.is_empty() {
            return Err("the points have no latency histograms (recorded before perf-core kept them): run the test again".into());
        }
        Ok(Scores {
            threshold_us,
            threshold_from,
            rows,
        })
    }

    fn summary(&self, s: &Scores) -> Option<String> {
        let worst = s
            .rows
            .iter()
            .filter(|r| r.endpoint != perf_core::record::ALL)
            .min_by(|a, b| a.apdex.total_cmp(&b.apdex))?;
        Some(format!(
            "apdex (T = {:.0} ms): lowest {:.2} ({}), {} at {}",
            s.threshold_us / 1e3,
            worst.apdex,
            worst.rating,
            worst.endpoint,
            worst.load
        ))
    }

    fn render(&self, s: &Scores, _page: &Page<'_>) -> String {
        let rows: Vec<Vec<String>> = s
            .rows
            .iter()
            .map(|r| {
                vec![
                    format!("{}: {}", r.point, esc(&r.load)),
                    esc(&r.endpoint),
                    r.requests.to_string(),
                    format!("{:.1}%", 100.0 * r.satisfied / r.requests as f64),
                    format!("{:.1}%", 100.0 * r.tolerating / r.requests as f64),
                    format!("{:.1}%", 100.0 * r.frustrated / r.requests as f64),
                    format!("<b>{:.2}</b>", r.apdex),
                    r.rating.to_string(),
                ]
            })
            .collect();
        format!(
            "<p>T = {:.0} ms ({}): satisfied at most T, tolerating at most 4 T = {:.0} ms, failed requests frustrated.</p>{}",
            s.threshold_us / 1e3,
            s.threshold_from,
            4.0 * s.threshold_us / 1e3,
            table(
                &["point", "endpoint", "requests", "satisfied", "tolerating", "frustrated", "Apdex", "rating"],
                &rows
            )
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_core::Bucket;

    fn endpoint(requests: u64, failures: u64, buckets: &[(u64, u64)]) -> EndpointSummary {
        EndpointSummary {
            name: "GET /x".into(),
            requests,
            failures,
            unfinished: 0,
            after_window: 0,
            error_rate: failures as f64 / requests as f64,
            rps: 1.0,
            mean_us: 0.0,
            p50_us: 0,
            p90_us: 0,
            p95_us: 0,
            p99_us: 0,
            max_us: 0,
            fail_p50_us: None,
            fail_p95_us: None,
            fail_max_us: None,
            latency_buckets: buckets
                .iter()
                .map(|&(le_us, count)| Bucket { le_us, count })
                .collect(),
        }
    }

    #[test]
    fn the_score_counts_satisfied_half_the_tolerating_and_failures_as_frustrated() {
        // 100 successes: 50 up to 1 ms, 30 in (1, 2] ms, 20 in (2, 8] ms; 10 failures.
        // T = 1 ms: 50 satisfied; 4 T = 4 ms takes 30 + 20 × 2/6 tolerating.
        let e = endpoint(110, 10, &[(1000, 50), (2000, 30), (8000, 20)]);
        let s = score(0, "100 req/s", &e, 1000.0).unwrap();
        let tolerating = 30.0 + 20.0 * 2.0 / 6.0;
        assert!((s.satisfied - 50.0).abs() < 1e-9 && (s.tolerating - tolerating).abs() < 1e-9);
        assert!(
            (s.apdex - (50.0 + tolerating / 2.0) / 110.0).abs() < 1e-12,
            "{}",
            s.apdex
        );
        assert_eq!(s.rating, "poor");
        // Every request under T: 1; all failed: 0; no histogram (older results): none.
        assert_eq!(
            score(0, "", &endpoint(5, 0, &[(900, 5)]), 1000.0)
                .unwrap()
                .apdex,
            1.0
        );
        assert_eq!(
            score(0, "", &endpoint(5, 5, &[]), 1000.0).unwrap().apdex,
            0.0
        );
        assert!(score(0, "", &endpoint(5, 0, &[]), 1000.0).is_none());
    }

    #[test]
    fn the_threshold_takes_a_positive_duration_with_a_unit() {
        let mut a = plugin();
        assert_eq!(a.set("threshold", "1.5s"), Ok(()));
        assert_eq!(a.threshold_us, Some(1.5e6));
        for bad in ["300", "0ms", "-1s", "fast", ""] {
            assert!(
                a.set("threshold", bad).unwrap_err().contains("with a unit"),
                "{bad}"
            );
        }
        assert!(a.set("t", "1s").unwrap_err().contains("no parameter 't'"));
    }
}
