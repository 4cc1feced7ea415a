//! Real attacks with Goose against the real dummy site, in-process on an ephemeral
//! loopback port. One point at a time (Goose and the engine keep process-wide state).

use std::sync::Mutex;
use std::time::Duration;

use dummy_site::{SiteHandle, SiteParams};
use perf_core::engine::{run_point, PointOutcome, PointSpec, Target};
use perf_core::prelude::*;
use perf_core::{parse_slos, LoadModel, LoadPoint};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

async fn items(user: &mut GooseUser) -> TransactionResult {
    http::get(user, "/api/items?size=5").await?;
    Ok(())
}

fn spec() -> ScenarioSpec {
    ScenarioSpec::new("items", "GET /api/items", |_| {
        Ok(scenario!("items").register_transaction(transaction!(items)))
    })
}

fn site(workers: usize, service_ms: f64, queue: usize) -> SiteHandle {
    SiteParams {
        workers,
        service_time_ms: service_ms,
        queue,
        queue_timeout_ms: 500,
        ..SiteParams::default()
    }
    .check()
    .unwrap()
    .start("127.0.0.1:0".parse().unwrap())
    .unwrap()
}

fn point(site: &SiteHandle, model: LoadModel, secs: u64, slo: &str) -> PointOutcome {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let spec = PointSpec {
        run_id: "test".into(),
        index: 0,
        scenario: spec(),
        point: LoadPoint {
            model,
            duration: Duration::from_secs(secs),
            params: Params::default(),
        },
        host: site.url(),
        slos: parse_slos(slo).unwrap(),
        seed: 7,
        timeout: Duration::from_secs(5),
        target: Target::InProcess,
        browser: None,
        goose_report_dir: None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run_point(&spec)).unwrap()
}

fn open(rate: f64) -> LoadModel {
    LoadModel::Open {
        rate,
        max_users: LoadModel::default_max_users(rate),
    }
}

#[test]
fn open_model_achieves_the_target_rate_below_capacity() {
    // 8 workers × 5 ms = 1600 req/s capacity.
    let s = site(8, 5.0, 64);
    for rate in [100.0, 400.0] {
        let o = point(&s, open(rate), 3, "p95<50ms,error-rate<1%");
        let r = &o.detail.row;
        println!(
            "open {rate}: achieved {:.1}, p50 {} µs, dropped {}",
            r.achieved_rps, r.p50_us, r.dropped_iterations
        );
        assert!(
            (r.achieved_rps - rate).abs() <= rate * 0.05,
            "achieved {} for {rate}",
            r.achieved_rps
        );
        assert_eq!((r.failures, r.dropped_iterations), (0, 0));
        assert!(
            r.slo_pass && r.complete && !r.generator_saturated,
            "{:?}",
            o.detail.saturation
        );
        assert!(
            r.p50_us >= 5_000 && r.p50_us < 15_000,
            "p50 {} µs for a 5 ms service",
            r.p50_us
        );
        assert_eq!(o.detail.scheduled_iterations, (rate * 3.0) as u64);
        // The timeline has 3 seconds, each with an ALL row near the rate.
        let all: Vec<_> = o.timeline.iter().filter(|t| t.endpoint == "ALL").collect();
        assert_eq!(all.len(), 3);
        assert!(
            all.iter()
                .all(|t| (t.requests as f64 - rate).abs() <= rate * 0.1),
            "{all:?}"
        );
        assert!(o.detail.resources.iter().all(|x| x.sut_cpu_pct.is_some()));
    }
}

#[test]
fn open_model_above_capacity_shows_503s_and_fails_the_slo() {
    // 2 workers × 10 ms = 200 req/s; offered 400.
    let s = site(2, 10.0, 4);
    let o = point(&s, open(400.0), 3, "error-rate<1%");
    let r = &o.detail.row;
    println!(
        "above capacity: achieved {:.1}, errors {:.3}, dropped {}",
        r.achieved_rps, r.error_rate, r.dropped_iterations
    );
    assert!(
        r.error_rate > 0.3,
        "about half the requests are shed: {}",
        r.error_rate
    );
    let served = r.achieved_rps * (1.0 - r.error_rate);
    assert!(
        (served - 200.0).abs() < 20.0,
        "the site serves its capacity: {served}"
    );
    assert!(!r.slo_pass);
    assert_eq!(o.detail.slo[0].observed.map(|v| v > 30.0), Some(true));
}

#[test]
fn closed_model_is_limited_by_users_and_latency() {
    // 4 users looping on a 4-worker, 10 ms site: about 4 / 10.5 ms ≈ 380 req/s, no queueing.
    let s = site(4, 10.0, 64);
    let o = point(
        &s,
        LoadModel::Closed {
            users: 4,
            think: Duration::ZERO,
            ramp_up: Duration::ZERO,
        },
        3,
        "",
    );
    let r = &o.detail.row;
    println!(
        "closed 4 users: achieved {:.1}, p50 {} µs",
        r.achieved_rps, r.p50_us
    );
    assert_eq!(r.model, "closed");
    assert!(
        r.achieved_rps > 300.0 && r.achieved_rps <= 400.0,
        "{}",
        r.achieved_rps
    );
    assert_eq!(r.failures, 0);
    assert!(r.target_rps.is_none());
    // With think time the same users offer far less.
    let o = point(
        &s,
        LoadModel::Closed {
            users: 4,
            think: Duration::from_millis(90),
            ramp_up: Duration::ZERO,
        },
        3,
        "",
    );
    assert!(
        o.detail.row.achieved_rps < 50.0,
        "{}",
        o.detail.row.achieved_rps
    );
}

#[test]
fn too_few_users_for_a_healthy_target_is_flagged_as_generator_saturation() {
    let s = site(8, 10.0, 64);
    let o = point(
        &s,
        LoadModel::Open {
            rate: 300.0,
            max_users: 1,
        },
        2,
        "error-rate<1%",
    );
    let r = &o.detail.row;
    assert!(
        r.dropped_iterations > 300,
        "one user can't start 300/s: dropped {}",
        r.dropped_iterations
    );
    assert!(r.generator_saturated, "{:?}", o.detail.saturation);
    assert!(
        o.detail
            .saturation
            .iter()
            .any(|w| w.contains("--max-users")),
        "{:?}",
        o.detail.saturation
    );
}
