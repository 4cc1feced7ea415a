//! The queueing curve `latency_q = a_q + b_q / (1 − X / c)` over goodput X: one capacity
//! c shared by p50, p95 and p99, a, b ≥ 0. Fitted on the points where the target kept
//! up with the offered load (goodput within 5% of it, beyond the failures seen at the
//! lightest load): the curve describes the queue below the capacity, and its c is a
//! prediction from the curvature, not the highest goodput restated.
//!
//! For each c, every percentile's (a, b) is a least-squares fit on log latency;
//! c itself is found on a grid of `ln(c / X_max − 1)` refined by golden section. The
//! capacity counts as identified only when the curve beats its own no-saturation limit
//! (c → ∞: latency linear in X) by an F-test at 5%; then its 90% interval is the
//! profile of the residual sum of squares (F at 10%). A server that sheds shows a
//! bounded latency past its capacity: when the data hold such saturated points the
//! curve's predictions are capped at the latency they measured.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, FisherSnedecor};

use super::{Fit, Predict};
use crate::data::LoadInterval;
use crate::data::{levels, Point};
use crate::nm::minimize;
use crate::MlError;

/// Settings of the queueing curve.
#[derive(Debug, Clone, Default)]
pub struct QueueCurveParams;

/// `latency_q = a_q + b_q / (1 − X / c)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueCurve {
    /// Baseline latency per percentile, µs.
    pub a: [f64; 3],
    /// Queueing scale per percentile, µs.
    pub b: [f64; 3],
    /// Capacity, requests per second.
    pub c: f64,
    /// Highest goodput among the points fitted.
    pub x_max: f64,
    /// Latency at saturation: the highest measured at a saturated point, or at the
    /// highest load when no point saturated.
    pub saturated: [f64; 3],
    /// Whether saturated points bound the latency (a server that sheds).
    pub bounded: bool,
    /// Whether the data identify c (F-test against the no-saturation limit).
    pub identified: bool,
    /// c's 90% profile interval, when identified.
    pub interval: Option<LoadInterval>,
    /// The F statistic of the curve against its no-saturation limit.
    pub f_statistic: f64,
    /// Points fitted (the unsaturated ones).
    pub fitted: usize,
}

/// Whether the target kept up at a point: goodput within 5% of the offered load, net of
/// the failure fraction `floor` seen at the lightest load.
fn kept_up(p: &Point, floor: f64) -> bool {
    p.goodput >= 0.95 * p.load * (1.0 - floor)
}

struct Curve {
    x: Vec<f64>,
    ln_y: Vec<[f64; 3]>,
    min_y: [f64; 3],
    x_max: f64,
}

impl Curve {
    fn c(&self, u: f64) -> f64 {
        self.x_max * (1.0 + u.exp())
    }

    /// Best (a, b) per percentile for the capacity `c`, and the residual sum of squares
    /// of log latency over all three.
    fn given(&self, c: f64) -> ([f64; 3], [f64; 3], f64) {
        let g: Vec<f64> = self.x.iter().map(|x| 1.0 / (1.0 - x / c)).collect();
        let mut a = [0.0; 3];
        let mut b = [0.0; 3];
        let mut rss = 0.0;
        for q in 0..3 {
            let loss = |v: &[f64]| -> f64 {
                let (aa, bb) = (v[0].exp(), v[1].exp());
                self.ln_y
                    .iter()
                    .zip(&g)
                    .map(|(ly, g)| (ly[q] - (aa + bb * g).ln()).powi(2))
                    .sum()
            };
            let m = self.min_y[q];
            let (v, l) = [(0.9, 0.05), (0.5, 0.5), (0.99, 0.001)]
                .iter()
                .map(|(fa, fb)| minimize(loss, &[(fa * m).ln(), (fb * m).ln()]))
                .min_by(|x, y| x.1.total_cmp(&y.1))
                .expect("starts");
            a[q] = v[0].exp();
            b[q] = v[1].exp();
            rss += l;
        }
        (a, b, rss)
    }

