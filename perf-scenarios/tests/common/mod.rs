//! Helpers shared by the binary's integration tests: run it, find its results, read
//! its CSV files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_perf-scenarios");

/// Held by the tests of one binary whose loads must not overlap: two loads side by side
/// on two cores put the machine's hiccups into the data the test judges.
static ONE_LOAD_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn one_load_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_LOAD_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn cmd(out: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).arg("--out").arg(out).stdin(Stdio::null());
    c
}

pub fn run(out: &Path, args: &[&str]) -> Output {
    cmd(out, args).output().unwrap()
}

pub fn result_dirs(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

pub fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

pub fn col(h: &[String], row: &[String], name: &str) -> String {
    row[h
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"))]
    .clone()
}

/// A cell as a number.
pub fn num(h: &[String], row: &[String], name: &str) -> f64 {
    col(h, row, name)
        .parse()
        .unwrap_or_else(|_| panic!("column {name} is not a number in {row:?}"))
}

/// A dummy site with a 1-ms service time (capacity 8,000 req/s of `api` reads) on
/// `addr` (port 0 picks a free one).
pub fn fast_site(addr: &str) -> dummy_site::SiteHandle {
    dummy_site::SiteParams {
        service_time_ms: 1.0,
        ..Default::default()
    }
    .check()
    .unwrap()
    .start(addr.parse().unwrap())
    .unwrap()
}

/// Checks a `report.json` against the committed schema (docs/report.schema.json),
/// failing with every violation and where it is.
pub fn assert_report_schema(report: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/report.schema.json");
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let id = schema["$id"].as_str().unwrap().to_string();
    let (mut schemas, mut compiler) = (boon::Schemas::new(), boon::Compiler::new());
    compiler.add_resource(&id, schema).unwrap();
    let index = compiler
        .compile(&id, &mut schemas)
        .unwrap_or_else(|e| panic!("{} is not valid JSON Schema: {e:#}", path.display()));
    if let Err(e) = schemas.validate(report, index) {
        // `{:#}` lists every violation with where it is.
        panic!("report.json against {}:\n{e:#}", path.display());
    }
}
