//! The engine's seconds into dashboard events, on a thread of their own: each second's
//! stored histograms are merged into the point's so far, so the page shows the point's
//! percentiles and SLO values as the final `runs.csv` row will have them (not an average
//! of seconds). The engine only queues each second ([`sink`]).

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use perf_core::engine::live::{LiveSecond, LiveSink};
use perf_core::measured::Measured;
use perf_core::record::Acc;
use perf_core::Slo;
use serde_json::json;

use super::hub::Hub;
use super::{ms, verdict};

/// What the worker is told, in order.
#[derive(Debug)]
pub enum Msg {
    /// A point starts: its index, SLOs and target rate (req/s; `None` for users).
    Point {
        /// Index in the session.
        index: usize,
        /// SLOs judged on it.
        slos: Vec<Slo>,
        /// The open model's rate.
        rate: Option<f64>,
    },
    /// A second of it.
    Second(Box<LiveSecond>),
}

/// The engine's sink: queues each second for the worker.
pub fn sink(tx: Sender<Msg>) -> LiveSink {
    Arc::new(move |s| {
        // The worker outlives every point; a send fails only at exit.
        let _ = tx.send(Msg::Second(Box::new(s)));
    })
}

#[derive(Default)]
struct Point {
    index: usize,
    slos: Vec<Slo>,
    rate: Option<f64>,
    accs: BTreeMap<String, Acc>,
}

/// Turns messages into `second` events until every sender is gone.
pub fn work(rx: Receiver<Msg>, hub: &Hub) {
    let mut point = Point::default();
    for msg in rx {
        match msg {
            Msg::Point { index, slos, rate } => {
                point = Point {
                    index,
                    slos,
                    rate,
                    accs: BTreeMap::new(),
                }
            }
            Msg::Second(s) => {
                if s.point == point.index {
                    hub.publish("second", &second_event(&mut point, &s));
                }
            }
        }
    }
}

fn second_event(point: &mut Point, s: &LiveSecond) -> serde_json::Value {
    for stored in &s.histograms.endpoints {
        // A second that does not decode is left out of the running figures; the point's
        // own files are written from the recorder, not from here.
        if let Ok(acc) = Acc::from_stored(stored) {
            match point.accs.get_mut(&stored.endpoint) {
                Some(a) => a.merge(&acc),
                None => {
                    point.accs.insert(stored.endpoint.clone(), acc);
                }
            }
        }
    }
    let measured = Measured::new(point.accs.clone(), (s.second + 1) as f64);
    let (endpoints, all) = measured.summaries();
    let this = s.rows.iter().find(|r| r.endpoint == perf_core::record::ALL);
    let (requests, failures) = this.map_or((0, 0), |r| (r.requests, r.failures));
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    json!({
        "point": s.point,
        "second": s.second,
        "t": t,
        "target_rps": point.rate,
        "achieved_rps": requests,
        "error_rate": if requests > 0 { failures as f64 / requests as f64 } else { 0.0 },
        "p50_ms": this.map(|r| ms(r.p50_us)),
        "p95_ms": this.map(|r| ms(r.p95_us)),
        "p99_ms": this.map(|r| ms(r.p99_us)),
        "in_flight": s.in_flight,
        "scheduled": s.scheduled,
        "dropped": s.dropped,
        "resources": s.resources,
        "so_far": {
            "requests": all.requests,
            "error_rate": all.error_rate,
            "p50_ms": ms(all.p50_us),
            "p95_ms": ms(all.p95_us),
            "p99_ms": ms(all.p99_us),
        },
        "endpoints": endpoints.iter().map(|e| json!({
            "name": e.name,
            "requests": e.requests,
            "error_rate": e.error_rate,
            "p50_ms": ms(e.p50_us),
            "p95_ms": ms(e.p95_us),
            "p99_ms": ms(e.p99_us),
        })).collect::<Vec<_>>(),
        "slo": point.slos.iter().map(|slo| verdict(&slo.evaluate(&measured))).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_core::record::Recorder;
    use std::time::{Duration, Instant};

    /// A second harvested from a real recorder that recorded `latencies_us`.
    fn second(point: usize, sec: u64, latencies_us: &[u64]) -> LiveSecond {
        let rec = Recorder::new();
        let t0 = Instant::now();
        rec.open_window(t0, t0 + Duration::from_secs(60));
        for &us in latencies_us {
            rec.record("GET /x", us, true, t0);
        }
        let (rows, mut histograms) = rec.harvest_second();
        histograms.second = sec;
        LiveSecond {
            point,
            second: sec,
            rows,
            histograms,
            ..LiveSecond::default()
        }
    }

    #[test]
    fn the_point_so_far_is_merged_from_its_seconds_and_judged() {
        let hub = Hub::default();
        let (tx, rx) = std::sync::mpsc::channel();
        tx.send(Msg::Point {
            index: 3,
            slos: perf_core::parse_slos("p95<50ms").unwrap(),
            rate: Some(100.0),
        })
        .unwrap();
        let feed = sink(tx);
        // 95 fast requests in one second, 5 slow in the next: p95 of the two together.
        feed(second(3, 0, &[10_000; 95]));
        feed(second(3, 1, &[80_000; 5]));
        // A second of another point (late) is not mixed in.
        feed(second(2, 2, &[1; 1]));
        drop(feed);
        work(rx, &hub);
        let (past, _) = hub.subscribe();
        let last: serde_json::Value = serde_json::from_str(
            past.lines()
                .rev()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(past.matches("event: second").count(), 2);
        assert_eq!(last["so_far"]["requests"], 100);
        let p95 = last["so_far"]["p95_ms"].as_f64().unwrap();
        assert!((9.9..10.2).contains(&p95), "{p95}");
        assert_eq!(last["slo"][0]["pass"], true);
        assert_eq!(last["target_rps"], 100.0);
    }
}
