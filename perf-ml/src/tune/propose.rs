//! Where to measure next: [`Strategy::Ego`] (a space-filling Latin hypercube from
//! egobox-doe, then egobox-ego's constrained expected improvement, asked and told one
//! load run at a time), and the baselines [`Strategy::Grid`] (an even grid over the
//! budget, measured in a seeded random order) and [`Strategy::Random`] (uniform draws).

use std::fmt;

use egobox_doe::{Lhs, SamplingMethod};
use egobox_ego::{EgorServiceBuilder, XType};
use ndarray_gp::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_xoshiro06::rand_core::SeedableRng as _;
use rand_xoshiro06::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

use super::knob::{Knob, Scale};

/// How the configurations to measure are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Constrained efficient global optimization (egobox-ego).
    #[default]
    Ego,
    /// An even grid over the budget, in a seeded random order.
    Grid,
    /// Uniform random configurations.
    Random,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ego => "ego",
            Self::Grid => "grid",
            Self::Random => "random",
        })
    }
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ego" => Ok(Self::Ego),
            "grid" => Ok(Self::Grid),
            "random" => Ok(Self::Random),
            other => Err(format!("unknown strategy '{other}' (ego, grid or random)")),
        }
    }
}

/// A configuration measured: its values (one per knob), cost and margin (`None` when
/// the point is not evidence, for example a saturated generator).
#[derive(Debug, Clone)]
pub struct Told {
    /// Knob values.
    pub values: Vec<f64>,
    /// The cost.
    pub cost: f64,
    /// The SLO margin (≤ 0 meets the SLOs).
    pub margin: Option<f64>,
}

/// The next configuration and the rule that chose it.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Knob values.
    pub values: Vec<f64>,
    /// Which rule chose it.
    pub rule: &'static str,
}

/// The first points of EGO: a Latin hypercube of this many points per knob, at least 4.
pub fn initial_points(dims: usize) -> usize {
    (2 * dims).max(4)
}

/// Chooses configurations for one strategy.
#[derive(Debug)]
pub struct Proposer {
    knobs: Vec<Knob>,
    strategy: Strategy,
    seed: u64,
    planned: Vec<Vec<f64>>,
    rng: ChaCha8Rng,
}

impl Proposer {
    /// A proposer over `knobs` with at most `budget` points.
    pub fn new(knobs: &[Knob], strategy: Strategy, budget: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let planned = match strategy {
            Strategy::Ego => lhs(knobs, initial_points(knobs.len()).min(budget), seed),
            Strategy::Grid => {
                let mut g = grid(knobs, budget);
                g.shuffle(&mut rng);
                g.truncate(budget);
                g
            }
            Strategy::Random => Vec::new(),
        };
        Self {
            knobs: knobs.to_vec(),
            strategy,
            seed,
            planned,
            rng,
        }
    }

    /// The next configuration given those measured so far, or `None` when the strategy
    /// has nothing left (a grid measured whole, a space without unmeasured points).
    pub fn next(&mut self, told: &[Told]) -> Option<Proposal> {
        let k = told.len();
        match self.strategy {
            Strategy::Grid => self.planned.get(k).map(|v| Proposal {
                values: v.clone(),
                rule: "grid",
            }),
            Strategy::Random => self.random(told).map(|values| Proposal {
                values,
                rule: "random",
            }),
            Strategy::Ego if k < self.planned.len() => Some(Proposal {
                values: self.planned[k].clone(),
                rule: "latin hypercube",
            }),
            Strategy::Ego => match self.ego(told) {
                Some(v) if !measured(told, &v) => Some(Proposal {
                    values: v,
                    rule: "constrained expected improvement",
                }),
                // EGO proposes a measured point again (its integer rounding lands on one,
                // or it fails): an unmeasured point, so no run is wasted.
                _ => self.random(told).map(|values| Proposal {
                    values,
                    rule: "random (EGO repeated a measured point)",
                }),
            },
        }
    }

    fn random(&mut self, told: &[Told]) -> Option<Vec<f64>> {
        (0..1000).find_map(|_| {
            let v: Vec<f64> = self
                .knobs
                .iter()
                .map(|k| k.from_unit(self.rng.random::<f64>()))
                .collect();
            (!measured(told, &v)).then_some(v)
        })
    }

