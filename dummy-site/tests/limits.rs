//! Robustness: slow clients, oversized bodies and headers, and the capacity model's
//! throughput against its formula.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{client, raw, start};
use dummy_site::SiteParams;

#[test]
fn slow_header_client_is_cut_off() {
    let site = start(SiteParams {
        header_read_timeout_ms: 300,
        ..SiteParams::default()
    });
    let mut s = TcpStream::connect(site.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 1024];
    let mut total = 0;
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_secs(2),
        "connection kept for {waited:?}"
    );
    assert!(
        waited >= Duration::from_millis(250),
        "cut off too early: {waited:?}"
    );
    let _ = total;
}

#[test]
fn oversized_bodies_get_413() {
    let site = start(SiteParams {
        max_body_bytes: 1024,
        service_time_ms: 0.0,
        ..SiteParams::default()
    });
    let declared = raw(&site, b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{");
    assert!(declared.starts_with("HTTP/1.1 413"), "{declared}");
    let mut chunked =
        b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'a'; 512]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let streamed = raw(&site, &chunked);
    assert!(streamed.starts_with("HTTP/1.1 413"), "{streamed}");
    let fine = raw(&site, b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    assert!(fine.starts_with("HTTP/1.1 400"), "{fine}");
}

#[test]
fn oversized_or_too_many_headers_get_431() {
    let site = start(SiteParams {
        max_header_bytes: 4096,
        max_headers: 20,
        ..SiteParams::default()
    });
    let big = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(8000)
    );
    assert!(raw(&site, big.as_bytes()).starts_with("HTTP/1.1 431"));
    let mut many = String::from("GET /health HTTP/1.1\r\nHost: x\r\n");
    for i in 0..40 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    assert!(raw(&site, many.as_bytes()).starts_with("HTTP/1.1 431"));
    assert!(raw(&site, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 200"));
}

#[test]
fn garbage_request_line_is_refused_without_harm() {
    let site = start(SiteParams::default());
    let out = raw(&site, b"\x00\x01garbage\r\n\r\n");
    assert!(out.is_empty() || out.starts_with("HTTP/1.1 400"), "{out}");
    assert!(raw(&site, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 200"));
}

/// Closed-loop clients hammer /api/items until `until`; returns (ok, 503, latencies of
/// successful requests) counted over [warm, until).
async fn hammer(
    url: String,
    clients: usize,
    warm: Instant,
    until: Instant,
    pause: Duration,
) -> (usize, usize, Vec<Duration>) {
    let c = client();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (c, url) = (c.clone(), url.clone());
            tokio::spawn(async move {
                let (mut ok, mut rejected, mut lat) = (0, 0, Vec::new());
                while Instant::now() < until {
                    let t = Instant::now();
                    let status = c
                        .get(&url)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    let done = Instant::now();
                    if done >= warm && done < until {
                        match status {
                            200 => {
                                ok += 1;
                                lat.push(done - t);
                            }
                            503 => rejected += 1,
                            other => panic!("unexpected status {other}"),
                        }
                    }
                    if status == 503 || !pause.is_zero() {
                        tokio::time::sleep(pause.max(Duration::from_millis(2))).await;
                    }
                }
                (ok, rejected, lat)
            })
        })
        .collect();
    let (mut ok, mut rejected, mut lat) = (0, 0, Vec::new());
    for t in tasks {
        let (o, r, l) = t.await.unwrap();
        ok += o;
        rejected += r;
        lat.extend(l);
    }
    (ok, rejected, lat)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn above_capacity_throughput_matches_the_formula_and_sheds_503s() {
    // workers 4, service time 10 ms → 400 req/s.
    let site = Arc::new(start(SiteParams {
        workers: 4,
        service_time_ms: 10.0,
        queue: 8,
        ..SiteParams::default()
    }));
    let url = format!("{}/api/items", site.url());
    let t0 = Instant::now();
    let (warm, until) = (
        t0 + Duration::from_millis(500),
        t0 + Duration::from_millis(3500),
    );
    let (ok, rejected, _) = hammer(url, 48, warm, until, Duration::ZERO).await;
    let rps = ok as f64 / 3.0;
    println!("above capacity: {rps:.1} req/s served (formula 400), {rejected} rejected");
    assert!(
        (360.0..=440.0).contains(&rps),
        "served {rps:.1} req/s, formula 400"
    );
    assert!(rejected > 0, "a full queue answers 503");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn below_capacity_no_503_and_latency_near_service_time() {
    let site = Arc::new(start(SiteParams {
        workers: 4,
        service_time_ms: 10.0,
        queue: 8,
        ..SiteParams::default()
    }));
    let url = format!("{}/api/items", site.url());
    let t0 = Instant::now();
    let (warm, until) = (
        t0 + Duration::from_millis(200),
        t0 + Duration::from_millis(2200),
    );
    // 3 clients with a 20 ms pause: about 100 req/s, a quarter of capacity.
    let (ok, rejected, mut lat) = hammer(url, 3, warm, until, Duration::from_millis(20)).await;
    lat.sort();
    let p50 = lat[lat.len() / 2];
    println!("below capacity: {ok} served, {rejected} rejected, p50 {p50:?}");
    assert_eq!(rejected, 0);
    assert!(ok > 100);
    assert!(
        p50 >= Duration::from_millis(10) && p50 < Duration::from_millis(15),
        "p50 {p50:?} for a 10 ms service time"
    );
}
