//! `api`: JSON reads and writes against the dummy site's API, with the payload size
//! and the share of writes as parameters. Every transaction is one request.

use perf_core::prelude::*;

pub fn spec() -> ScenarioSpec {
    ScenarioSpec::new("api", "JSON API: item pages, single items, payloads and order writes", build)
        .param(ParamSpec::bytes("size", "bytes fetched from /api/payload", 1024, 0, 16 << 20))
        .param(ParamSpec::float("write_ratio", "share of transactions that POST an order", 0.1, 0.0, 1.0))
        .load(100.0, Duration::from_secs(15))
        .slo("p95<250ms,error-rate<1%")
        // The CI gate (`perf-scenarios gate api`): a light and a busy point, 3 s each,
        // run 5 times (`--repeat`): the runs are the gate's samples.
        .gate(&[100.0, 400.0], Duration::from_secs(3))
}

fn build(p: &Params) -> Result<Scenario, GooseError> {
    let writes = (p.get("write_ratio") * 100.0).round() as usize;
    let reads = 100 - writes;
    let mut s = scenario!("api");
    // Reads are split between the three read endpoints (all cost 1 on the dummy site).
    for (t, share) in [(transaction!(list_items).set_name("list items"), 2), (transaction!(get_item).set_name("get item"), 2), (transaction!(payload).set_name("payload"), 1)] {
        let w = reads * share / 5;
        if w > 0 {
            s = s.register_transaction(t.set_weight(w)?);
        }
    }
    if writes > 0 {
        s = s.register_transaction(transaction!(create_order).set_name("create order").set_weight(writes)?);
    }
    Ok(s)
}

async fn list_items(user: &mut GooseUser) -> TransactionResult {
    let page = 1 + random_below(50);
    http::get(user, &format!("/api/items?page={page}&size=20")).await?;
    Ok(())
}

async fn get_item(user: &mut GooseUser) -> TransactionResult {
    let id = 1 + random_below(1000);
    http::get_as(user, &format!("/api/items/{id}"), "GET /api/items/{id}").await?;
    Ok(())
}

async fn payload(user: &mut GooseUser) -> TransactionResult {
    let size = param("size") as u64;
    http::get(user, &format!("/api/payload?bytes={size}")).await?;
    Ok(())
}

async fn create_order(user: &mut GooseUser) -> TransactionResult {
    let order = serde_json::json!({
        "item_id": 1 + random_below(1000),
        "quantity": 1 + random_below(3),
        "email": "load@example.com",
    });
    http::post_json(user, "/api/orders", &order).await?;
    Ok(())
}
