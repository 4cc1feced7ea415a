//! Insights: which endpoint breaks first and at what load, how much each input of the
//! latency model matters (permutation importance), and which endpoints behave alike
//! (smartcore k-means on their latency profiles).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use smartcore::cluster::kmeans::{KMeans, KMeansParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;

use crate::data::Dataset;
use crate::latency::Predict;
use crate::model_file::ModelFile;

/// The first load at which an endpoint broke its limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Break {
    /// The endpoint.
    pub endpoint: String,
    /// The lowest load where it broke.
    pub load: f64,
    /// Why: the figure against its limit.
    pub reason: String,
}

/// One endpoint at one load: p95 µs, requests, failures.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointAt {
    /// The endpoint.
    pub endpoint: String,
    /// Offered load.
    pub load: f64,
    /// p95, µs.
    pub p95_us: f64,
    /// Requests.
    pub requests: u64,
    /// Failures.
    pub failures: u64,
}

/// Endpoints in the order they break (lowest load first); endpoints that never break
/// are left out.
pub fn breaks_first(rows: &[EndpointAt], p95_limit_us: f64, error_limit: f64) -> Vec<Break> {
    let mut names: Vec<&str> = rows.iter().map(|r| r.endpoint.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut out: Vec<Break> = names
        .into_iter()
        .filter_map(|n| {
            let mut mine: Vec<&EndpointAt> = rows
                .iter()
                .filter(|r| r.endpoint == n && r.requests > 0)
                .collect();
            mine.sort_by(|a, b| a.load.total_cmp(&b.load));
            mine.into_iter().find_map(|r| {
                let er = r.failures as f64 / r.requests as f64;
                let reason = if er > error_limit {
                    format!(
                        "error rate {:.2}% > {:.2}%",
                        er * 100.0,
                        error_limit * 100.0
                    )
                } else if r.p95_us > p95_limit_us {
                    format!(
                        "p95 {:.1} ms > {:.1} ms",
                        r.p95_us / 1e3,
                        p95_limit_us / 1e3
                    )
                } else {
                    return None;
                };
                Some(Break {
                    endpoint: n.to_string(),
                    load: r.load,
                    reason,
                })
            })
        })
        .collect();
    out.sort_by(|a, b| a.load.total_cmp(&b.load).then(a.endpoint.cmp(&b.endpoint)));
    out
}

/// How much the model's error grows when one input is shuffled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    /// `load` or a parameter name.
    pub feature: String,
    /// Increase of the mean |ln(predicted / observed p95)| when the feature is permuted
    /// (mean over the repeats).
    pub increase: f64,
    /// Share of the total increase (0..1).
    pub share: f64,
}

fn log_error(m: &ModelFile, rows: &[(f64, Vec<f64>, f64)]) -> f64 {
    rows.iter()
        .map(|(load, params, obs)| {
            (m.latency.predict(*load, params)[1].max(1.0) / obs.max(1.0))
                .ln()
                .abs()
        })
        .sum::<f64>()
        / rows.len() as f64
}

/// Permutation importance of the load and each varying parameter in `m`'s p95, on the
/// points of `data` (seeded, `repeats` shuffles per feature). Empty with fewer than 3
/// points or when the data's parameters are not the model's.
pub fn permutation_importance(
    m: &ModelFile,
    data: &Dataset,
    repeats: usize,
    seed: u64,
) -> Vec<Importance> {
    if data.points.len() < 3 || data.param_names != m.training.param_names {
        return Vec::new();
    }
    let rows: Vec<(f64, Vec<f64>, f64)> = data
        .points
        .iter()
        .map(|p| (p.load, p.params.clone(), p.latency[1]))
        .collect();
    let base = log_error(m, &rows);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let features: Vec<String> = std::iter::once("load".to_string())
        .chain(data.param_names.iter().cloned())
        .collect();
    let mut out: Vec<Importance> = features
        .iter()
        .enumerate()
        .map(|(f, name)| {
            let mut total = 0.0;
            for _ in 0..repeats.max(1) {
                let mut col: Vec<f64> = rows
                    .iter()
                    .map(|r| if f == 0 { r.0 } else { r.1[f - 1] })
                    .collect();
                col.shuffle(&mut rng);
                let shuffled: Vec<(f64, Vec<f64>, f64)> = rows
                    .iter()
                    .zip(&col)
                    .map(|(r, v)| {
                        let mut r = r.clone();
                        if f == 0 {
                            r.0 = *v;
                        } else {
                            r.1[f - 1] = *v;
                        }
                        r
                    })
                    .collect();
                total += log_error(m, &shuffled) - base;
            }
            Importance {
                feature: name.clone(),
                increase: (total / repeats.max(1) as f64).max(0.0),
                share: 0.0,
            }
        })
        .collect();
    let sum: f64 = out.iter().map(|i| i.increase).sum();
    for i in &mut out {
        i.share = if sum > 0.0 { i.increase / sum } else { 0.0 };
    }
    out.sort_by(|a, b| b.increase.total_cmp(&a.increase));
    out
}

