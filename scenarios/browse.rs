//! `browse`: a visitor reading HTML pages: home, product list pages, product details
//! and searches. Its browser steps open the home page, wait for the product grid its
//! JavaScript fetches and renders, then a product page.

use perf_core::prelude::*;

const WORDS: [&str; 8] = ["lamp", "chair", "kettle", "desk", "mug", "clock", "camera", "jacket"];

pub fn spec() -> ScenarioSpec {
    ScenarioSpec::new("browse", "HTML pages: home, product lists, product details, search", build)
        .param(ParamSpec::int("search_weight", "searches per 10 page views (search costs 3x)", 1, 0, 10))
        .load(50.0, Duration::from_secs(15))
        .slo("p95<500ms,error-rate<1%")
        .browser(journey)
}

/// Home (whose grid comes from /api/items through JavaScript), then a product.
fn journey(page: &mut Page) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StepError>> + Send + '_>> {
    Box::pin(async move {
        page.goto("home", "/").await?;
        page.wait_for("#featured a.card").await?;
        page.goto("product", &format!("/products/{}", 1 + random_below(1000))).await?;
        page.expect_text("#product", "Add to cart").await
    })
}

fn build(p: &Params) -> Result<Scenario, GooseError> {
    let mut s = scenario!("browse")
        .register_transaction(transaction!(home).set_name("home").set_weight(2)?)
        .register_transaction(transaction!(list).set_name("product list").set_weight(4)?)
        .register_transaction(transaction!(detail).set_name("product detail").set_weight(4)?);
    let searches = p.int("search_weight") as usize;
    if searches > 0 {
        s = s.register_transaction(transaction!(search).set_name("search").set_weight(searches)?);
    }
    Ok(s)
}

async fn home(user: &mut GooseUser) -> TransactionResult {
    http::get(user, "/").await?;
    Ok(())
}

async fn list(user: &mut GooseUser) -> TransactionResult {
    http::get(user, &format!("/products?page={}", 1 + random_below(50))).await?;
    Ok(())
}

async fn detail(user: &mut GooseUser) -> TransactionResult {
    http::get_as(user, &format!("/products/{}", 1 + random_below(1000)), "GET /products/{id}").await?;
    Ok(())
}

async fn search(user: &mut GooseUser) -> TransactionResult {
    let q = WORDS[random_below(WORDS.len() as u64) as usize];
    http::get(user, &format!("/search?q={q}")).await?;
    Ok(())
}