    fn rss(&self, u: f64) -> f64 {
        self.given(self.c(u)).2
    }

    /// The u minimizing the residuals: a grid over [−8, 9], then golden section.
    fn best_u(&self) -> f64 {
        let grid: Vec<f64> = (0..=34).map(|i| -8.0 + 0.5 * f64::from(i)).collect();
        let vals: Vec<f64> = grid.iter().map(|u| self.rss(*u)).collect();
        let i = (0..grid.len())
            .min_by(|a, b| vals[*a].total_cmp(&vals[*b]))
            .expect("grid");
        let (mut lo, mut hi) = (grid[i.saturating_sub(1)], grid[(i + 1).min(grid.len() - 1)]);
        let r = 0.5 * (5f64.sqrt() - 1.0);
        for _ in 0..40 {
            let (m1, m2) = (hi - r * (hi - lo), lo + r * (hi - lo));
            if self.rss(m1) <= self.rss(m2) {
                hi = m2;
            } else {
                lo = m1;
            }
        }
        0.5 * (lo + hi)
    }
}

/// The no-saturation limit: c a thousand times the highest goodput.
const U_FLAT: f64 = 6.9;

impl Fit for QueueCurveParams {
    type Object = QueueCurve;

    fn fit(&self, points: &[Point]) -> Result<QueueCurve, MlError> {
        let floor = points
            .iter()
            .min_by(|a, b| a.load.total_cmp(&b.load))
            .map_or(0.0, Point::error_rate);
        let fit: Vec<Point> = points
            .iter()
            .filter(|p| kept_up(p, floor))
            .cloned()
            .collect();
        if fit.len() < 4 || levels(&fit).len() < 3 {
            return Err(MlError::NotEnough {
                model: "the queueing curve",
                what: "points where the target kept up with the load (at 3 load levels)",
                need: 4,
                got: fit.len(),
            });
        }
        let x_max = fit.iter().map(|p| p.goodput).fold(0.0, f64::max);
        if x_max <= 0.0 {
            return Err(MlError::Data(
                "no request succeeded at any load: no latency curve to fit".into(),
            ));
        }
        let curve = Curve {
            x: fit.iter().map(|p| p.goodput).collect(),
            ln_y: fit.iter().map(|p| p.latency.map(f64::ln)).collect(),
            min_y: [0, 1, 2].map(|q| {
                fit.iter()
                    .map(|p| p.latency[q])
                    .fold(f64::INFINITY, f64::min)
            }),
            x_max,
        };
        let u = curve.best_u();
        let (a, b, rss) = curve.given(curve.c(u));
        if !rss.is_finite() {
            return Err(MlError::NoConvergence {
                model: "queueing curve",
                reason: format!("residual sum of squares {rss}"),
            });
        }
        // F-test of the pole against the straight line it tends to (one parameter: c).
        let n = fit.len();
        let dof = (n - 3) as f64;
        let rss_min = rss.max(1e-12 * n as f64);
        let f_of = |r: f64| (r - rss_min).max(0.0) / (rss_min / dof);
        let f_statistic = f_of(curve.rss(U_FLAT));
        let fdist = FisherSnedecor::new(1.0, dof).expect("valid degrees of freedom");
        let identified = f_statistic > fdist.inverse_cdf(0.95);
        let interval = identified.then(|| {
            let crit = fdist.inverse_cdf(0.9);
            let edge = |outside: f64| {
                if f_of(curve.rss(outside)) <= crit {
                    return None;
                }
                let (mut i, mut o) = (u, outside);
                for _ in 0..30 {
                    let m = 0.5 * (i + o);
                    if f_of(curve.rss(m)) <= crit {
                        i = m;
                    } else {
                        o = m;
                    }
                }
                Some(curve.c(0.5 * (i + o)))
            };
            LoadInterval {
                level: 0.9,
                // c exceeds every goodput fitted: that is the lowest it can be.
                lo: edge(-12.0).or(Some(x_max)),
                hi: edge(U_FLAT),
            }
        });
        let sat: Vec<&Point> = points.iter().filter(|p| !kept_up(p, floor)).collect();
        let saturated = if sat.is_empty() {
            points
                .iter()
                .max_by(|p, q| p.load.total_cmp(&q.load))
                .expect("points")
                .latency
        } else {
            [0, 1, 2].map(|q| sat.iter().map(|p| p.latency[q]).fold(0.0, f64::max))
        };
        Ok(QueueCurve {
            a,
            b,
            c: curve.c(u),
            x_max,
            saturated,
            bounded: !sat.is_empty(),
            identified,
            interval,
            f_statistic,
            fitted: n,
        })
    }
}

