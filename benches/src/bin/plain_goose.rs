//! The reference for the engine benchmark: a plain Goose 0.19 attack, written as the
//! Goose book writes one, on one URL. Prints requests per second from Goose's metrics.
//!
//! `plain_goose <host> <path> <users> <seconds>`

use goose::config::GooseConfiguration;
use goose::prelude::*;

async fn fetch(user: &mut GooseUser) -> TransactionResult {
    let path = std::env::var("PLAIN_GOOSE_PATH").unwrap_or_else(|_| "/".into());
    let _goose = user.get(&path).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, host, path, users, secs] = args.as_slice() else {
        return Err("usage: plain_goose <host> <path> <users> <seconds>".into());
    };
    std::env::set_var("PLAIN_GOOSE_PATH", path);
    let users: usize = users.parse()?;
    let mut c = GooseConfiguration::default();
    c.host = Some(host.clone());
    c.users = Some(users);
    c.increase_rate = Some((users * 4).to_string());
    c.run_time = Some(secs.clone());
    c.quiet = 1;
    c.no_print_metrics = true;
    c.no_telnet = true;
    let metrics = GooseAttack::initialize_with_config(c)?
        .register_scenario(scenario!("plain").register_transaction(transaction!(fetch)))
        .execute()
        .await?;
    let requests: usize = metrics
        .requests
        .values()
        .map(|r| r.success_count + r.fail_count)
        .sum();
    let failures: usize = metrics.requests.values().map(|r| r.fail_count).sum();
    let secs = metrics.duration.max(1) as f64;
    println!(
        "plain-goose: {requests} requests ({failures} failed) in {secs} s = {:.1} req/s",
        requests as f64 / secs
    );
    Ok(())
}
