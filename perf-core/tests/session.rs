//! A session against the real dummy site, in-process on an ephemeral loopback port, with
//! real Goose attacks: a plan's points written as they end and told to the observer, the
//! search's probe running each rate as a point, and bad targets refused before any load.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dummy_site::SiteParams;
use perf_core::engine::PointOutcome;
use perf_core::prelude::*;
use perf_core::probe::LoadProbe;
use perf_core::session::{
    execute, EngineProbe, Observer, Opened, Plan, Session, SessionError, SessionParams,
    SessionTarget, Silent,
};
use perf_core::{parse_slos, read_runs, LoadModel, LoadPoint};

mod common;

use common::spec;

fn in_process() -> SessionTarget {
    let site = common::start(SiteParams::default());
    SessionTarget::InProcess {
        url: site.url(),
        keep: Box::new(site),
    }
}

fn open_point(rate: f64) -> LoadPoint {
    LoadPoint {
        model: LoadModel::Open {
            rate,
            max_users: 20,
        },
        duration: Duration::from_secs(1),
        params: Params::default(),
    }
}

/// Every event, as one line each.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Observer for Log {
    fn opened(&mut self, o: &Opened<'_>) {
        self.0.lock().unwrap().push(format!(
            "opened {} {} point(s) in-process={}",
            o.scenario, o.points, o.in_process
        ));
    }
    fn start_point(&mut self, index: usize, _p: &LoadPoint) {
        self.0.lock().unwrap().push(format!("start {index}"));
    }
    fn end_point(&mut self, o: &PointOutcome) {
        self.0
            .lock()
            .unwrap()
            .push(format!("end {}", o.detail.index));
    }
    fn note(&mut self, msg: &str) {
        self.0.lock().unwrap().push(format!("note {msg}"));
    }
    fn finish(&mut self, outcomes: &[PointOutcome], _interrupted: Option<i32>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("finish {}", outcomes.len()));
    }
}

#[test]
fn a_plan_runs_every_point_writes_it_and_tells_the_observer() {
    let _one = common::one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let slos = parse_slos("p95<500ms,error-rate<5%").unwrap();
    let plan = Plan {
        scenario: spec(),
        points: vec![open_point(30.0), open_point(60.0)],
        slos: slos.clone(),
        stop_on_error_rate: None,
    };
    let log = Log::default();
    let done = execute(
        &plan,
        SessionParams::new(spec(), vec![], out.path().to_path_buf()),
        in_process(),
        Box::new(log.clone()),
    )
    .unwrap();
    assert_eq!(done.outcomes.len(), 2);
    assert_eq!(done.interrupted, None);
    assert!(!done.slo_failed(), "{:?}", done.outcomes[0].detail.slo);
    assert!(done.dir.starts_with(out.path()));
    let rows = read_runs(&perf_core::results::layout::runs_csv(&done.dir)).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].target_rps, Some(60.0));
    assert!(rows.iter().all(|r| r.requests > 0 && r.slo_pass));
    let events = log.0.lock().unwrap().clone();
    assert_eq!(
        events,
        [
            "opened items 2 point(s) in-process=true",
            "start 0",
            "end 0",
            "start 1",
            "end 1",
            "finish 2"
        ],
        "{events:?}"
    );
}

#[test]
fn a_sweep_stops_after_a_point_above_its_error_rate_limit_and_says_why() {
    let _one = common::one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    // One worker of 10 ms with one queue slot: 100 req/s; at 300 req/s most are shed.
    let site = common::start(SiteParams {
        workers: 1,
        service_time_ms: 10.0,
        queue: 1,
        ..SiteParams::default()
    });
    let target = SessionTarget::InProcess {
        url: site.url(),
        keep: Box::new(site),
    };
    let plan = Plan {
        scenario: spec(),
        points: vec![open_point(300.0), open_point(30.0), open_point(30.0)],
        slos: vec![],
        stop_on_error_rate: Some(0.05),
    };
    let log = Log::default();
    let done = execute(
        &plan,
        SessionParams::new(spec(), vec![], out.path().to_path_buf()),
        target,
        Box::new(log.clone()),
    )
    .unwrap();
    assert_eq!(done.outcomes.len(), 1);
    let rate = done.outcomes[0].detail.row.error_rate;
    assert!(rate > 0.05, "{rate}");
    let events = log.0.lock().unwrap().clone();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("note stopping the sweep: error rate")),
        "{events:?}"
    );
    assert_eq!(events.last().map(String::as_str), Some("finish 1"));
}

#[test]
fn the_search_probe_runs_each_rate_as_a_point_of_the_session() {
    let _one = common::one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let slos = parse_slos("p95<500ms").unwrap();
    let mut session = Session::open(
        SessionParams::new(spec(), slos.clone(), out.path().to_path_buf()),
        in_process(),
        Box::new(Silent),
    )
    .unwrap();
    let mut probe = EngineProbe::new(
        &mut session,
        slos,
        Params::default(),
        Duration::from_secs(1),
        None,
    );
    let o = probe.probe(40.0).unwrap();
    assert_eq!(o.rate, 40.0);
    assert!(o.achieved_rps > 20.0, "{}", o.achieved_rps);
    assert!(o.slo.iter().all(|v| v.pass));
    assert!(probe.failure().is_none());
    assert_eq!(session.outcomes().len(), 1);
    let done = session.finish();
    let rows = read_runs(&perf_core::results::layout::runs_csv(&done.dir)).unwrap();
    assert_eq!(rows.len(), 1);
}

#[test]
fn bad_targets_are_refused_before_any_load() {
    let out = tempfile::tempdir().unwrap();
    let open = |target: SessionTarget| {
        Session::open(
            SessionParams::new(spec(), vec![], out.path().to_path_buf()),
            target,
            Box::new(Silent),
        )
        .unwrap_err()
    };
    let host = |url: &str, pid: Option<u32>| SessionTarget::Host {
        url: url.into(),
        pid,
    };

    let e = open(host("ftp://127.0.0.1:1", None));
    assert!(matches!(e, SessionError::BadHost(_)) && e.is_usage(), "{e}");
    // A loopback port nothing listens on: found out at run time, not bad input.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let e = open(host(&url, None));
    assert!(
        matches!(e, SessionError::Unreachable(_)) && !e.is_usage(),
        "{e}"
    );
    // Every directory made so far would be a results directory: none may exist.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);

    let site = common::start(SiteParams::default());
    let e = open(host(&site.url(), Some(u32::MAX)));
    assert_eq!(
        e.to_string(),
        format!("target pid {}: no such process", u32::MAX)
    );
    assert!(e.is_usage());

    // An output folder that is a file.
    let file = out.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let e = Session::open(
        SessionParams::new(spec(), vec![], file),
        host(&site.url(), None),
        Box::new(Silent),
    )
    .unwrap_err();
    assert!(matches!(e, SessionError::Out(_)) && e.is_usage(), "{e}");

    // Browser users for a scenario without browser steps.
    let e = Session::open(
        SessionParams {
            browser: Some(perf_core::browser::BrowserParams::default()),
            ..SessionParams::new(spec(), vec![], out.path().join("b"))
        },
        host(&site.url(), None),
        Box::new(Silent),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "scenario 'items' has no browser steps (checkout and browse have)"
    );
}