/// A group of endpoints with alike latency profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// Its endpoints.
    pub endpoints: Vec<String>,
    /// Mean p95 of its members at the lowest load, µs.
    pub p95_lowest_load_us: f64,
    /// Mean p95 of its members at the highest load, µs.
    pub p95_highest_load_us: f64,
}

/// Clusters endpoints by `ln p95` at each load level (profiles of equal length, one
/// per endpoint); `k` is capped at the number of endpoints. Seeded.
pub fn cluster_endpoints(profiles: &[(String, Vec<f64>)], k: usize, seed: u64) -> Vec<Cluster> {
    let n = profiles.len();
    let len = profiles.first().map_or(0, |p| p.1.len());
    if n < 2 || len == 0 || profiles.iter().any(|p| p.1.len() != len) {
        return Vec::new();
    }
    let k = k.clamp(1, n);
    let rows: Vec<Vec<f64>> = profiles
        .iter()
        .map(|(_, v)| v.iter().map(|x| x.max(1.0).ln()).collect())
        .collect();
    let Ok(x) = DenseMatrix::from_2d_vec(&rows) else {
        return Vec::new();
    };
    let params = KMeansParameters {
        k,
        max_iter: 100,
        seed: Some(seed),
    };
    let Ok(model) = KMeans::<f64, usize, DenseMatrix<f64>, Vec<usize>>::fit(&x, params) else {
        return Vec::new();
    };
    let Ok(labels) = model.predict(&x) else {
        return Vec::new();
    };
    let mut out: Vec<Cluster> = (0..k)
        .filter_map(|c| {
            let members: Vec<usize> = (0..n).filter(|i| labels[*i] == c).collect();
            if members.is_empty() {
                return None;
            }
            let mean = |j: usize| {
                members.iter().map(|i| profiles[*i].1[j]).sum::<f64>() / members.len() as f64
            };
            Some(Cluster {
                endpoints: members.iter().map(|i| profiles[*i].0.clone()).collect(),
                p95_lowest_load_us: mean(0),
                p95_highest_load_us: mean(len - 1),
            })
        })
        .collect();
    out.sort_by(|a, b| a.p95_highest_load_us.total_cmp(&b.p95_highest_load_us));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_endpoint_to_break_is_named_with_its_reason() {
        let at = |e: &str, load, p95, failures| EndpointAt {
            endpoint: e.into(),
            load,
            p95_us: p95,
            requests: 1000,
            failures,
        };
        let rows = [
            at("GET /a", 100.0, 5000.0, 0),
            at("GET /a", 400.0, 9000.0, 0),
            at("POST /b", 100.0, 8000.0, 0),
            at("POST /b", 400.0, 31000.0, 0),
            at("GET /c", 100.0, 5000.0, 0),
            at("GET /c", 400.0, 5000.0, 50),
        ];
        let b = breaks_first(&rows, 30_000.0, 0.01);
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].endpoint.as_str(), b[0].load), ("GET /c", 400.0));
        assert!(b[0].reason.starts_with("error rate 5.00%"));
        assert!(b[1].reason.contains("p95 31.0 ms > 30.0 ms"));
    }

    #[test]
    fn kmeans_separates_fast_and_slow_endpoints() {
        let p = |n: &str, v: &[f64]| (n.to_string(), v.to_vec());
        let profiles = [
            p("GET /a", &[5000.0, 5200.0, 6000.0]),
            p("GET /b", &[5100.0, 5300.0, 6100.0]),
            p("POST /c", &[10000.0, 11000.0, 30000.0]),
            p("POST /d", &[10500.0, 11500.0, 31000.0]),
        ];
        let c = cluster_endpoints(&profiles, 2, 1);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].endpoints, ["GET /a", "GET /b"]);
        assert_eq!(c[1].endpoints, ["POST /c", "POST /d"]);
        assert!(cluster_endpoints(&profiles[..1], 2, 1).is_empty());
    }
}
