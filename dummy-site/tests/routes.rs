//! Every route of the real site, over real HTTP on an ephemeral loopback port.

mod common;

use common::{client, raw, start};
use dummy_site::SiteParams;
use http_body_util::Full;
use serde_json::Value;

fn fast() -> SiteParams {
    SiteParams {
        service_time_ms: 0.0,
        ..SiteParams::default()
    }
}

#[tokio::test]
async fn pages_render_with_assets_and_links() {
    let site = start(fast());
    let c = client();
    let u = site.url();
    let home = c.get(format!("{u}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert_eq!(home.headers()["content-type"], "text/html; charset=utf-8");
    let home = home.text().await.unwrap();
    for needle in [
        "/static/app.css",
        "/static/app.js",
        "/static/hero.svg",
        "data-api=\"/api/items?page=1&amp;size=8\"",
    ] {
        assert!(home.contains(needle), "home lacks {needle}");
    }
    let list = c
        .get(format!("{u}/products?page=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(list.matches("class=\"card\"").count(), 20);
    assert!(list.contains("href=\"/products?page=3\""));
    assert_eq!(
        c.get(format!("{u}/products?page=0"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        c.get(format!("{u}/products?page=999"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let detail = c.get(format!("{u}/products/7")).send().await.unwrap();
    assert_eq!(detail.status(), 200);
    assert!(detail.text().await.unwrap().contains("data-id=\"7\""));
    assert_eq!(
        c.get(format!("{u}/products/100000"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        c.get(format!("{u}/products/abc"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let search = c
        .get(format!("{u}/search?q=lamp"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(search.contains("results for “lamp”"));
    let long = "x".repeat(300);
    assert_eq!(
        c.get(format!("{u}/search?q={long}"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        c.get(format!("{u}/nowhere")).send().await.unwrap().status(),
        404
    );
    let wrong = c.delete(format!("{u}/products")).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["allow"], "GET, HEAD");
}

#[tokio::test]
async fn static_assets_have_etags_and_revalidate() {
    let site = start(fast());
    let c = client();
    let u = site.url();
    for (path, ty) in [
        ("app.css", "text/css"),
        ("app.js", "text/javascript"),
        ("logo.svg", "image/svg+xml"),
        ("img/p3.svg", "image/svg+xml"),
    ] {
        let r = c.get(format!("{u}/static/{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(ty));
        let etag = r.headers()["etag"].clone();
        assert!(!r.bytes().await.unwrap().is_empty());
        let again = c
            .get(format!("{u}/static/{path}"))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
    assert_eq!(
        c.get(format!("{u}/static/nope.css"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        c.get(format!("{u}/static/../Cargo.toml"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let js = c
        .get(format!("{u}/static/app.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        js.contains("fetch(el.dataset.api"),
        "the script renders API data"
    );
}

#[tokio::test]
async fn json_api_reads_and_validates() {
    let site = start(fast());
    let c = client();
    let u = site.url();
    let page: Value = c
        .get(format!("{u}/api/items?page=3&size=10"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    assert_eq!(page["items"][0]["id"], 21);
    assert_eq!(page["total"], 1000);
    for (q, field) in [
        ("page=0", "page"),
        ("size=101", "size"),
        ("size=abc", "size"),
        ("page=-1", "page"),
    ] {
        let r = c.get(format!("{u}/api/items?{q}")).send().await.unwrap();
        assert_eq!(r.status(), 400, "{q}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["field"], field, "{q}");
    }
    let item: Value = c
        .get(format!("{u}/api/items/5"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(item["id"], 5);
    assert_eq!(
        c.get(format!("{u}/api/items/5000"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        c.get(format!("{u}/api/items/x"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let name = item["name"].as_str().unwrap().to_string();
    let found: Value = c
        .get(format!("{u}/api/search"))
        .query(&[("q", &name)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(found["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == 5));
    assert_eq!(
        c.get(format!("{u}/api/search?q="))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let body = c
        .get(format!("{u}/api/payload?bytes=100000"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 100_000);
    assert_eq!(
        c.get(format!("{u}/api/payload?bytes=0"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        c.get(format!("{u}/api/payload?bytes=99999999999"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test]
async fn orders_validate_every_field() {
    let site = start(fast());
    let c = client();
    let url = format!("{}/api/orders", site.url());
    let ok = c
        .post(&url)
        .json(&serde_json::json!({"item_id": 3, "quantity": 2, "email": "a@b.io"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    let o: Value = ok.json().await.unwrap();
    assert_eq!(o["quantity"], 2);
    assert!(o["total_cents"].as_u64().unwrap() > 0);
    let cases = [
        (r#"{"quantity":1,"email":"a@b.io"}"#, Some("item_id")),
        (
            r#"{"item_id":99999,"quantity":1,"email":"a@b.io"}"#,
            Some("item_id"),
        ),
        (
            r#"{"item_id":1,"quantity":0,"email":"a@b.io"}"#,
            Some("quantity"),
        ),
        (
            r#"{"item_id":1,"quantity":"2","email":"a@b.io"}"#,
            Some("quantity"),
        ),
        (
            r#"{"item_id":1,"quantity":1,"email":"nope"}"#,
            Some("email"),
        ),
        (r#"[1,2]"#, None),
        (r#"{"item_id":"#, None),
    ];
    for (body, field) in cases {
        let r = c
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["field"].as_str(), field, "{body}");
        assert!(!e["error"].as_str().unwrap().is_empty());
    }
    let r = c
        .post(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(c.get(&url).send().await.unwrap().status(), 405);
}

#[tokio::test]
async fn login_cart_checkout_flow_keeps_session_state() {
    let site = start(fast());
    let c = client();
    let u = site.url();
    assert_eq!(
        c.get(format!("{u}/cart")).send().await.unwrap().headers()["location"],
        "/login?next=/cart"
    );
    let bad = c
        .post(format!("{u}/login"))
        .form(&[("username", ""), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("data-field=\"username\"") && bad.contains("data-field=\"password\""));
    let ok = c
        .post(format!("{u}/login"))
        .form(&[
            ("username", "ann"),
            ("password", "secret"),
            ("next", "/cart"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    let cookie = ok.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("sid="));
    let empty = c
        .get(format!("{u}/cart"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(empty.contains("id=\"cart-empty\"") && empty.contains("Signed in as ann"));
    assert_eq!(
        c.get(format!("{u}/checkout"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .headers()["location"],
        "/cart"
    );
    for (item, qty) in [("4", "2"), ("9", "1"), ("4", "1")] {
        let r = c
            .post(format!("{u}/cart/add"))
            .header("cookie", &cookie)
            .form(&[("item_id", item), ("qty", qty)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
    }
    let bad_qty = c
        .post(format!("{u}/cart/add"))
        .header("cookie", &cookie)
        .form(&[("item_id", "4"), ("qty", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_qty.status(), 400);
    let bad_item = c
        .post(format!("{u}/cart/add"))
        .header("cookie", &cookie)
        .form(&[("item_id", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_item.status(), 400);
    let cart = c
        .get(format!("{u}/cart"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        cart.contains("<tr data-id=\"4\"><td><a href=\"/products/4\">")
            && cart.contains("<td>3</td>")
    );
    let form = c
        .get(format!("{u}/checkout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let wrong = c
        .post(format!("{u}/checkout"))
        .header("cookie", &cookie)
        .form(&[
            ("name", ""),
            ("address", "1 Road"),
            ("card", "4111 1111 1111 1112"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let wrong = wrong.text().await.unwrap();
    assert!(
        wrong.contains("data-field=\"name\"")
            && wrong.contains("data-field=\"card\"")
            && !wrong.contains("data-field=\"address\"")
    );
    let done = c
        .post(format!("{u}/checkout"))
        .header("cookie", &cookie)
        .form(&[
            ("name", "Ann Smith"),
            ("address", "1 Long Road"),
            ("card", "4111 1111 1111 1111"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("id=\"order-confirmation\""));
    let after = c
        .get(format!("{u}/cart"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        after.contains("id=\"cart-empty\""),
        "checkout empties the cart"
    );
    let stranger = c
        .post(format!("{u}/cart/add"))
        .form(&[("item_id", "4")])
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.headers()["location"], "/login?next=/products/4");
}

#[tokio::test]
async fn health_metrics_and_admin_capacity() {
    let p = SiteParams {
        workers: 4,
        service_time_ms: 10.0,
        ..SiteParams::default()
    };
    let site = start(p);
    let c = client();
    let u = site.url();
    assert_eq!(
        c.get(format!("{u}/health"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok\n"
    );
    c.get(format!("{u}/api/items")).send().await.unwrap();
    let cap: Value = c
        .get(format!("{u}/admin/capacity"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cap["workers"], 4);
    let items = cap["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "/api/items")
        .unwrap();
    assert_eq!(items["cost"], 1.0);
    assert_eq!(items["capacity_rps"], 400.0);
    let search = cap["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "/api/search")
        .unwrap();
    assert!((search["capacity_rps"].as_f64().unwrap() - 133.33).abs() < 0.01);
    let m = c
        .get(format!("{u}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "dummy_requests_total{route=\"/api/items\",status=\"200\"} 1",
        "dummy_request_duration_seconds_bucket{route=\"/api/items\",le=\"+Inf\"} 1",
        "dummy_in_flight 1",
        "dummy_queue_depth 0",
        "dummy_rejected_total{reason=\"queue_full\"} 0",
    ] {
        assert!(m.contains(needle), "metrics lack {needle}\n{m}");
    }
}

#[tokio::test]
async fn admin_routes_refuse_non_loopback_clients() {
    // Driven through App::handle with a non-loopback peer, so no traffic leaves loopback.
    let site = start(fast());
    let req = http::Request::get("/admin/capacity")
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let r = site.app().handle(req, "192.0.2.7".parse().unwrap()).await;
    assert_eq!(r.status(), 403);
    let req = http::Request::get("/admin/capacity")
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    assert_eq!(
        site.app()
            .handle(req, "127.0.0.1".parse().unwrap())
            .await
            .status(),
        200
    );
}

#[test]
fn head_requests_get_headers_without_body() {
    let site = start(fast());
    let out = raw(
        &site,
        b"HEAD /static/app.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.to_lowercase().contains("content-length:"));
}
