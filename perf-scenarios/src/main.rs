//! `perf-scenarios`: parse the command line, run, print errors with their chain, exit
//! with the contract's code.

mod bench_gate;
mod browser_cmd;
mod cli;
mod gate_ab;
mod gate_capacity;
mod gate_cmd;
mod gate_table;
mod list;
mod mainjob;
mod models;
mod output;
mod plugins;
mod prior;
mod registry;
mod report_cmd;
mod runner;
mod search;
mod site_args;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return dummy_site::text::clap_exit(&e),
    };
    match runner::run(cli) {
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
