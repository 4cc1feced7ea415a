//! Profile-likelihood intervals for the load at which failures reach a level: the loads
//! `L` whose best curve through (L, p) is within `φ·χ²₁(level) / 2` of the maximum
//! log-likelihood, φ the Pearson dispersion (a quasi-likelihood widening when points
//! scatter more than binomial noise).

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::family::{log_lik, Family, Scale};
use super::FailureFit;
use crate::data::{LoadInterval, Point};
use crate::nm::minimize;

struct Profile<'a> {
    family: Family,
    points: &'a [Point],
    scale: Scale,
    theta: Vec<f64>,
    best: f64,
    params: &'a [f64],
}

impl Profile<'_> {
    /// Twice the log-likelihood lost by forcing the curve through (load, p).
    fn deviance(&self, load: f64, p: f64) -> f64 {
        let k = self.family.pinned();
        let free: Vec<f64> = self
            .theta
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != k)
            .map(|(_, v)| *v)
            .collect();
        let nll = |f: &[f64]| {
            let mut t = f.to_vec();
            t.insert(k, 0.0);
            if !self.family.pin(&mut t, p, load, self.params, &self.scale) {
                return f64::INFINITY;
            }
            -log_lik(&self.family.model(&t, &self.scale), self.points)
        };
        let (_, v) = minimize(nll, &free);
        (2.0 * (self.best + v)).max(0.0)
    }

    /// The edge between `inside` (deviance ≤ crit) and `outside` of `dev` over `t`
    /// (log load, or the failure probability's logit).
    fn edge(inside: f64, outside: f64, crit: f64, dev: impl Fn(f64) -> f64) -> Option<f64> {
        if dev(outside) <= crit {
            return None;
        }
        let (mut a, mut b) = (inside, outside);
        for _ in 0..30 {
            let m = 0.5 * (a + b);
            if dev(m) <= crit {
                a = m;
            } else {
                b = m;
            }
        }
        Some(0.5 * (a + b))
    }
}

impl FailureFit {
    fn profile<'a>(&self, points: &'a [Point], params: &'a [f64]) -> Option<Profile<'a>> {
        let family = self.family()?;
        let scale = Scale::of(points);
        let (theta, best) = family.mle(points, &scale);
        Some(Profile {
            family,
            points,
            scale,
            theta,
            best,
            params,
        })
    }

    fn critical(&self, level: f64) -> f64 {
        self.dispersion
            * ChiSquared::new(1.0)
                .expect("one degree of freedom")
                .inverse_cdf(level)
    }

    /// The `level` interval of the load at which the failure probability reaches `p`
    /// with parameters `params`, searched over `range`. `None` when the curve does not
    /// reach `p` in the range, or is a constant (no load is implied).
    pub fn load_interval(
        &self,
        p: f64,
        params: &[f64],
        range: (f64, f64),
        level: f64,
    ) -> Option<LoadInterval> {
        let at = self.model.load_at(p, params, range.0, range.1)?;
        let points: Vec<Point> = self.data.iter().map(super::Counts::point).collect();
        let prof = self.profile(&points, params)?;
        let crit = self.critical(level);
        let dev = |t: f64| prof.deviance(t.exp(), p);
        Some(LoadInterval {
            level,
            lo: Profile::edge(at.ln(), range.0.ln(), crit, dev).map(f64::exp),
            hi: Profile::edge(at.ln(), range.1.ln(), crit, dev).map(f64::exp),
        })
    }

    /// The `level` interval of the failure probability at `load`: from the profile
    /// likelihood for a fitted curve; for a constant, 0 .. its rule-of-three bound (or
    /// the Wilson score interval of the pooled rate otherwise).
    pub fn probability_interval(&self, load: f64, params: &[f64], level: f64) -> (f64, f64) {
        let points: Vec<Point> = self.data.iter().map(super::Counts::point).collect();
        let Some(prof) = self.profile(&points, params) else {
            return match self.model {
                super::FailureModel::Constant { p: 0.0, upper } => (0.0, upper),
                super::FailureModel::Constant { p, .. } => {
                    let n: u64 = self.data.iter().map(|c| c.requests).sum();
                    crate::stats::wilson(p, n as f64, level)
                }
                _ => unreachable!("only a constant has no family"),
            };
        };
        let crit = self.critical(level);
        let q = self.model.probability(load, params).clamp(1e-9, 1.0 - 1e-9);
        let logit = (q / (1.0 - q)).ln();
        let dev = |t: f64| prof.deviance(load, 1.0 / (1.0 + (-t).exp()));
        let to_p = |t: f64| 1.0 / (1.0 + (-t).exp());
        (
            Profile::edge(logit, -20.7, crit, dev).map_or(0.0, to_p),
            Profile::edge(logit, 20.7, crit, dev).map_or(1.0, to_p),
        )
    }
}
