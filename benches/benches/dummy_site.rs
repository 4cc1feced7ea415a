//! In-process request handling of the dummy site: `App::handle` without the network,
//! so the figure is the site's own cost per request (routing, pool, body, metrics).
//!
//! `cargo bench -p benches --bench dummy_site`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dummy_site::{App, SiteParams};
use http_body_util::Full;

fn get(uri: &str) -> http::Request<Full<Bytes>> {
    http::Request::get(uri)
        .body(Full::new(Bytes::new()))
        .expect("valid request")
}

fn handling(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cfg = SiteParams {
        service_time_ms: 0.0,
        ..SiteParams::default()
    }
    .check()
    .expect("valid");
    let app = App::new(cfg);
    let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut g = c.benchmark_group("dummy_site_handle");
    g.throughput(Throughput::Elements(1));
    for (name, uri) in [
        ("api_items_page_of_20", "/api/items?page=3&size=20"),
        ("api_item", "/api/items/42"),
        ("static_app_css", "/static/app.css"),
        ("health", "/health"),
    ] {
        g.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let r = app.handle(get(black_box(uri)), peer).await;
                assert_eq!(r.status(), 200);
                black_box(r)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, handling);
criterion_main!(benches);
