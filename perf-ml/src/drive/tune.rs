//! Tuning over real load: [`crate::tune::Tuner`] chooses each configuration, and each is
//! one open-model point at the tuned rate in one session, so every point lands in
//! `runs.csv` with its knob values as parameters. A knob is one of
//!
//! - an option of the embedded site (`site-workers`): the site is started again with it
//!   before the point;
//! - a parameter of the scenario: the point runs with it;
//! - a name of the `--apply` command (`{replicas}`): the command is run with the values
//!   filled in, then the target is left `settle` to take them, before the point.
//!
//! What was found goes to `tune.json` in the results directory.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use perf_core::probe::ProbeOutcome;
use perf_core::scenario::ScenarioSpec;
use perf_core::session::Session;
use perf_core::{LoadModel, LoadPoint, Params, Slo};

use super::{DriveError, ExecOpts, TargetChoice};
use crate::tune::report::{setting, slo_values, trim, TuneFile};
use crate::tune::{Knob, TunePoint, TuneProbe, TuneReport, Tuner};

/// Everything a tuning needs; its [`Tuner`] was checked by [`crate::tune::TuneParams::check`].
#[derive(Debug, Clone)]
pub struct TunePlan {
    /// The scenario.
    pub scenario: ScenarioSpec,
    /// Fixed parameter values (tuned ones are set per point).
    pub params: Params,
    /// SLOs the configuration must meet.
    pub slos: Vec<Slo>,
    /// The arrival rate the configuration must carry, req/s.
    pub rate: f64,
    /// Length of each point.
    pub duration: Duration,
    /// Open-model user cap (the engine's default for the rate when `None`).
    pub max_users: Option<usize>,
    /// The tuning.
    pub tuner: Tuner,
    /// The command that applies a configuration to an external target.
    pub apply: Option<Apply>,
}

/// `--apply` and `--settle`.
#[derive(Debug, Clone)]
pub struct Apply {
    /// A shell command with `{knob}` placeholders.
    pub command: String,
    /// How long the target is given after the command succeeds.
    pub settle: Duration,
}

/// What a knob sets.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    /// The embedded site's option (name without `site-`).
    Site(String),
    /// A scenario parameter.
    Param,
    /// A placeholder of `--apply` only.
    Command,
}

/// A finished tuning.
#[derive(Debug)]
pub struct TuneRun {
    /// What it found.
    pub report: TuneReport,
    /// The signal that stopped it.
    pub interrupted: Option<i32>,
    /// The results directory.
    pub dir: PathBuf,
    /// Its `tune.json`.
    pub file: PathBuf,
}

impl TunePlan {
    /// Checks that every knob sets something on `opts`' target, within its range, and
    /// that every placeholder of `--apply` is a knob.
    fn roles(&self, opts: &ExecOpts) -> Result<Vec<Role>, DriveError> {
        let bad = |knob: &str, why: String| DriveError::Tune(format!("--knob {knob}: {why}"));
        let knobs = &self.tuner.params().knobs;
        if let Some(a) = &self.apply {
            for name in placeholders(&a.command) {
                if !knobs.iter().any(|k| k.name == name) {
                    return Err(DriveError::Tune(format!(
                        "--apply: {{{name}}} is not a knob (knobs: {})",
                        names(knobs)
                    )));
                }
            }
        }
        let mut roles = Vec::new();
        for k in knobs {
            let in_command = self
                .apply
                .as_ref()
                .is_some_and(|a| placeholders(&a.command).any(|n| n == k.name));
            let param = self.scenario.params.iter().find(|p| p.name == k.name);
            let role = match (&opts.target, k.name.strip_prefix("site-"), param) {
                (TargetChoice::Embedded(site), Some(option), _) => {
                    takes(k, |v| site.set(option, v).map(drop).map_err(|e| e.to_string()))
                        .map_err(|why| bad(&k.name, why))?;
                    Role::Site(option.to_string())
                }
                (TargetChoice::Host(_), Some(_), _) if !in_command => {
                    return Err(bad(
                        &k.name,
                        "site options tune the embedded site; against --host a knob is a scenario parameter or a {name} of --apply".into(),
                    ))
                }
                (_, _, Some(p)) => {
                    takes(k, |v| p.parse(v).map(drop).map_err(|e| e.to_string()))
                        .map_err(|why| bad(&k.name, why))?;
                    Role::Param
                }
                _ if in_command => Role::Command,
                _ => {
                    let params: Vec<&str> = self.scenario.params.iter().map(|p| p.name).collect();
                    return Err(bad(
                        &k.name,
                        format!(
                            "not a site option (site-workers, site-queue, ...), a parameter of scenario '{}' ({}), nor a {{name}} of --apply",
                            self.scenario.name,
                            if params.is_empty() { "none".into() } else { params.join(", ") }
                        ),
                    ));
                }
            };
            roles.push(role);
        }
        Ok(roles)
    }
}

