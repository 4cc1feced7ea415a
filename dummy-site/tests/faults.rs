//! Every fault, set at start and changed at run time through /admin/faults.

mod common;

use std::time::{Duration, Instant};

use common::{client, start};
use dummy_site::SiteParams;
use serde_json::{json, Value};

async fn timed_get(c: &reqwest::Client, url: &str) -> (u16, Duration) {
    let t = Instant::now();
    let s = c.get(url).send().await.unwrap().status().as_u16();
    (s, t.elapsed())
}

#[tokio::test]
async fn error_rate_answers_500_at_about_the_rate() {
    let site = start(SiteParams {
        service_time_ms: 0.0,
        error_rate: 0.3,
        ..SiteParams::default()
    });
    let c = client();
    let url = format!("{}/api/items", site.url());
    let mut errors = 0;
    for _ in 0..400 {
        if timed_get(&c, &url).await.0 == 500 {
            errors += 1;
        }
    }
    // Binomial(400, 0.3): mean 120, sd 9.2; ±4 sd.
    assert!((83..=157).contains(&errors), "{errors} errors of 400");
    // Static assets bypass the pool and the faults.
    assert_eq!(
        timed_get(&c, &format!("{}/static/app.css", site.url()))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn extra_latency_and_jitter_are_added() {
    let site = start(SiteParams {
        service_time_ms: 1.0,
        extra_latency_ms: 40.0,
        jitter_ms: 10.0,
        ..SiteParams::default()
    });
    let c = client();
    let url = format!("{}/api/items/1", site.url());
    for _ in 0..10 {
        let (s, t) = timed_get(&c, &url).await;
        assert_eq!(s, 200);
        assert!(
            t >= Duration::from_millis(30) && t < Duration::from_millis(200),
            "{t:?}"
        );
    }
}

#[tokio::test]
async fn run_time_stall_hangs_dynamic_requests_then_clears() {
    let site = start(SiteParams {
        service_time_ms: 1.0,
        ..SiteParams::default()
    });
    let c = client();
    let u = site.url();
    assert!(timed_get(&c, &format!("{u}/api/items")).await.1 < Duration::from_millis(200));
    let r = c
        .post(format!("{u}/admin/faults"))
        .json(&json!({"stall_at_s": 0, "stall_for_s": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (s, t) = timed_get(&c, &format!("{u}/api/items")).await;
    assert_eq!(s, 200);
    assert!(
        t >= Duration::from_millis(800),
        "stalled request took only {t:?}"
    );
    // Health and static are outside the stall.
    assert!(timed_get(&c, &format!("{u}/health")).await.1 < Duration::from_millis(200));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(timed_get(&c, &format!("{u}/api/items")).await.1 < Duration::from_millis(200));
}

#[tokio::test]
async fn stall_set_at_start_begins_at_its_time() {
    let site = start(SiteParams {
        service_time_ms: 1.0,
        stall_at_s: Some(0.5),
        stall_for_s: 0.8,
        ..SiteParams::default()
    });
    let c = client();
    let url = format!("{}/api/items", site.url());
    assert!(timed_get(&c, &url).await.1 < Duration::from_millis(200));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(timed_get(&c, &url).await.1 >= Duration::from_millis(400));
}

#[tokio::test]
async fn slow_degradation_grows_the_service_time() {
    let site = start(SiteParams {
        service_time_ms: 20.0,
        ..SiteParams::default()
    });
    let c = client();
    let u = site.url();
    // 6000 % per minute = the base service time added every second.
    c.post(format!("{u}/admin/faults"))
        .json(&json!({"degradation_pct_per_min": 6000}))
        .send()
        .await
        .unwrap();
    let (_, early) = timed_get(&c, &format!("{u}/api/items")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, late) = timed_get(&c, &format!("{u}/api/items")).await;
    assert!(
        late > early + Duration::from_millis(20),
        "early {early:?}, late {late:?}"
    );
    let cap: Value = c
        .get(format!("{u}/admin/capacity"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(cap["service_factor_now"].as_f64().unwrap() > 2.0, "{cap}");
}

#[tokio::test]
async fn faults_patch_merges_and_rejects_bad_values() {
    let site = start(SiteParams {
        service_time_ms: 0.0,
        ..SiteParams::default()
    });
    let c = client();
    let url = format!("{}/admin/faults", site.url());
    let f: Value = c
        .post(&url)
        .json(&json!({"error_rate": 1.0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(f["error_rate"], 1.0);
    assert_eq!(
        timed_get(&c, &format!("{}/api/items", site.url())).await.0,
        500
    );
    let f: Value = c
        .post(&url)
        .json(&json!({"extra_latency_ms": 5}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (f["error_rate"].as_f64(), f["extra_latency_ms"].as_f64()),
        (Some(1.0), Some(5.0))
    );
    for (body, field) in [
        (r#"{"error_rate":2}"#, Some("error_rate")),
        (r#"{"stall_for_s":-1}"#, Some("stall_for_s")),
        (r#"{"extra_latency_ms":1e308}"#, Some("extra_latency_ms")),
        (r#"{"jitter_ms":3600001}"#, Some("jitter_ms")),
        (
            r#"{"stall_at_s":1e300,"stall_for_s":1}"#,
            Some("stall_at_s"),
        ),
        (
            r#"{"stall_at_s":0,"stall_for_s":1e300}"#,
            Some("stall_for_s"),
        ),
        (
            r#"{"degradation_pct_per_min":1e300}"#,
            Some("degradation_pct_per_min"),
        ),
        (r#"{"nope":1}"#, None),
        ("not json", None),
    ] {
        let r = c.post(&url).body(body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["field"].as_str(), field, "{body}");
    }
    let now: Value = c.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["error_rate"], 1.0, "a rejected patch changes nothing");
    // The site still answers every dynamic request after the rejected values.
    assert_eq!(
        timed_get(&c, &format!("{}/api/items", site.url())).await.0,
        500
    );
    // A 1 MB field is not echoed back whole.
    let big = format!(r#"{{"jitter_ms":"{}"}}"#, "A".repeat(1_000_000));
    let r = c.post(&url).body(big).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(
        text.len() < 1000 && text.contains("1000000 characters"),
        "{}",
        &text[..200.min(text.len())]
    );
}

#[tokio::test]
async fn a_dual_stack_site_serves_and_admits_loopback_clients_of_both_families() {
    let site = SiteParams {
        service_time_ms: 0.0,
        ..SiteParams::default()
    }
    .check()
    .unwrap()
    .start("[::]:0".parse().unwrap())
    .unwrap();
    let port = site.addr().port();
    assert!(site.url().starts_with("http://[::1]:"), "{}", site.url());
    let c = client();
    for host in ["127.0.0.1", "[::1]"] {
        for path in ["/api/items", "/admin/faults"] {
            let r = c
                .get(format!("http://{host}:{port}{path}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{host}{path}");
        }
    }
}
