//! What the engine's and the session's tests share: a one-request scenario, the dummy
//! site on a loopback port, and the lock that keeps their attacks one at a time (Goose
//! keeps process-wide state).

use dummy_site::{SiteHandle, SiteParams};
use perf_core::prelude::*;

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Held while an attack runs.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn items(user: &mut GooseUser) -> TransactionResult {
    http::get(user, "/api/items?size=5").await?;
    Ok(())
}

/// `items`: one `GET /api/items?size=5` per transaction.
pub fn spec() -> ScenarioSpec {
    ScenarioSpec::new("items", "GET /api/items", |_| {
        Ok(scenario!("items").register_transaction(transaction!(items)))
    })
}

/// The dummy site with `params`, in this process on an ephemeral loopback port.
pub fn start(params: SiteParams) -> SiteHandle {
    params
        .check()
        .unwrap()
        .start("127.0.0.1:0".parse().unwrap())
        .unwrap()
}