/// Whether a setting takes the knob's whole range: both ends, and a value between them
/// with a fraction unless the knob is whole numbers only (`--site-queue` takes no 2.5).
fn takes(k: &Knob, set: impl Fn(&str) -> Result<(), String>) -> Result<(), String> {
    for v in [k.lo, k.hi] {
        set(&k.show(v))?;
    }
    let between = k.lo.floor() + 0.5;
    if !k.scale.whole() && between > k.lo && between < k.hi && set(&k.show(between)).is_err() {
        return Err(format!(
            "it takes whole numbers only ({} is refused): add :int to the range",
            k.show(between)
        ));
    }
    Ok(())
}

fn names(knobs: &[Knob]) -> String {
    knobs
        .iter()
        .map(|k| k.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `{name}` placeholders of a command (a shell's own `{ ...; }` is left alone).
fn placeholders(command: &str) -> impl Iterator<Item = &str> {
    let name = |n: &&str| {
        n.starts_with(|c: char| c.is_ascii_alphabetic())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    command
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(n, _)| n))
        .filter(name)
}

/// Runs the tuning of `plan` in one session on `opts`, and writes `tune.json`.
pub fn run(plan: &TunePlan, opts: &ExecOpts) -> Result<TuneRun, DriveError> {
    let roles = plan.roles(opts)?;
    let knobs = &plan.tuner.params().knobs;
    let mut opts = opts.clone();
    opts.extra_params = knobs
        .iter()
        .zip(&roles)
        .filter(|(_, r)| **r != Role::Param)
        .map(|(k, _)| k.name.clone())
        .collect();
    let p = plan.tuner.params();
    let mut session = opts.open(&plan.scenario, &plan.slos, p.max_runs, plan.duration)?;
    session.note(&format!(
        "tuning {} for the cheapest configuration meeting the SLOs at {} req/s: cost {}, strategy {}, at most {} runs",
        names(knobs),
        trim(plan.rate),
        p.cost,
        p.strategy,
        p.max_runs
    ));
    let mut probe = RealProbe {
        session: &mut session,
        plan,
        roles: &roles,
        opts: &opts,
    };
    let report = plan.tuner.run(&mut probe);
    let done = session.finish();
    let (_, target) = opts.described();
    let file = perf_core::results::layout::tune_json(&done.dir);
    let body = TuneFile {
        version: TuneFile::VERSION,
        scenario: plan.scenario.name.to_string(),
        rate: plan.rate,
        slos: plan.slos.iter().map(ToString::to_string).collect(),
        params: serde_json::to_value(&plan.params).expect("parameters serialize"),
        target,
        tune: report,
    };
    let json = serde_json::to_string_pretty(&body).expect("tune report serializes");
    perf_core::atomic::write(&file, (json + "\n").as_bytes()).map_err(|source| {
        DriveError::TuneFile {
            path: file.clone(),
            source,
        }
    })?;
    Ok(TuneRun {
        report: body.tune,
        interrupted: done.interrupted,
        dir: done.dir,
        file,
    })
}

/// One configuration, applied and measured.
struct RealProbe<'a> {
    session: &'a mut Session,
    plan: &'a TunePlan,
    roles: &'a [Role],
    opts: &'a ExecOpts,
}

/// Why a configuration could not be applied or measured.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The `--apply` command failed.
    #[error("--apply '{command}' {why}")]
    Command {
        /// As run.
        command: String,
        /// Its status and the last line it wrote to stderr.
        why: String,
    },
    /// The site, the session or the point.
    #[error(transparent)]
    Drive(Box<DriveError>),
    /// A signal arrived before the point.
    #[error("interrupted by signal {0}")]
    Interrupted(i32),
}

