//! `checkout`: each user signs in once (session cookie), then repeats the buying flow:
//! add items to the cart, view the cart, open checkout, place the order. Its browser
//! steps walk the same flow in Chromium: sign in, add a product, checkout, confirmation.

use perf_core::prelude::*;

pub fn spec() -> ScenarioSpec {
    ScenarioSpec::new("checkout", "login, then add to cart, view cart, checkout (session state)", build)
        .param(ParamSpec::int("items", "items added to the cart per order", 2, 1, 20))
        .load(20.0, Duration::from_secs(15))
        .slo("p95<500ms,error-rate<1%")
        .browser(journey)
}

/// The buying flow in a browser: every page load is timed, the order must be confirmed.
fn journey(page: &mut Page) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StepError>> + Send + '_>> {
    Box::pin(async move {
        page.goto("login page", "/login?next=/cart").await?;
        page.fill("#username", "browser").await?;
        page.fill("#password", "secret").await?;
        page.click_and_load("sign in", "#login").await?;
        page.goto("product", &format!("/products/{}", 1 + random_below(1000))).await?;
        page.click_and_load("add to cart", "#add-to-cart").await?;
        page.wait_for("#cart").await?;
        page.click_and_load("checkout", "#to-checkout").await?;
        page.fill("#name", "Browser User").await?;
        page.fill("#address", "1 Loopback Road").await?;
        page.fill("#card", "4111 1111 1111 1111").await?;
        page.click_and_load("place order", "#place-order").await?;
        page.expect_text("#order-confirmation", "confirmed").await
    })
}

fn build(p: &Params) -> Result<Scenario, GooseError> {
    let items = p.int("items") as usize;
    Ok(scenario!("checkout")
        .register_transaction(transaction!(login).set_name("login").set_on_start())
        .register_transaction(transaction!(add_to_cart).set_name("add to cart").set_sequence(1).set_weight(items)?)
        .register_transaction(transaction!(view_cart).set_name("view cart").set_sequence(2))
        .register_transaction(transaction!(checkout_form).set_name("checkout form").set_sequence(3))
        .register_transaction(transaction!(place_order).set_name("place order").set_sequence(4)))
}

async fn login(user: &mut GooseUser) -> TransactionResult {
    let name = format!("user{}", user.weighted_users_index);
    http::post_form(user, "/login", &[("username", name.as_str()), ("password", "secret"), ("next", "/cart")]).await?;
    Ok(())
}

async fn add_to_cart(user: &mut GooseUser) -> TransactionResult {
    let id = (1 + random_below(1000)).to_string();
    http::post_form(user, "/cart/add", &[("item_id", id.as_str()), ("qty", "1")]).await?;
    Ok(())
}

async fn view_cart(user: &mut GooseUser) -> TransactionResult {
    http::get(user, "/cart").await?;
    Ok(())
}

async fn checkout_form(user: &mut GooseUser) -> TransactionResult {
    http::get(user, "/checkout").await?;
    Ok(())
}

async fn place_order(user: &mut GooseUser) -> TransactionResult {
    let form = [("name", "Load Tester"), ("address", "1 Loopback Road"), ("card", "4111 1111 1111 1111")];
    http::post_form(user, "/checkout", &form).await?;
    Ok(())
}
