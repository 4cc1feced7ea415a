//! Cross-validation grouped by load point: every point at one load level is held out
//! together, so a model is never scored on a load it trained on.

use serde::{Deserialize, Serialize};

use crate::data::{levels, Point};
use crate::latency::{Fit, Predict};
use crate::MlError;

/// Cross-validated error of a latency model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvScore {
    /// The candidate.
    pub model: String,
    /// Mean absolute percentage error of p50, p95, p99 (fractions).
    pub mape: [f64; 3],
    /// Root mean square error of p50, p95, p99 in µs.
    pub rmse_us: [f64; 3],
    /// Per percentile, the 90% prediction interval's factors as logs: split-conformal
    /// ranks of the held-out log(observed / predicted) (see [`conformal`]); `None` with
    /// fewer than [`conformal_minimum`] points ("not enough points").
    pub log_resid_q: Option<[(f64, f64); 3]>,
    /// Folds.
    pub folds: usize,
}

impl CvScore {
    /// The selection criterion: mean MAPE over the three percentiles.
    pub fn mean_mape(&self) -> f64 {
        self.mape.iter().sum::<f64>() / 3.0
    }
}

/// Fold of each point: load levels are dealt round-robin over `k` folds.
pub fn folds(points: &[Point], k: usize) -> Vec<usize> {
    let lv = levels(points);
    points
        .iter()
        .map(|p| {
            lv.iter()
                .position(|l| (l - p.load).abs() <= 1e-9 * p.load.abs().max(1.0))
                .unwrap_or(0)
                % k
        })
        .collect()
}

/// Number of folds: up to 5, one per load level at most; needs 3 levels.
pub fn fold_count(points: &[Point]) -> Result<usize, MlError> {
    Ok(three_levels(points, "cross-validation", "load levels")?.min(5))
}

/// The number of load levels in `points`, or `model` needs at least 3 `what`.
pub fn three_levels(
    points: &[Point],
    model: &'static str,
    what: &'static str,
) -> Result<usize, MlError> {
    let n = levels(points).len();
    if n < 3 {
        return Err(MlError::NotEnough {
            model,
            what,
            need: 3,
            got: n,
        });
    }
    Ok(n)
}

/// Miscoverage of the prediction intervals: 0.1 for 90%.
pub const ALPHA: f64 = 0.1;

/// The fewest held-out residuals for a `1 − alpha` conformal interval:
/// `⌈(n+1)(1 − alpha/2)⌉ ≤ n` first holds at `n = ⌈2/alpha⌉ − 1` (19 for 90%).
pub fn conformal_minimum(alpha: f64) -> usize {
    (1..)
        .find(|&n: &usize| conformal_rank(n, alpha) <= n)
        .expect("a finite minimum")
}

fn conformal_rank(n: usize, alpha: f64) -> usize {
    ((n as f64 + 1.0) * (1.0 - alpha / 2.0) - 1e-9).ceil() as usize
}

/// The conformal `1 − alpha` interval from held-out residuals: the
/// `⌈(n+1)(1−α/2)⌉`-th smallest residual above and as many from the top below, so each
/// tail holds at most α/2 of a new exchangeable residual; `None` when that rank is
/// beyond the n residuals.
pub fn conformal(residuals: &[f64], alpha: f64) -> Option<(f64, f64)> {
    let n = residuals.len();
    let k = conformal_rank(n, alpha);
    if k > n || k == 0 {
        return None;
    }
    let mut v = residuals.to_vec();
    v.sort_by(f64::total_cmp);
    Some((v[n - k], v[k - 1]))
}

/// One fold: the training points and the indices of the points held out.
pub type Split = (Vec<Point>, Vec<usize>);

/// The grouped folds.
pub fn splits(points: &[Point]) -> Result<Vec<Split>, MlError> {
    let k = fold_count(points)?;
    let fold = folds(points, k);
    Ok((0..k)
        .map(|f| {
            let train = points
                .iter()
                .zip(&fold)
                .filter(|(_, g)| **g != f)
                .map(|(p, _)| p.clone())
                .collect();
            (train, (0..points.len()).filter(|i| fold[*i] == f).collect())
        })
        .collect())
}

/// Scores a candidate by grouped k-fold cross-validation.
pub fn score<F: Fit>(name: &str, params: &F, points: &[Point]) -> Result<CvScore, MlError> {
    let splits = splits(points)?;
    let k = splits.len();
    let mut pred: Vec<Option<[f64; 3]>> = vec![None; points.len()];
    for (train, held) in &splits {
        let model = params.fit(train).map_err(|e| {
            let out: Vec<String> =
                levels(&held.iter().map(|&i| points[i].clone()).collect::<Vec<_>>())
                    .iter()
                    .map(|l| format!("{l}"))
                    .collect();
            MlError::Data(format!("in the fold without load {}: {e}", out.join(", ")))
        })?;
        for &i in held {
            pred[i] = Some(model.predict(points[i].load, &points[i].params));
        }
    }
    let mut mape = [0.0; 3];
    let mut sq = [0.0; 3];
    let mut logr: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (p, pr) in points.iter().zip(&pred) {
        let pr = pr.expect("every point is held out once");
        for q in 0..3 {
            let (y, yh) = (p.latency[q], pr[q]);
            if !yh.is_finite() || yh <= 0.0 {
                return Err(MlError::NoConvergence {
                    model: "cross-validation",
                    reason: format!("{name} predicted {yh} µs"),
                });
            }
            mape[q] += (yh - y).abs() / y;
            sq[q] += (yh - y).powi(2);
            logr[q].push((y / yh).ln());
        }
    }
    let n = points.len() as f64;
    Ok(CvScore {
        model: name.to_string(),
        mape: mape.map(|m| m / n),
        rmse_us: sq.map(|s| (s / n).sqrt()),
        log_resid_q: match [0, 1, 2].map(|q| conformal(&logr[q], ALPHA)) {
            [Some(a), Some(b), Some(c)] => Some([a, b, c]),
            _ => None,
        },
        folds: k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conformal_ranks() {
        assert_eq!(conformal_minimum(0.1), 19);
        assert_eq!(conformal(&[0.0; 18], 0.1), None);
        // 19 residuals 1..19: rank ⌈20·0.95⌉ = 19, the largest above and smallest below.
        let r: Vec<f64> = (1..=19).map(f64::from).collect();
        assert_eq!(conformal(&r, 0.1), Some((1.0, 19.0)));
        // 39 residuals: rank ⌈40·0.95⌉ = 38.
        let r: Vec<f64> = (1..=39).map(f64::from).collect();
        assert_eq!(conformal(&r, 0.1), Some((2.0, 38.0)));
    }

    #[test]
    fn conformal_intervals_cover_new_draws() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let d = Normal::new(0.0, 1.0).unwrap();
        let (mut covered, trials) = (0, 4000);
        for _ in 0..trials {
            let r: Vec<f64> = (0..24).map(|_| d.sample(&mut rng)).collect();
            let (lo, hi) = conformal(&r, 0.1).unwrap();
            let x = d.sample(&mut rng);
            covered += usize::from(lo <= x && x <= hi);
        }
        let rate = covered as f64 / trials as f64;
        assert!((0.88..0.96).contains(&rate), "{rate}");
    }
}