impl RealProbe<'_> {
    fn apply(&mut self, knobs: &[Knob], values: &[f64]) -> Result<(), ApplyError> {
        let drive = |e: DriveError| ApplyError::Drive(Box::new(e));
        // The embedded site starts again only when a knob is one of its options.
        let site_knob = self.roles.iter().any(|r| matches!(r, Role::Site(_)));
        if let (TargetChoice::Embedded(base), true) = (&self.opts.target, site_knob) {
            let mut site = base.clone();
            for ((k, v), role) in knobs.iter().zip(values).zip(self.roles) {
                if let Role::Site(option) = role {
                    site = site
                        .set(option, &k.show(*v))
                        .map_err(|e| drive(DriveError::Tune(format!("--knob {}: {e}", k.name))))?;
                }
            }
            let target = self
                .opts
                .with_target(TargetChoice::Embedded(site))
                .target()
                .map_err(drive)?;
            self.session
                .retarget(target)
                .map_err(|e| drive(DriveError::Session(e)))?;
        }
        let Some(apply) = &self.plan.apply else {
            return Ok(());
        };
        let mut command = apply.command.clone();
        for (k, v) in knobs.iter().zip(values) {
            command = command.replace(&format!("{{{}}}", k.name), &k.show(*v));
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(&command)
            .output()
            .map_err(|e| ApplyError::Command {
                command: command.clone(),
                why: format!("could not start: {e}"),
            })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            return Err(ApplyError::Command {
                command,
                why: format!(
                    "failed ({}){}",
                    out.status,
                    last.map_or(String::new(), |l| format!(": {}", l.trim()))
                ),
            });
        }
        self.session.note(&format!("applied: {command}"));
        let until = Instant::now() + apply.settle;
        while Instant::now() < until {
            if let Some(sig) = perf_core::engine::signals::received() {
                return Err(ApplyError::Interrupted(sig));
            }
            std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
        }
        Ok(())
    }
}

impl TuneProbe for RealProbe<'_> {
    type Error = ApplyError;

    fn measure(
        &mut self,
        _index: usize,
        knobs: &[Knob],
        values: &[f64],
    ) -> Result<ProbeOutcome, ApplyError> {
        if let Some(sig) = self.session.interrupted() {
            return Err(ApplyError::Interrupted(sig));
        }
        self.apply(knobs, values)?;
        let mut params: Vec<(String, f64)> = self
            .plan
            .params
            .iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        for (k, v) in knobs.iter().zip(values) {
            params.retain(|(n, _)| *n != k.name);
            params.push((k.name.clone(), *v));
        }
        let point = LoadPoint {
            model: LoadModel::open(self.plan.rate, self.plan.max_users),
            duration: self.plan.duration,
            params: Params::from_values(params),
        };
        let o = self
            .session
            .run_point(&point)
            .map_err(|e| ApplyError::Drive(Box::new(DriveError::Session(e))))?;
        Ok(ProbeOutcome::from_point(
            self.plan.rate,
            &o.detail,
            &o.timeline,
            o.interrupted,
        ))
    }

    fn told(&mut self, index: usize, p: &TunePoint, knobs: &[Knob]) {
        self.session.note(&format!(
            "tune point {index} ({}): {} cost {} margin {}: {}{}",
            p.rule,
            setting(knobs, &p.values),
            trim(p.cost),
            p.margin.map_or("-".into(), |m| format!("{m:+.3}")),
            slo_values(p),
            if p.generator_saturated {
                " (generator saturated: not evidence)"
            } else {
                ""
            }
        ));
    }
}
