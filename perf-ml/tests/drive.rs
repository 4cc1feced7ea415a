//! `perf_ml::drive` against the real dummy site in this process, without the command
//! line: the A/B gate's interleaved runs, a search over real points and its
//! `search.json`, and bad settings refused before any load. The tests run in parallel;
//! the engine runs one point at a time per process.

use std::time::Duration;

use dummy_site::SiteParams;
use perf_core::prelude::*;
use perf_core::{parse_slos, read_runs};
use perf_ml::drive::capacity::CapacityGatePlan;
use perf_ml::drive::gate::{collect, profile_plan, Collected};
use perf_ml::drive::search::{self, SearchPlan};
use perf_ml::drive::{DriveError, ExecOpts, TargetChoice};
use perf_ml::search::{SearchParams, Strategy};

async fn items(user: &mut GooseUser) -> TransactionResult {
    http::get(user, "/api/items?size=5").await?;
    Ok(())
}

fn spec() -> ScenarioSpec {
    ScenarioSpec::new("items", "GET /api/items", |_| {
        Ok(scenario!("items").register_transaction(transaction!(items)))
    })
    .gate(&[40.0, 80.0], Duration::from_secs(1))
}

fn site(workers: usize, service_ms: f64, extra_ms: f64) -> TargetChoice {
    TargetChoice::Embedded(SiteParams {
        workers,
        service_time_ms: service_ms,
        extra_latency_ms: extra_ms,
        ..SiteParams::default()
    })
}

#[test]
fn an_ab_gate_interleaves_the_sides_and_the_slower_reference_shows() {
    let out = tempfile::tempdir().unwrap();
    let candidate = ExecOpts::new(site(4, 2.0, 0.0), out.path().into());
    let reference = candidate.with_target(site(4, 2.0, 5.0));
    let slos = parse_slos("p95<500ms").unwrap();
    let plan = profile_plan(&spec(), Params::default(), slos, None, None);
    assert_eq!(plan.points.len(), 2);
    let Collected::Done {
        reference: a,
        candidate: b,
        dir,
    } = collect(&plan, &candidate, Some(&reference), 3).unwrap()
    else {
        panic!("interrupted")
    };
    assert_eq!((a.len(), b.len()), (3, 3));
    // Six sessions, six results directories.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 6);
    assert!(dir.starts_with(out.path()));
    // The reference answers 5 ms later: every run of it is slower, point by point.
    let p50 = |runs: &[perf_ml::gate::RunSample]| -> Vec<u64> {
        runs.iter()
            .flat_map(|r| &r.points)
            .flat_map(|p| p.endpoints.values().map(|e| e.p50_us))
            .collect()
    };
    let (slow, fast) = (p50(&a), p50(&b));
    assert_eq!(slow.len(), fast.len());
    let fastest_slow = slow.iter().min().unwrap();
    let slowest_fast = fast.iter().max().unwrap();
    assert!(
        fastest_slow > slowest_fast,
        "reference {slow:?} against candidate {fast:?}"
    );
}

#[test]
fn a_search_runs_real_points_and_writes_its_file() {
    let out = tempfile::tempdir().unwrap();
    // 2 workers × 10 ms: 200 req/s; the range does not centre on it.
    let opts = ExecOpts::new(site(2, 10.0, 0.0), out.path().into());
    let plan = SearchPlan {
        scenario: spec(),
        params: Params::default(),
        slos: parse_slos("p95<50ms,error-rate<1%").unwrap(),
        duration: Duration::from_secs(1),
        max_users: None,
        search: SearchParams::new(30.0, 3000.0)
            .strategy(Strategy::Bisect)
            .max_runs(4)
            .check()
            .unwrap(),
    };
    let run = search::run(&plan, &opts).unwrap();
    assert_eq!(run.interrupted, None);
    assert!(
        run.report.runs() <= 4 && run.report.runs() >= 2,
        "{}",
        run.report
    );
    assert!(run.file.is_file());
    let rows = read_runs(&run.dir.join("runs.csv")).unwrap();
    assert_eq!(rows.len(), run.report.runs());
    // A point at half the capacity passes, one at twice it fails.
    for r in &rows {
        let rate = r.target_rps.unwrap();
        if rate < 100.0 {
            assert!(r.slo_pass, "{rate}");
        }
        if rate > 400.0 {
            assert!(!r.slo_pass, "{rate}");
        }
    }
}

#[test]
fn bad_settings_are_refused_before_any_load() {
    let out = tempfile::tempdir().unwrap();
    let slos = parse_slos("p95<50ms").unwrap();
    let plan = profile_plan(&spec(), Params::default(), slos.clone(), None, None);
    // A site that cannot be: bad input, named by its option.
    let bad = ExecOpts::new(site(0, 10.0, 0.0), out.path().into());
    let e = bad.execute(&plan).unwrap_err();
    assert!(matches!(e, DriveError::Site(_)) && e.is_usage(), "{e}");
    assert!(e.to_string().contains("workers"), "{e}");
    // A process id only means something for a host.
    let pid = ExecOpts {
        target_pid: Some(std::process::id()),
        ..ExecOpts::new(site(2, 10.0, 0.0), out.path().into())
    };
    let e = pid.execute(&plan).unwrap_err();
    assert!(
        matches!(e, DriveError::PidWithEmbedded) && e.is_usage(),
        "{e}"
    );
    // A host that is not a URL.
    let host = ExecOpts::new(TargetChoice::Host("not a url".into()), out.path().into());
    let e = host.execute(&plan).unwrap_err();
    assert!(e.is_usage(), "{e}");
    // A capacity gate's search over an empty range.
    let capacity = CapacityGatePlan {
        scenario: spec(),
        params: Params::default(),
        slos,
        duration: Duration::from_secs(1),
        max_users: None,
    };
    let ok = ExecOpts::new(site(2, 10.0, 0.0), out.path().into());
    let e = capacity.record(&ok, (500.0, 50.0), 0.05).unwrap_err();
    assert!(matches!(e, DriveError::Search(_)) && e.is_usage(), "{e}");
    assert!(e.to_string().contains("range"), "{e}");
    // Nothing ran: no results directory.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
