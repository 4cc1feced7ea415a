//! One run of a hot path, for instruction counting under valgrind's callgrind (see
//! `benches/scripts/instructions.sh`): instruction counts do not drift with the machine's
//! load as timings do, so they can be gated tightly.
//!
//! `workload gen DIR` writes the inputs; `workload NAME DIR` runs one workload on them:
//! `read_runs`, `read_timeline`, `reference_csv` (the csv crate reading runs.csv into
//! strings: the floor for any reader), `gate_compare` (the gate on two 2-point runs) or
//! `startup` (nothing: the process's own cost, included in every count).

use std::path::Path;

use perf_core::results::{RUNS_COLUMNS, TIMELINE_COLUMNS};

fn gen(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut w = csv::Writer::from_path(dir.join("runs.csv")).unwrap();
    let mut header: Vec<&str> = RUNS_COLUMNS.to_vec();
    header.push("size");
    w.write_record(&header).unwrap();
    for i in 0..10_000u64 {
        let rate = 10 + i;
        let mut rec: Vec<String> = [
            "20261122-120000-api",
            "api",
            "open",
            "40",
            "",
            "15.000",
            "",
            "",
            "3",
            "0",
            "0.000200",
            "11000",
            "12000",
            "12500",
            "14000",
            "51000",
            "11200.5",
            "",
            "",
            "",
            "0",
            "35.2",
            "80.1",
            "12.5",
            "false",
            "true",
            "true",
            "",
            "2026-11-22T12:00:00.000Z",
            "1024",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        rec[4] = format!("{rate}.000");
        rec[6] = format!("{:.3}", rate as f64 * 0.99);
        rec[7] = (rate * 15).to_string();
        rec[27] = i.to_string();
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
    let mut w = csv::Writer::from_path(dir.join("timeline.csv")).unwrap();
    w.write_record(TIMELINE_COLUMNS).unwrap();
    for s in 0..3600u64 {
        for (k, ep) in ["GET /a", "GET /b", "GET /c", "POST /d", "ALL"]
            .iter()
            .enumerate()
        {
            let base = 5000 + 100 * k as u64 + s % 17;
            let v = [
                0,
                s,
                0,
                40 + s % 7,
                s % 3,
                base,
                base + 900,
                base + 1400,
                base + 4000,
            ];
            let mut row: Vec<String> = v.iter().map(u64::to_string).collect();
            row[2] = ep.to_string();
            w.write_record(&row).unwrap();
        }
    }
    w.flush().unwrap();
}

/// Run `j` of a gate's five, its latencies shifted by `shift` µs.
fn run_sample(shift: u64, j: u64) -> perf_ml::gate::RunSample {
    use perf_ml::gate::{EndpointSample, PointSample, RunSample};
    let endpoint = |k: u64| EndpointSample {
        requests: 1200,
        failures: k % 2,
        p50_us: 5000 + shift + (j * 41 + k * 11) % 300,
        p95_us: 7000 + shift + (j * 67 + k * 7) % 500,
    };
    let point = |rate: u32| PointSample {
        config: format!("open {rate} req/s for 12 s, no parameters"),
        endpoints: (0..5)
            .map(|k| (format!("endpoint {k}"), endpoint(k)))
            .collect(),
    };
    RunSample {
        scenario: "api".into(),
        environment: perf_core::summary::Environment {
            tool_version: "0.1.0".into(),
            goose_version: "0.19".into(),
            git_sha: None,
            cores: 2,
            os: "linux".into(),
            cpu_model: String::new(),
            target_in_process: true,
        },
        points: vec![point(100), point(400)],
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!(
            "usage: workload gen|startup|read_runs|read_timeline|reference_csv|gate_compare DIR"
        );
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    let n = match name.as_str() {
        "gen" => {
            gen(dir);
            0
        }
        "startup" => 0,
        "read_runs" => perf_core::read_runs(&dir.join("runs.csv")).unwrap().len(),
        "read_timeline" => perf_core::results::read_timeline(&dir.join("timeline.csv"))
            .unwrap()
            .len(),
        "reference_csv" => {
            let mut r = csv::Reader::from_path(dir.join("runs.csv")).unwrap();
            r.records().map(|x| x.unwrap().len()).sum()
        }
        "gate_compare" => {
            let gate = perf_ml::gate::GateParams::default().check().unwrap();
            let runs = |shift| (0..5).map(|j| run_sample(shift, j)).collect::<Vec<_>>();
            gate.compare(&runs(0), &runs(400)).unwrap().findings.len()
        }
        other => {
            eprintln!("unknown workload '{other}'");
            std::process::exit(2);
        }
    };
    println!("{name}: {n}");
}
