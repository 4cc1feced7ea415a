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
    /// 5th and 95th percentiles of log(observed / predicted) per percentile: the 90%
    /// prediction interval's factors.
    pub log_resid_q: [(f64, f64); 3],
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
    let n = levels(points).len();
    if n < 3 {
        return Err(MlError::NotEnough {
            model: "cross-validation",
            what: "load levels",
            need: 3,
            got: n,
        });
    }
    Ok(n.min(5))
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i.min(v.len() - 1)]
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
        let model = params.fit(train)?;
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
        log_resid_q: [0, 1, 2]
            .map(|q| (quantile(&mut logr[q], 0.05), quantile(&mut logr[q], 0.95))),
        folds: k,
    })
}
