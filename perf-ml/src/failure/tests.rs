use super::*;
use rand::{Rng, SeedableRng};

/// `n` requests at `load`, each failing with probability `p` (seeded binomial noise).
fn point(load: f64, p: f64, n: u64, seed: u64) -> Point {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(load.to_bits() ^ seed);
    let failures = (0..n).filter(|_| rng.random::<f64>() < p).count() as u64;
    Point {
        load,
        goodput: load,
        params: vec![],
        latency: [1.0; 3],
        requests: n,
        failures,
    }
}

fn shedding(c: f64) -> impl Fn(f64) -> f64 {
    move |l: f64| (1.0 - c / l).max(0.0)
}

#[test]
fn recovers_a_known_logistic_curve() {
    // p(load) = sigmoid(8 (ln load − ln 400)): 50% at 400, 1% at 400·e^(−ln 99 / 8) ≈ 225.
    let truth = |l: f64| 1.0 / (1.0 + (-(8.0 * (l.ln() - 400f64.ln()))).exp());
    let pts: Vec<Point> = (1..=12)
        .map(|i| 60.0 * i as f64)
        .map(|l| point(l, truth(l), 4000, 1))
        .collect();
    let f = fit(&pts).unwrap();
    assert_eq!(f.family, "logistic", "{:?}", f.candidates);
    let half = f.model.load_at(0.5, &[], 1.0, 1e5).unwrap();
    let one = f.model.load_at(0.01, &[], 1.0, 1e5).unwrap();
    assert!((half - 400.0).abs() / 400.0 < 0.05, "50% at {half}");
    assert!((one - 225.0).abs() / 225.0 < 0.1, "1% at {one}");
    let s = f.chosen_score().unwrap();
    assert!(s.calibration_error < 0.05 && s.log_loss < 0.5, "{s:?}");
    let i = f.load_interval(0.01, &[], (10.0, 1e4), 0.9).unwrap();
    assert!(i.lo.unwrap() < one && one < i.hi.unwrap(), "{i:?}");
}

#[test]
fn a_shedding_server_is_a_shedding_curve_with_its_capacity() {
    // Serves 400 req/s, refuses the rest: 1% fail at 400 / 0.99 = 404.04.
    let truth = shedding(400.0);
    let pts: Vec<Point> = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0]
        .iter()
        .map(|&l| point(l, truth(l), (l * 4.0) as u64, 3))
        .collect();
    let f = fit(&pts).unwrap();
    assert_eq!(f.family, "shedding", "{:?}", f.candidates);
    let c = f.model.shedding_capacity(&[]).unwrap();
    assert!((c - 400.0).abs() < 8.0, "capacity {c}");
    let one = f.model.load_at(0.01, &[], 10.0, 1e4).unwrap();
    assert!((one - 404.04).abs() < 10.0, "1% at {one}");
    let i = f.load_interval(0.01, &[], (10.0, 1e4), 0.9).unwrap();
    let (lo, hi) = (i.lo.unwrap(), i.hi.unwrap());
    assert!(lo < one && one < hi && hi - lo < 40.0, "{i:?}");
    // The logistic curve can't follow the kink: held out, it does worse.
    let lg = f.candidates.iter().find(|c| c.model == "logistic").unwrap();
    assert!(lg.log_loss > f.chosen_score().unwrap().log_loss);
}

#[test]
fn shedding_intervals_cover_the_truth_as_often_as_they_claim() {
    // 40 seeded sweeps of a server shedding above 400: the 90% interval of the load at
    // 10% failures (400 / 0.9 = 444.4) must cover it in about 90% of them.
    let truth = shedding(400.0);
    let target = 400.0 / 0.9;
    let mut covered = 0;
    let reps = 40;
    for seed in 0..reps {
        let pts: Vec<Point> = [150.0, 300.0, 450.0, 600.0, 750.0]
            .iter()
            .map(|&l| point(l, truth(l), 400, seed))
            .collect();
        let f = fit(&pts).unwrap();
        if let Some(i) = f.load_interval(0.1, &[], (15.0, 7500.0), 0.9) {
            if i.lo.is_none_or(|lo| lo <= target) && i.hi.is_none_or(|hi| hi >= target) {
                covered += 1;
            }
        }
    }
    assert!(
        covered >= 32,
        "{covered} of {reps} intervals covered the truth"
    );
}

#[test]
fn scatter_beyond_binomial_noise_widens_the_interval() {
    let truth = shedding(400.0);
    let clean: Vec<Point> = [200.0, 300.0, 450.0, 600.0, 750.0, 900.0]
        .iter()
        .map(|&l| point(l, truth(l), 2000, 5))
        .collect();
    let mut noisy = clean.clone();
    for (i, p) in noisy.iter_mut().enumerate() {
        let shift = if i % 2 == 0 { 0.06 } else { -0.06 };
        let rate = (p.failures as f64 / 2000.0 + shift).clamp(0.0, 1.0);
        p.failures = (rate * 2000.0) as u64;
    }
    let width = |pts: &[Point]| {
        let f = fit(pts).unwrap();
        let i = f.load_interval(0.2, &[], (20.0, 9000.0), 0.9).unwrap();
        (f.dispersion, i.hi.unwrap() - i.lo.unwrap())
    };
    let (d0, w0) = width(&clean);
    let (d1, w1) = width(&noisy);
    assert!(d1 > 5.0 * d0 && w1 > 2.0 * w0, "{d0} {w0} → {d1} {w1}");
}

#[test]
fn no_failures_is_a_constant_with_an_upper_bound() {
    let pts: Vec<Point> = (1..=4)
        .map(|i| point(100.0 * i as f64, 0.0, 4000, 0))
        .collect();
    let f = fit(&pts).unwrap();
    assert_eq!(
        f.model,
        FailureModel::Constant {
            p: 0.0,
            upper: 3.0 / 16000.0
        }
    );
    assert_eq!(f.model.load_at(0.01, &[], 1.0, 1e4), None);
    assert_eq!(f.load_interval(0.01, &[], (1.0, 1e4), 0.9), None);
}

#[test]
fn two_load_levels_choose_by_aic_and_no_requests_is_an_error() {
    let pts = vec![point(100.0, 0.0, 1000, 0), point(900.0, 0.5, 1000, 0)];
    let f = fit(&pts).unwrap();
    assert!(f.candidates.is_empty());
    assert!(f.model.probability(900.0, &[]) > 0.3);
    let empty = vec![Point {
        requests: 0,
        failures: 0,
        ..point(100.0, 0.0, 0, 0)
    }];
    assert!(matches!(fit(&empty), Err(MlError::NotEnough { .. })));
}