impl Predict for QueueCurve {
    fn predict(&self, load: f64, _: &[f64]) -> [f64; 3] {
        if load >= self.c {
            return self.saturated;
        }
        let g = 1.0 / (1.0 - load / self.c);
        [0, 1, 2].map(|q| {
            let v = (self.a[q] + self.b[q] * g).min(1e12);
            if self.bounded {
                v.min(self.saturated[q])
            } else {
                v
            }
        })
    }

    fn capacity(&self) -> Option<f64> {
        self.identified.then_some(self.c)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn synthetic(c: f64, noise: f64, seed: u64) -> Vec<Point> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (1..=12)
            .map(|i| {
                let x = c * i as f64 / 13.0;
                let latency = [2000.0, 3000.0, 4000.0].map(|a: f64| {
                    (a + 0.3 * a / (1.0 - x / c)) * (1.0 + noise * (rng.random::<f64>() - 0.5))
                });
                Point {
                    load: x,
                    goodput: x,
                    params: vec![],
                    latency,
                    requests: 1000,
                    failures: 0,
                }
            })
            .collect()
    }

    #[test]
    fn recovers_a_known_capacity_with_an_interval() {
        for c in [200.0, 1000.0, 3000.0] {
            let m = QueueCurveParams.fit(&synthetic(c, 0.04, c as u64)).unwrap();
            assert!((m.c - c).abs() / c < 0.1, "capacity {} for {c}", m.c);
            assert!(m.identified && m.capacity().is_some());
            let i = m.interval.unwrap();
            assert!(
                i.lo.unwrap() <= c * 1.02 && i.hi.is_none_or(|h| h >= c * 0.98),
                "{i:?}"
            );
            let p = m.predict(c * 0.5, &[]);
            // a + 0.3a / (1 − 0.5) = 1.6a with a = 2000.
            assert!((p[0] - 3200.0).abs() / 3200.0 < 0.05, "{p:?}");
        }
    }

    #[test]
    fn flat_latency_identifies_no_capacity() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let pts: Vec<Point> = (1..=8)
            .map(|i| {
                let x = 40.0 * f64::from(i);
                Point {
                    load: x,
                    goodput: x,
                    params: vec![],
                    latency: [2000.0, 2500.0, 3000.0]
                        .map(|v: f64| v * (1.0 + 0.03 * (rng.random::<f64>() - 0.5))),
                    requests: 1000,
                    failures: 0,
                }
            })
            .collect();
        let m = QueueCurveParams.fit(&pts).unwrap();
        assert!(!m.identified && m.capacity().is_none(), "{m:?}");
    }

    #[test]
    fn saturated_points_are_left_out_and_cap_the_latency() {
        // Sheds above 500: goodput stays at 500 with a bounded latency of 9 ms.
        let mut pts = synthetic(500.0, 0.02, 9);
        for load in [600.0, 800.0] {
            pts.push(Point {
                load,
                goodput: 500.0,
                params: vec![],
                latency: [8000.0, 9000.0, 9500.0],
                requests: 1000,
                failures: 300,
            });
        }
        let m = QueueCurveParams.fit(&pts).unwrap();
        assert_eq!(m.fitted, 12);
        assert!(m.bounded && (m.c - 500.0).abs() < 50.0, "{}", m.c);
        assert!(m.predict(499.0, &[])[1] <= 9000.0);
        assert_eq!(m.predict(700.0, &[]), [8000.0, 9000.0, 9500.0]);
    }
}
