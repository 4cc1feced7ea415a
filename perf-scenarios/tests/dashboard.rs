//! `--dashboard` end to end: the page in real headless Chromium during a run of the
//! embedded site (numbers that update, and agree with `runs.csv` at the end; no console
//! error; nothing fetched from another origin; the stop button), its event stream read
//! raw by late and many pages, the stop guard against other sites, and bad addresses.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use perf_core::browser::{BrowserParams, Page};

mod common;

use common::{col, csv_rows, num, result_dirs, BIN};

/// Starts `args` with `--dashboard 127.0.0.1:0` and returns the child with the
/// dashboard's address (read from its first lines of output).
fn start(out: &Path, args: &[&str]) -> (Child, SocketAddr, BufReader<ChildStdout>) {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--dashboard", "127.0.0.1:0", "--out"])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
        if let Some(url) = line.trim().strip_prefix("dashboard: http://") {
            if let Ok(addr) = url.trim_end_matches('/').parse() {
                return (child, addr, stdout);
            }
        }
        line.clear();
    }
    let _ = child.kill();
    let status = child.wait();
    panic!("no dashboard line before the end of the output ({status:?})");
}

/// A raw HTTP/1.1 request; the whole answer until the server closes or `wait` passes.
fn raw(addr: SocketAddr, request: &str, wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The event stream as a page reads it, until the run ends or `wait` passes without an
/// event.
fn events(addr: SocketAddr, wait: Duration) -> String {
    raw(
        addr,
        &format!("GET /events HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
        wait,
    )
}

fn post_stop(addr: SocketAddr, host: &str, origin: &str, token: &str) -> String {
    raw(
        addr,
        &format!("POST /stop HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nx-dashboard-token: {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        Duration::from_secs(5),
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn eval(page: &mut Page, js: &str) -> serde_json::Value {
    page.eval(js).await.unwrap()
}

async fn text(page: &mut Page, id: &str) -> String {
    let v = eval(
        page,
        &format!("return document.getElementById('{id}').textContent;"),
    )
    .await;
    v.as_str().unwrap_or_default().to_string()
}

/// Waits until `js` returns true, for at most `secs` seconds.
async fn until(page: &mut Page, js: &str, secs: u64) {
    let t0 = Instant::now();
    while eval(page, js).await != serde_json::Value::Bool(true) {
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "waited {secs} s for {js}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn the_page_follows_a_run_in_chromium_agrees_with_runs_csv_and_stops_it() {
    let _g = common::one_load_at_a_time();
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("results");
    let (mut child, addr, _stdout) = start(
        &out,
        &[
            "sweep",
            "api",
            "--rate",
            "60,90",
            "--duration",
            "6s",
            "--slo",
            "p95<250ms",
        ],
    );
    let base = format!("http://{addr}");
    let rt = rt();
    let browsers = rt
        .block_on(BrowserParams::default().start(&base))
        .expect("chromium starts");
    let page = browsers.pages[0].clone();
    rt.block_on(async {
        let mut page = page.lock().await;
        page.goto("dashboard", "/").await.unwrap();
        // The numbers move while the first point runs.
        until(&mut page, "return window.dashboardSeconds() >= 2;", 30).await;
        let first: u64 = text(&mut page, "requests").await.parse().unwrap();
        until(&mut page, "return window.dashboardSeconds() >= 4;", 30).await;
        let later: u64 = text(&mut page, "requests").await.parse().unwrap();
        assert!(later > first && first > 0, "{first} then {later}");
        assert!(text(&mut page, "slo").await.contains("p95<250ms"));
        // The first point's row, when it ends.
        until(
            &mut page,
            "return !!document.querySelector('#finished tr[data-point=\"0\"]');",
            30,
        )
        .await;
    });
    // The second point is running: the stop button ends it as SIGINT would.
    rt.block_on(async {
        let mut page = page.lock().await;
        until(
            &mut page,
            "return document.getElementById('point-label').textContent.startsWith('point 2');",
            30,
        )
        .await;
        until(&mut page, "return window.dashboardSeconds() >= 8;", 30).await;
        let png = page.screenshot().await.unwrap();
        let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/dashboard.png");
        std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
        std::fs::write(&shot, &png).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        page.click("#stop").await.unwrap();
    });
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let (h, rows) = csv_rows(&result_dirs(&out)[0].join("runs.csv"));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(col(&h, &rows[0], "complete"), "true");
    assert_eq!(col(&h, &rows[1], "complete"), "false");
    rt.block_on(async {
        let mut page = page.lock().await;
        until(&mut page, "return document.getElementById('status').textContent.startsWith('stopped');", 15).await;
        // The finished point on the page is the one in runs.csv.
        for (class, column, scale, digits) in [
            ("achieved", "achieved_rps", 1.0, 1),
            ("p50", "p50_us", 1000.0, 2),
            ("p95", "p95_us", 1000.0, 2),
            ("p99", "p99_us", 1000.0, 2),
        ] {
            let shown = eval(&mut page, &format!("return document.querySelector('#finished tr[data-point=\"0\"] .{class}').textContent;")).await;
            let shown: f64 = shown.as_str().unwrap().parse().unwrap();
            let want = num(&h, &rows[0], column) / scale;
            let half = 0.5 * 10f64.powi(-digits) + 1e-9;
            assert!((shown - want).abs() <= half, "{class}: page {shown}, runs.csv {want}");
        }
        let errors = eval(&mut page, "return window.dashboardErrors;").await;
        assert_eq!(errors, serde_json::json!([]), "console errors");
        // Every resource the page loaded came from the dashboard itself.
        let urls = eval(&mut page, "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);").await;
        let urls = urls.as_array().unwrap();
        assert!(urls.len() >= 4, "{urls:?}");
        for u in urls {
            assert!(u.as_str().unwrap().starts_with(&base), "{u} left the machine");
        }
    });
    let b = browsers;
    rt.block_on(b.close());
}

#[test]
fn late_and_many_pages_get_the_history_and_other_sites_cannot_stop_the_run() {
    let _g = common::one_load_at_a_time();
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("results");
    let (mut child, addr, _stdout) = start(
        &out,
        &[
            "run",
            "api",
            "--rate",
            "200",
            "--duration",
            "10s",
            "--slo",
            "",
        ],
    );
    let host = addr.to_string();
    // Ten pages listen for the whole run.
    let listeners: Vec<_> = (0..10)
        .map(|_| std::thread::spawn(move || events(addr, Duration::from_secs(30))))
        .collect();
    std::thread::sleep(Duration::from_secs(4));
    // A page opened late gets the history from the start (then the stream goes on: the
    // read ends at the first pause between seconds).
    let late = events(addr, Duration::from_millis(500));
    assert!(late.contains("text/event-stream"), "{late}");
    let session = late.find("event: session").expect("the session event");
    let second0 = late.find("\"second\":0,").expect("the first second");
    assert!(
        session < second0 && late.contains("\"second\":2,"),
        "{late}"
    );
    // The page's token is needed, from the page's origin, at the dashboard's address.
    let page = raw(
        addr,
        &format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        Duration::from_secs(5),
    );
    let token = page
        .split("name=\"dashboard-token\" content=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no token in the page: {page}"))
        .to_string();
    assert_eq!(token.len(), 32, "{token}");
    let origin = format!("http://{host}");
    for (h, o, t, status) in [
        (host.as_str(), origin.as_str(), "0000", "403"),
        (host.as_str(), "http://evil.example", token.as_str(), "403"),
        ("evil.example", "http://evil.example", token.as_str(), "421"),
    ] {
        let r = post_stop(addr, h, o, t);
        assert!(r.starts_with(&format!("HTTP/1.1 {status}")), "{h} {o}: {r}");
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "the refused stops did not stop it");
    let (h, rows) = csv_rows(&result_dirs(&out)[0].join("runs.csv"));
    let achieved = num(&h, &rows[0], "achieved_rps");
    assert!(
        (achieved / 200.0 - 1.0).abs() < 0.02,
        "{achieved} req/s with 10 pages open"
    );
    assert_eq!(col(&h, &rows[0], "generator_saturated"), "false");
    for l in listeners {
        let got = l.join().unwrap();
        assert_eq!(
            got.matches("event: second").count(),
            10,
            "every second, once"
        );
        assert!(got.contains("event: finish"), "{got}");
    }
}

#[test]
fn bad_dashboard_addresses_are_refused_before_any_load() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("results");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let cases = [
        (
            vec!["run", "api", "--dashboard", &port],
            "cannot listen there: Address already in use",
        ),
        (
            vec!["run", "api", "--dashboard", "nowhere"],
            "'nowhere' is not an address",
        ),
        (
            vec!["--dashboard", "run", "api"],
            "unrecognized subcommand 'api'",
        ),
        (
            vec!["--dashboard", "9", "run", "api"],
            "--dashboard before the command is the main job's",
        ),
    ];
    for (args, needle) in cases {
        let o = Command::new(BIN)
            .args(&args)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(result_dirs(&out).is_empty(), "{args:?}: no load was run");
    }
    drop(taken);
}

/// A search on the dashboard: after each point, its points, the GP's curve once there is
/// one, and at the end the answer `search.json` holds.
#[test]
fn a_search_shows_its_points_model_and_interval_as_it_goes() {
    let _g = common::one_load_at_a_time();
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("results");
    let (mut child, addr, _stdout) = start(
        &out,
        &[
            "search",
            "api",
            "--param",
            "write_ratio=0",
            "--slo",
            "p95<30ms,error-rate<1%",
            "--range",
            "60..3000",
            "--point-duration",
            "2s",
            "--max-runs",
            "4",
            "--site-workers",
            "4",
            "--site-service-time-ms",
            "10",
            "--site-queue",
            "16",
        ],
    );
    let events = std::thread::spawn(move || events(addr, Duration::from_secs(60)));
    let status = child.wait().unwrap();
    assert!(matches!(status.code(), Some(0 | 99)), "{status:?}");
    let got = events.join().unwrap();
    let views: Vec<serde_json::Value> = got
        .split("event: search\ndata: ")
        .skip(1)
        .map(|s| serde_json::from_str(s.lines().next().unwrap()).unwrap())
        .collect();
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(result_dirs(&out)[0].join("search.json")).unwrap())
            .unwrap();
    let runs = file["points"].as_array().unwrap().len();
    assert_eq!(views.len(), runs + 1, "{got}");
    for (k, v) in views.iter().enumerate() {
        assert_eq!(v["points"].as_array().unwrap().len(), k);
    }
    let last = &views[runs];
    assert_eq!(last["estimate"], file["estimate"]);
    assert!(last["stopped"].is_string(), "{last}");
    if runs >= 3 {
        assert!(
            views
                .iter()
                .any(|v| !v["curve"].as_array().unwrap().is_empty()),
            "{got}"
        );
    }
}
