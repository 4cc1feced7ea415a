//! Result ingestion and the recorder's hot path: `read_runs` on a 10,000-point
//! `runs.csv` and `read_timeline` on an hour of timeline (18,000 rows), each against the
//! csv crate reading the same file into strings (the floor for any reader), and the recorder's per-request `record` plus the merge and percentiles
//! at the end of a point, against one plain HdrHistogram `record`.
//!
//! `cargo bench -p benches --bench ingest`

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use perf_core::record::Recorder;
use perf_core::results::RUNS_COLUMNS;

/// A runs.csv of `n` points with one parameter column, as the writer lays it out.
fn runs_csv(n: usize) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    let mut w = csv::Writer::from_path(f.path()).unwrap();
    let mut header: Vec<&str> = RUNS_COLUMNS.to_vec();
    header.push("size");
    w.write_record(&header).unwrap();
    for i in 0..n {
        let rate = 10.0 + i as f64;
        let rec: Vec<String> = vec![
            "20261122-120000-api".into(),
            "api".into(),
            "open".into(),
            "40".into(),
            format!("{rate:.3}"),
            "15.000".into(),
            format!("{:.3}", rate * 0.99),
            format!("{}", (rate * 15.0) as u64),
            "3".into(),
            "0".into(),
            "0.000200".into(),
            "11000".into(),
            "12000".into(),
            "12500".into(),
            "14000".into(),
            "51000".into(),
            "11200.5".into(),
            String::new(),
            String::new(),
            String::new(),
            "0".into(),
            "35.2".into(),
            "80.1".into(),
            "12.5".into(),
            "false".into(),
            "true".into(),
            "true".into(),
            i.to_string(),
            "2026-11-22T12:00:00.000Z".into(),
            "1024".into(),
        ];
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
    f
}

fn ingest(c: &mut Criterion) {
    let f = runs_csv(10_000);
    let mut g = c.benchmark_group("ingest_runs_csv_10k_points");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("read_runs", |b| {
        b.iter(|| perf_core::read_runs(black_box(f.path())).unwrap())
    });
    g.bench_function("reference_csv_strings", |b| {
        b.iter(|| {
            let mut r = csv::Reader::from_path(black_box(f.path())).unwrap();
            r.records().map(|x| x.unwrap().len()).sum::<usize>()
        })
    });
    g.finish();

    // An hour of timeline: 3,600 seconds × 5 rows (four endpoints and ALL).
    let t = tempfile::NamedTempFile::new().unwrap();
    let mut w = csv::Writer::from_path(t.path()).unwrap();
    w.write_record(perf_core::results::TIMELINE_COLUMNS)
        .unwrap();
    for s in 0..3600u64 {
        for (k, ep) in [
            "GET /api/items",
            "GET /api/items/{id}",
            "GET /api/payload",
            "POST /api/orders",
            "ALL",
        ]
        .iter()
        .enumerate()
        {
            let base = 5000 + 100 * k as u64 + s % 17;
            let row = [
                0,
                s,
                0,
                40 + s % 7,
                s % 3,
                base,
                base + 900,
                base + 1400,
                base + 4000,
            ]
            .map(|v| v.to_string());
            let mut row = row.to_vec();
            row[2] = ep.to_string();
            w.write_record(&row).unwrap();
        }
    }
    w.flush().unwrap();
    let mut g = c.benchmark_group("ingest_timeline_18k_rows");
    g.throughput(Throughput::Elements(18_000));
    g.bench_function("read_timeline", |b| {
        b.iter(|| perf_core::results::read_timeline(black_box(t.path())).unwrap())
    });
    g.bench_function("reference_csv_strings", |b| {
        b.iter(|| {
            let mut r = csv::Reader::from_path(black_box(t.path())).unwrap();
            r.records().map(|x| x.unwrap().len()).sum::<usize>()
        })
    });
    g.finish();
}

fn recorder(c: &mut Criterion) {
    let mut g = c.benchmark_group("per_request_record");
    g.throughput(Throughput::Elements(1));
    let rec = Recorder::new();
    let now = Instant::now();
    rec.open_window(now, now + std::time::Duration::from_secs(3600));
    let mut us = 1000u64;
    g.bench_function("recorder_record", |b| {
        b.iter(|| {
            us = us % 90_000 + 137;
            rec.record(black_box("GET /api/items"), black_box(us), true, now);
        })
    });
    // The load's own path: a counted request takes a ticket when sent and ends it.
    let counted = std::sync::Arc::new(Recorder::new());
    counted.open_window(now, now + std::time::Duration::from_secs(3600));
    g.bench_function("recorder_inflight_begin_end", |b| {
        b.iter(|| {
            counted
                .begin(black_box("GET /api/items").to_string())
                .end(true)
        })
    });
    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    g.bench_function("reference_hdrhistogram_record", |b| {
        b.iter(|| {
            us = us % 90_000 + 137;
            h.record(black_box(us)).unwrap();
        })
    });
    g.finish();

    // End of a point: merge the shards of 8 endpoints and read the percentiles.
    let rec = Recorder::new();
    rec.open_window(now, now + std::time::Duration::from_secs(3600));
    for i in 0..200_000u64 {
        let ep = [
            "GET /a", "GET /b", "GET /c", "GET /d", "POST /e", "GET /f", "GET /g", "GET /h",
        ][(i % 8) as usize];
        rec.record(ep, 500 + (i * 7919) % 80_000, i % 97 != 0, now);
    }
    c.bench_function("merge_8_endpoints_200k_requests_and_percentiles", |b| {
        b.iter(|| {
            let m = rec.merged();
            m.values().map(|a| a.summary("x", 10.0).p99_us).sum::<u64>()
        })
    });
}

criterion_group!(benches, ingest, recorder);
criterion_main!(benches);
