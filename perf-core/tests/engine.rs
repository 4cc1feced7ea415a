//! Real attacks with Goose against the real dummy site, in-process on an ephemeral
//! loopback port. One point at a time (Goose and the engine keep process-wide state).

use std::time::Duration;

use dummy_site::{SiteHandle, SiteParams};
use perf_core::engine::live::{LiveSecond, LiveSink};
use perf_core::engine::{run_point, PointOutcome, PointSpec, Target};
use perf_core::prelude::*;
use perf_core::{parse_slos, LoadModel, LoadPoint};

mod common;

use common::spec;

fn site(workers: usize, service_ms: f64, queue: usize) -> SiteHandle {
    common::start(SiteParams {
        workers,
        service_time_ms: service_ms,
        queue,
        queue_timeout_ms: 500,
        ..SiteParams::default()
    })
}

fn point(site: &SiteHandle, model: LoadModel, secs: u64, slo: &str) -> PointOutcome {
    point_with_grace(site, model, secs, slo, Duration::from_secs(5)).0
}

fn point_with_grace(
    site: &SiteHandle,
    model: LoadModel,
    secs: u64,
    slo: &str,
    grace: Duration,
) -> (PointOutcome, Duration) {
    point_watched(site, model, (secs, slo, grace), None)
}

fn point_watched(
    site: &SiteHandle,
    model: LoadModel,
    (secs, slo, grace): (u64, &str, Duration),
    live: Option<LiveSink>,
) -> (PointOutcome, Duration) {
    let _one = common::one_at_a_time();
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
        // Long enough that only the grace period can end a request that never answers.
        timeout: Duration::from_secs(30),
        grace,
        target: Target::InProcess,
        browser: None,
        goose_report_dir: None,
        segment: Default::default(),
        start_at: None,
        live,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let outcome = rt.block_on(run_point(&spec)).unwrap();
    (outcome, started.elapsed())
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

/// A live view gets every second of the window once, as the timeline stores it, while
/// the point runs.
#[test]
fn each_second_reaches_a_live_sink_as_the_timeline_stores_it() {
    let s = site(8, 5.0, 64);
    let (tx, rx) = std::sync::mpsc::channel::<(LiveSecond, std::time::Instant)>();
    let sink: LiveSink = std::sync::Arc::new(move |sec| {
        let _ = tx.send((sec, std::time::Instant::now()));
    });
    let (o, _) = point_watched(&s, open(200.0), (4, "", Duration::from_secs(5)), Some(sink));
    let seconds: Vec<_> = rx.try_iter().collect();
    assert_eq!(
        seconds.iter().map(|s| s.0.second).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    for (sec, _) in &seconds {
        let stored: Vec<_> = o
            .timeline
            .iter()
            .filter(|t| t.second == sec.second)
            .collect();
        assert_eq!(sec.rows.iter().collect::<Vec<_>>(), stored);
        assert_eq!(sec.histograms, o.histograms.seconds[sec.second as usize]);
        assert!(sec.resources.is_some() && sec.scheduled > 0);
    }
    // Each arrived as the point ran, about a second apart, not all at its end.
    let spread = seconds[3].1.duration_since(seconds[0].1);
    assert!(
        spread >= Duration::from_millis(2500),
        "seconds 0 to 3 arrived {spread:?} apart"
    );
    let total: u64 = seconds
        .iter()
        .flat_map(|s| &s.0.rows)
        .filter(|r| r.endpoint == "ALL")
        .map(|r| r.requests)
        .sum();
    assert_eq!(total, o.detail.row.requests);
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
    // Latency is that of successful requests: the fast 503s keep their own durations
    // and do not pull the median below the service time.
    assert!(
        r.p50_us >= 10_000,
        "success p50 {} µs < the 10 ms service",
        r.p50_us
    );
    let fail_p50 = r.fail_p50_us.expect("failures have durations");
    assert!(fail_p50 < r.p50_us, "503s are fast: {fail_p50} µs");
    assert!(r.fail_max_us.is_some() && r.fail_p95_us.is_some());
}

#[test]
fn a_latency_only_slo_fails_under_overload_that_sheds() {
    // 2 workers × 10 ms = 200 req/s behind a queue of 16. "p50<30ms" holds at half the
    // capacity (about 10 ms); at three times the capacity most requests are fast 503s,
    // which would pass it if they counted, but the requests that are served wait for up
    // to 8 service times in the queue.
    let s = site(2, 10.0, 16);
    let below = point(&s, open(100.0), 2, "p50<30ms");
    assert!(below.detail.row.slo_pass, "{:?}", below.detail.slo);
    let over = point(&s, open(600.0), 2, "p50<30ms");
    let r = &over.detail.row;
    println!(
        "overload: errors {:.2}, success p50 {} µs, failed p50 {:?} µs",
        r.error_rate, r.p50_us, r.fail_p50_us
    );
    assert!(r.error_rate > 0.5, "it sheds: {}", r.error_rate);
    assert!(!r.slo_pass, "{:?}", over.detail.slo);
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
    assert_eq!(r.model, perf_core::ModelKind::Closed);
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

/// Every scheduled start is in the results: sent (answered, failed or unfinished) or
/// dropped; and the timeline's seconds add up to the point's totals.
fn assert_every_start_accounted(o: &PointOutcome) {
    let r = &o.detail.row;
    assert_eq!(
        r.requests + r.dropped_iterations,
        o.detail.scheduled_iterations,
        "requests {} + dropped {} vs scheduled {}",
        r.requests,
        r.dropped_iterations,
        o.detail.scheduled_iterations
    );
    let all = o.timeline.iter().filter(|t| t.endpoint == "ALL");
    let (n, f) = all.fold((0, 0), |(n, f), t| (n + t.requests, f + t.failures));
    assert_eq!((n, f), (r.requests, r.failures), "timeline totals");
}

#[test]
fn a_target_that_never_answers_leaves_unfinished_failures_and_never_passes() {
    let s = common::start(SiteParams {
        stall_at_s: Some(0.0),
        stall_for_s: 30.0,
        ..SiteParams::default()
    });
    // 10 users for 40 starts: once all 10 hang, the other starts find no free user.
    let model = LoadModel::Open {
        rate: 20.0,
        max_users: 10,
    };
    let (o, took) = point_with_grace(&s, model, 2, "", Duration::from_millis(500));
    let r = &o.detail.row;
    println!(
        "stalled: requests {}, unfinished {}, dropped {}, ended in {:?}: {:?}",
        r.requests, r.unfinished, r.dropped_iterations, took, o.detail.not_passed
    );
    assert_eq!(o.detail.scheduled_iterations, 40);
    assert_every_start_accounted(&o);
    assert_eq!((r.requests, r.dropped_iterations), (10, 30));
    assert_eq!((r.unfinished, r.failures), (r.requests, r.requests));
    assert_eq!(r.error_rate, 1.0);
    assert!(!r.slo_pass, "no SLO, but nothing finished: it cannot pass");
    assert!(r.complete);
    assert!(o
        .detail
        .not_passed
        .as_deref()
        .unwrap()
        .contains("no request finished"));
    // Unfinished requests are timed up to the end of the grace period.
    let max = r.fail_max_us.expect("failed requests keep their durations");
    assert!(max >= 2_000_000, "max {max} µs");
    assert_eq!(r.p50_us, 0, "no request succeeded: no latency");
    assert!(
        took < Duration::from_secs(15),
        "the grace period bounds the point, not the 30 s request timeout or stall: {took:?}",
    );
}

#[test]
fn overload_without_shedding_counts_stragglers_in_the_point_not_in_its_throughput() {
    // 2 workers × 10 ms = 200 req/s behind an unbounded queue: offered 300 req/s for
    // 3 s, a backlog of about 300 requests is still queued when the window ends.
    let s = common::start(SiteParams {
        workers: 2,
        service_time_ms: 10.0,
        queue: 100_000,
        queue_timeout_ms: 60_000,
        ..SiteParams::default()
    });
    let (o, _) = point_with_grace(&s, open(300.0), 3, "", Duration::from_secs(5));
    let r = &o.detail.row;
    let after = o.detail.all.after_window;
    println!(
        "latency-bound overload: requests {}, after the window {after}, achieved {:.1}, p95 {} µs",
        r.requests, r.achieved_rps, r.p95_us
    );
    assert_every_start_accounted(&o);
    assert_eq!(
        r.unfinished, 0,
        "the backlog drains within the grace period"
    );
    assert!(
        after > 100,
        "the backlog finishes after the window: {after}"
    );
    assert!(
        (r.achieved_rps - 200.0).abs() < 25.0,
        "throughput is what finished in the window, not what was started: {}",
        r.achieved_rps
    );
    assert!(
        r.p95_us > 500_000,
        "queued requests wait: p95 {} µs",
        r.p95_us
    );
}
