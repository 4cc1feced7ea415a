//! The dummy-site binary: help, bad options, bind failure, graceful signals.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dummy-site");

#[test]
fn help_documents_every_option() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for opt in [
        "--addr",
        "--workers",
        "--service-time-ms",
        "--service-dist",
        "--work",
        "--queue",
        "--queue-timeout-ms",
        "--error-rate",
        "--extra-latency-ms",
        "--jitter-ms",
        "--stall-at-s",
        "--stall-for-s",
        "--degradation-pct-per-min",
        "--seed",
        "--items",
        "--header-read-timeout-ms",
        "--max-body-bytes",
        "--max-headers",
        "--max-header-bytes",
        "--max-connections",
        "--shutdown-timeout-ms",
        "--threads",
    ] {
        assert!(help.contains(opt), "--help lacks {opt}");
    }
}

fn fails_with_2(args: &[&str], needle: &str) {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    let first = err.lines().next().unwrap_or("");
    assert!(
        first.starts_with("error:") && first.contains(needle),
        "{args:?}: {err}"
    );
}

#[test]
fn bad_options_exit_2_naming_the_option() {
    fails_with_2(&["--workers", "0"], "--workers");
    fails_with_2(&["--workers", "-3"], "--workers");
    fails_with_2(&["--service-time-ms", "abc"], "--service-time-ms");
    fails_with_2(&["--error-rate", "150%"], "--error-rate");
    fails_with_2(&["--service-dist", "normal"], "--service-dist");
    fails_with_2(&["--addr", "not-an-address"], "--addr");
    fails_with_2(&["--max-header-bytes", "10"], "--max-header-bytes");
    fails_with_2(&["--stall-at-s", "1"], "--stall-for-s");
    // Values that would overflow a time: a clear maximum, not a panic.
    for (opt, v) in [
        ("--stall-at-s", "1e300"),
        ("--stall-for-s", "1e300"),
        ("--extra-latency-ms", "1e308"),
        ("--jitter-ms", "inf"),
        ("--degradation-pct-per-min", "1e20"),
        ("--queue-timeout-ms", "18446744073709551615"),
        ("--header-read-timeout-ms", "18446744073709551615"),
        ("--shutdown-timeout-ms", "18446744073709551615"),
    ] {
        let mut args = vec![opt, v];
        if opt == "--stall-at-s" {
            args.extend(["--stall-for-s", "1"]);
        }
        fails_with_2(&args, opt);
    }
    // A 100,000-character value is quoted short.
    let long = "9".repeat(100_000);
    let out = Command::new(BIN)
        .args(["--workers", &long])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.len() < 1000 && err.contains("100000 characters"),
        "{err}"
    );
}

#[test]
fn port_in_use_is_one_line_exit_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN).args(["--addr", &addr]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("cannot bind {addr}")) && err.contains("in use"),
        "{err}"
    );
}

fn signal_finishes_in_flight(sig: &str) {
    let mut child = Command::new(BIN)
        .args([
            "--addr",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--service-time-ms",
            "700",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    let slow = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            reqwest::get(format!("{url}/api/items"))
                .await
                .map(|r| r.status().as_u16())
        })
    });
    std::thread::sleep(Duration::from_millis(200));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args([sig, &pid])
        .status()
        .unwrap()
        .success());
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "still running after {sig}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{sig}");
    assert_eq!(
        slow.join().unwrap().unwrap(),
        200,
        "the in-flight request finished"
    );
}

#[test]
fn sigterm_finishes_in_flight_requests_then_exits_0() {
    signal_finishes_in_flight("-TERM");
}

#[test]
fn sigint_finishes_in_flight_requests_then_exits_0() {
    signal_finishes_in_flight("-INT");
}
