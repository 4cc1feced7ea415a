//! `perf-scenarios`: parse the command line, dispatch to the command, print errors with
//! their chain, exit with the contract's code.

mod bench_gate;
mod browser_cmd;
mod cli;
mod dashboard;
mod fail;
mod gate_ab;
mod gate_capacity;
mod gate_cmd;
mod gate_shared;
mod gate_table;
mod k8s;
mod list;
mod mainjob;
mod merge_cmd;
mod models;
mod output;
mod plan;
mod plan_cmd;
mod plugins;
mod registry;
mod report_cmd;
mod search;
mod site_args;
mod tune_cmd;
mod values;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Cmd};
use fail::Fail;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return dummy_site::text::clap_exit(&e),
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(fail) => {
            // Offending values are quoted at most 100 characters long.
            eprintln!(
                "error: {}",
                dummy_site::text::shorten(&format!("{:#}", fail.error))
            );
            ExitCode::from(fail.code)
        }
    }
}

/// The dashboard's address, whichever command asked for it.
fn dashboard_addr(cli: &Cli) -> Result<Option<std::net::SocketAddr>, Fail> {
    if cli.command.is_some() && cli.dashboard.is_some() {
        return Err(fail::usage(anyhow::anyhow!(
            "--dashboard before the command is the main job's; put it after the command"
        )));
    }
    let common = match &cli.command {
        None => return Ok(cli.dashboard),
        Some(Cmd::Run(a)) => &a.common,
        Some(Cmd::Sweep(a)) => &a.common,
        Some(Cmd::Search(a)) => &a.common,
        Some(Cmd::Tune(a)) => &a.common,
        Some(Cmd::Gate(a)) => &a.common,
        Some(Cmd::Browser(a)) => &a.common,
        Some(_) => return Ok(None),
    };
    Ok(common.dashboard)
}

/// Dispatches a parsed command line.
fn run(cli: Cli) -> Result<u8, Fail> {
    if let Some(addr) = dashboard_addr(&cli)? {
        dashboard::start(addr).map_err(fail::usage)?;
    }
    match cli.command {
        None => mainjob::run(),
        Some(Cmd::List) => {
            print!("{}", list::render());
            Ok(0)
        }
        Some(Cmd::Run(a)) => {
            let plan = plan::plan_run(&a)?;
            let done = plan::segmented_opts(&a.common, &plan)?
                .execute(&plan)
                .map_err(fail::drive)?;
            Ok(fail::exit_code(&done, true))
        }
        Some(Cmd::Sweep(a)) => {
            let plan = plan::plan_sweep(&a)?;
            let done = plan::segmented_opts(&a.common, &plan)?
                .execute(&plan)
                .map_err(fail::drive)?;
            Ok(fail::exit_code(&done, false))
        }
        Some(Cmd::Fit(a)) => models::fit(&a),
        Some(Cmd::Predict(a)) => models::predict(&a),
        Some(Cmd::Usl(a)) => models::usl(&a),
        Some(Cmd::Search(a)) => search::run(&a),
        Some(Cmd::Browser(a)) => browser_cmd::run(&a),
        Some(Cmd::Gate(a)) => gate_cmd::gate(&a),
        Some(Cmd::Compare(a)) => gate_cmd::compare(&a),
        Some(Cmd::BenchGate(a)) => bench_gate::run(&a),
        Some(Cmd::Report(a)) => report_cmd::run(&a),
        Some(Cmd::Merge(a)) => merge_cmd::run(&a),
        Some(Cmd::K8s(a)) => k8s::run(&a),
        Some(Cmd::Plan(a)) => plan_cmd::run(&a),
        Some(Cmd::Tune(a)) => tune_cmd::run(&a),
    }
}
