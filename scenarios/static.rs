//! `static`: static assets only. They bypass the dummy site's worker pool, so this
//! measures the load generator's own ceiling.

use perf_core::prelude::*;

const ASSETS: [&str; 4] = ["/static/app.css", "/static/app.js", "/static/logo.svg", "/static/img/p0.svg"];

pub fn spec() -> ScenarioSpec {
    ScenarioSpec::new("static", "static assets only (outside the site's worker pool): the engine's ceiling", build)
        .param(ParamSpec::int("assets", "distinct assets cycled through (1 = /static/app.css only)", 4, 1, 4))
        .load(500.0, Duration::from_secs(10))
        .slo("p99<100ms,error-rate<0.1%")
}

fn build(p: &Params) -> Result<Scenario, GooseError> {
    let n = p.int("assets") as usize;
    let mut s = scenario!("static");
    for (i, path) in ASSETS.iter().take(n).enumerate() {
        let path: &'static str = path;
        let t: TransactionFunction = std::sync::Arc::new(move |user| {
            Box::pin(async move {
                http::get(user, path).await?;
                Ok(())
            })
        });
        s = s.register_transaction(Transaction::new(t).set_name(&format!("asset {i}")));
    }
    Ok(s)
}