    /// egobox-ego's suggestion from the evidence: the cost as objective, the margin
    /// (clamped to ±1, as the models see it) as the constraint `≤ 0`.
    fn ego(&self, told: &[Told]) -> Option<Vec<f64>> {
        let data: Vec<&Told> = told.iter().filter(|t| t.margin.is_some()).collect();
        if data.len() < 2 {
            return None;
        }
        let d = self.knobs.len();
        let x = Array2::from_shape_fn((data.len(), d), |(i, j)| {
            self.knobs[j].to_opt(data[i].values[j])
        });
        let y = Array2::from_shape_fn((data.len(), 2), |(i, j)| match j {
            0 => data[i].cost,
            _ => data[i]
                .margin
                .unwrap_or_default()
                .clamp(-super::surrogate::MARGIN_CAP, super::surrogate::MARGIN_CAP),
        });
        let xtypes: Vec<XType> = self.knobs.iter().map(xtype).collect();
        let seed = self.seed.wrapping_add(told.len() as u64);
        let egor = EgorServiceBuilder::optimize()
            .configure(|c| c.n_cstr(1).cstr_tol(Array1::from_elem(1, 0.0)).seed(seed))
            .min_within_mixint_space(&xtypes)
            .ok()?;
        let s = egor.suggest(&x, &y);
        let row = s.rows().into_iter().next()?;
        Some(
            self.knobs
                .iter()
                .zip(row.iter())
                .map(|(k, v)| k.from_opt(*v))
                .collect(),
        )
    }
}

fn xtype(k: &Knob) -> XType {
    let (a, b) = k.opt_bounds();
    match k.scale {
        Scale::Int => XType::Int(a as i32, b as i32),
        // Whole numbers on a log scale: continuous logarithms, rounded after.
        _ => XType::Float(a, b),
    }
}

fn measured(told: &[Told], v: &[f64]) -> bool {
    told.iter().any(|t| {
        t.values
            .iter()
            .zip(v)
            .all(|(a, b)| (a - b).abs() <= 1e-9 * a.abs().max(1.0))
    })
}

/// `n` points of a seeded Latin hypercube (egobox-doe), in knob values; whole-number
/// knobs rounded, repeats dropped.
fn lhs(knobs: &[Knob], n: usize, seed: u64) -> Vec<Vec<f64>> {
    let limits = Array2::from_shape_fn((knobs.len(), 2), |(_, j)| [0.0, 1.0][j]);
    let doe = Lhs::new(&limits)
        .with_rng(Xoshiro256Plus::seed_from_u64(seed))
        .sample(n);
    let mut out: Vec<Vec<f64>> = Vec::new();
    for row in doe.rows() {
        let v: Vec<f64> = knobs
            .iter()
            .zip(row.iter())
            .map(|(k, u)| k.from_unit(*u))
            .collect();
        if !out.iter().any(|o| o == &v) {
            out.push(v);
        }
    }
    out
}

/// An even grid of at most `budget` points: `⌊budget^(1/d)⌋` levels per knob (at least
/// 2), whole-number knobs' levels rounded and deduplicated.
pub fn grid(knobs: &[Knob], budget: usize) -> Vec<Vec<f64>> {
    let d = knobs.len() as i32;
    let mut levels = ((budget as f64).powf(1.0 / f64::from(d)).floor() as usize).max(2);
    while levels > 2 && levels.pow(d as u32) > budget {
        levels -= 1;
    }
    let axes: Vec<Vec<f64>> = knobs
        .iter()
        .map(|k| {
            let mut a: Vec<f64> = (0..levels)
                .map(|i| k.from_unit(i as f64 / (levels - 1) as f64))
                .collect();
            a.dedup();
            a
        })
        .collect();
    let mut out: Vec<Vec<f64>> = vec![Vec::new()];
    for axis in &axes {
        out = out
            .iter()
            .flat_map(|p| {
                axis.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push(*v);
                    q
                })
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs() -> Vec<Knob> {
        ["w=1..64:int", "q=1..1000:log"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect()
    }

    #[test]
    fn a_grid_spans_each_knob_within_the_budget() {
        let g = grid(&knobs(), 20);
        assert_eq!(g.len(), 16);
        assert!(g.contains(&vec![1.0, 1.0]) && g.contains(&vec![64.0, 1000.0]));
        assert!(g.iter().any(|p| p[0] == 22.0), "{g:?}");
    }

    #[test]
    fn the_latin_hypercube_is_seeded_and_spreads_over_each_knob() {
        let a = lhs(&knobs(), 4, 7);
        assert_eq!(a, lhs(&knobs(), 4, 7));
        assert_ne!(a, lhs(&knobs(), 4, 8));
        // One point in each quarter of each knob's range.
        let mut quarters: Vec<usize> = a
            .iter()
            .map(|p| (knobs()[1].unit(p[1]) * 4.0).floor() as usize)
            .collect();
        quarters.sort_unstable();
        assert_eq!(quarters, [0, 1, 2, 3]);
    }

    #[test]
    fn random_and_grid_proposals_never_repeat_a_point() {
        for s in [Strategy::Random, Strategy::Grid] {
            let mut p = Proposer::new(&knobs(), s, 16, 3);
            let mut told: Vec<Told> = Vec::new();
            while let Some(n) = p.next(&told).filter(|_| told.len() < 16) {
                assert!(!measured(&told, &n.values));
                told.push(Told {
                    values: n.values,
                    cost: 0.0,
                    margin: Some(0.0),
                });
            }
            assert_eq!(told.len(), 16, "{s}");
        }
    }
}
