//! Every dummy-site option, offered as `--site-<option>`: the site's own clap
//! definitions, renamed, so the two can never drift apart.

use clap::{ArgMatches, Args, Command, FromArgMatches};
use dummy_site::SiteParams;

/// Options of the embedded dummy site (used when `--host` is not given).
#[derive(Debug, Clone)]
pub struct SiteArgs(pub SiteParams);

impl FromArgMatches for SiteArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        SiteParams::from_arg_matches(m).map(SiteArgs)
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }
}

impl Args for SiteArgs {
    fn augment_args(cmd: Command) -> Command {
        let site = SiteParams::augment_args(Command::new("site"));
        site.get_arguments().fold(cmd, |cmd, a| {
            let long = a.get_long().expect("every site option is long").to_string();
            cmd.arg(
                a.clone()
                    .long(format!("site-{long}"))
                    .help_heading("Embedded dummy site (without --host)"),
            )
        })
    }
    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}
