//! `checkout`: each user signs in once (session cookie), then repeats the buying flow:
//! add items to the cart, view the cart, open checkout, place the order.

use perf_core::prelude::*;

pub fn spec() -> ScenarioSpec {
    ScenarioSpec::new("checkout", "login, then add to cart, view cart, checkout (session state)", build)
        .param(ParamSpec::int("items", "items added to the cart per order", 2, 1, 20))
        .load(20.0, Duration::from_secs(15))
        .slo("p95<500ms,error-rate<1%")
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
