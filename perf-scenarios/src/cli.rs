//! The command line (clap). Its doc comments are the `--help` text, which writes
//! placeholders as `<run-id>` and addresses as they are typed: rustdoc's checks for HTML
//! tags and bare links do not apply to it.
#![allow(rustdoc::invalid_html_tags, rustdoc::bare_urls)]

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::site_args::SiteArgs;
use crate::values::{self, Counts, Rates};

const EXAMPLES: &str = "Examples:
  perf-scenarios                                   # the main job: embedded site, sweep across its capacity
  perf-scenarios list
  perf-scenarios run api --rate 200 --duration 20s --slo \"p95<50ms,error-rate<1%\"
  perf-scenarios sweep api --rate 100,200,400 --dashboard        # live page on http://127.0.0.1:5665/
  perf-scenarios run checkout --users 20 --think 500ms --param items=3
  perf-scenarios sweep api --rate 100,200,400,800 --param size=1k,64k --site-workers 4 --site-service-time-ms 10
  perf-scenarios run browse --rate 50 --host http://127.0.0.1:8080
  perf-scenarios browser checkout --iterations 3
  perf-scenarios run checkout --rate 20 --browser-users 2
  perf-scenarios search api --slo \"p95<30ms,error-rate<1%\" --range 50..5000 --site-workers 4 --site-service-time-ms 10
  perf-scenarios gate api --baseline scenarios/baselines/api.json
  perf-scenarios gate api --reference-site \"\" --site-service-time-ms 6 --threshold 5%
  perf-scenarios gate api --breaking-point --baseline bp.json --save-baseline --range 50..5000
  perf-scenarios compare results/A results/B
  perf-scenarios run api --rate 4000 --segment 0/4 --start-at 2026-11-29T20:00:00Z --host http://10.0.0.5:8080
  perf-scenarios merge results/seg0/* results/seg1/* results/seg2/* results/seg3/* --out results/merged
  perf-scenarios k8s api --segments 4 --image registry.example/perf-scenarios:1 -- --rate 4000 --duration 1m --host http://web.shop:8080
  perf-scenarios bench-gate --baseline main
  perf-scenarios report results/20261123-101500-api --growth 5%/week --current 300rps
  perf-scenarios plan --traffic scenarios/traffic/melbourne-pedestrians-2023-04.csv --model models/api/v1.json --scale 300 --replicas 2 --replica-cost 0.096/h

Exit codes: 0 success, 1 runtime failure, 2 bad usage or input, 99 an SLO or gate failed,
130/143 interrupted by SIGINT/SIGTERM (everything measured so far is written).";

/// Load tests written in Rust, driven by Goose, against a bundled dummy site or any host.
#[derive(Debug, Parser)]
#[command(name = "perf-scenarios", version, allow_negative_numbers = true, after_help = EXAMPLES)]
pub struct Cli {
    /// Without a command: the main job (embedded site, a sweep of `api` across its capacity).
    #[command(subcommand)]
    pub command: Option<Cmd>,
    /// The main job: serve a live dashboard on ADDR [default: 127.0.0.1:5665] (the
    /// commands that run load take their own --dashboard).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = crate::dashboard::DEFAULT_ADDR, value_parser = values::dashboard_addr)]
    pub dashboard: Option<std::net::SocketAddr>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List the scenarios with their parameters, defaults and SLOs.
    List,
    /// Run one load point.
    #[command(allow_negative_numbers = true)]
    Run(RunArgs),
    /// Run a grid of load points one after another (rates or user counts × parameter values).
    #[command(allow_negative_numbers = true)]
    Sweep(SweepArgs),
    /// Fit latency and failure models to results directories; writes models/<scenario>/v<N>.json.
    Fit(FitArgs),
    /// Predict p50/p95/p99 latency and failure probability at a load, with intervals.
    #[command(allow_negative_numbers = true)]
    Predict(PredictArgs),
    /// Fit the Universal Scalability Law to a CSV of concurrency and throughput.
    Usl(UslArgs),
    /// Run a scenario's browser steps in headless Chromium (no protocol load) and print
    /// the page timings; writes browser.csv.
    Browser(BrowserArgs),
    /// Find the highest arrival rate meeting the SLOs in as few load runs as possible
    /// (Gaussian-process search; bisect and ramp for comparison).
    #[command(allow_negative_numbers = true)]
    Search(SearchArgs),
    /// CI gate: run the scenario's gate profile and compare it with a baseline; exit 0
    /// when it passes, 99 on a regression (`--save-baseline` writes the baseline instead).
    #[command(allow_negative_numbers = true)]
    Gate(GateArgs),
    /// Compare runs with the gate's statistics: A's results directories are the
    /// reference, B's are judged (each a comma-separated list, one directory per run).
    #[command(allow_negative_numbers = true)]
    Compare(CompareArgs),
    /// Compare criterion's latest estimates with a saved criterion baseline; exit 99 on a
    /// slowdown beyond the threshold.
    #[command(allow_negative_numbers = true)]
    BenchGate(BenchGateArgs),
    /// Merge the results directories of one test's execution segments (`run` or `sweep`
    /// with --segment I/N in each) into the test's: counts summed, latency histograms
    /// merged, SLOs judged on the merged data.
    Merge(MergeArgs),
    /// Print the Kubernetes objects (YAML) that run a test as N execution segments: an
    /// Indexed Job of generator pods starting together, a merge Job, and a results volume.
    K8s(K8sArgs),
    /// Analyse a results directory (anomalies, drift, capacity, bottlenecks, insights) and
    /// write report.html (self-contained, with charts) and report.json into it.
    Report(ReportArgs),
    /// A capacity plan: forecast a traffic series (MSTL + ETS, backtested against
    /// seasonal-naive), replicas per step at a model's capacity at the SLO, a scaling
    /// schedule and its cost, and the days until today's replicas run out.
    Plan(PlanArgs),
    /// Auto-tune: the cheapest configuration of knobs (site options, scenario parameters,
    /// or names an --apply command sets) meeting the SLOs at a rate, by constrained
    /// Bayesian optimization (egobox-ego) over real load runs; grid and random for
    /// comparison. Writes tune.json beside runs.csv.
    #[command(allow_negative_numbers = true)]
    Tune(TuneArgs),
}

/// `tune`.
#[derive(Debug, Args)]
pub struct TuneArgs {
    /// Scenario name (see `list`).
    pub scenario: String,
    /// The arrival rate the configuration must carry, req/s.
    #[arg(long, value_parser = values::positive_rate)]
    pub rate: f64,
    /// A knob and its range, `NAME=LO..HI[:int][:log]` (repeatable): an embedded-site
    /// option (`site-workers=1..64:int`), a scenario parameter, or a `{NAME}` of --apply.
    #[arg(long = "knob", required = true, value_name = "NAME=LO..HI[:int][:log]")]
    pub knobs: Vec<String>,
    /// The cost to minimise, an expression over the knobs:
    /// `site-workers * 0.05 + site-queue * 0.001`.
    #[arg(long, value_name = "EXPR")]
    pub cost: String,
    /// How configurations are chosen: ego, or grid and random for comparison.
    #[arg(long, default_value = "ego", value_parser = |s: &str| s.parse::<perf_ml::tune::Strategy>())]
    pub strategy: perf_ml::tune::Strategy,
    /// Most load runs.
    #[arg(long, default_value_t = 20)]
    pub max_runs: usize,
    /// EGO stops when no configuration 1% cheaper than the best found has more than
    /// this chance of meeting the SLOs: 5% or 0.05.
    #[arg(long, value_parser = values::tolerance, default_value = "5%")]
    pub stop_chance: f64,
    /// A shell command that applies a configuration to the target before each point,
    /// with `{NAME}` for each knob's value: `kubectl scale deploy/web --replicas={replicas}`.
    #[arg(long, value_name = "COMMAND")]
    pub apply: Option<String>,
    /// How long the target is given after --apply succeeds.
    #[arg(long, value_parser = values::any_duration)]
    pub settle: Option<Duration>,
    /// Parameter value, `name=value` (repeatable), fixed for every point.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `plan`. Each option but the first three is also `report --plugin-param
/// capacity_plan.KEY=VALUE` (KEY with `_` for `-`).
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The traffic: CSV `timestamp,rps` (RFC 3339, `YYYY-MM-DD HH:MM:SS` UTC or Unix
    /// seconds) or a Prometheus `query_range` JSON response, at any regular step.
    #[arg(long, value_name = "FILE")]
    pub traffic: std::path::PathBuf,
    /// A model file written by `fit` (an arrival-rate model): one replica's capacity.
    #[arg(long, value_name = "FILE")]
    pub model: std::path::PathBuf,
    /// The SLO to plan for [default: the model's scenario's].
    #[arg(long)]
    pub slo: Option<String>,
    /// How far ahead to forecast [default: 14d].
    #[arg(long, value_name = "DURATION")]
    pub horizon: Option<String>,
    /// The forecast band's level, and the risk threshold [default: 90%].
    #[arg(long, value_name = "LEVEL")]
    pub confidence: Option<String>,
    /// A replica's cost: 0.096/h, 2.3/day, 70/month.
    #[arg(long, value_name = "COST", allow_hyphen_values = true)]
    pub replica_cost: Option<String>,
    /// The fewest replicas at any time [default: 1].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub min_replicas: Option<String>,
    /// How long before the need replicas are added [default: 10m].
    #[arg(long, value_name = "DURATION")]
    pub scale_lead: Option<String>,
    /// How long after the need replicas are removed [default: 15m].
    #[arg(long, value_name = "DURATION")]
    pub cooldown: Option<String>,
    /// Today's replicas: the days until they run out, and their hours at risk.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub replicas: Option<String>,
    /// The seasons: 1d,7d [default: detected].
    #[arg(long, value_name = "PERIODS")]
    pub season: Option<String>,
    /// Multiplies the traffic: what if it were twice as high [default: 1].
    #[arg(long, value_name = "FACTOR", allow_hyphen_values = true)]
    pub scale: Option<String>,
    /// Days to exhaustion that make P1 and P2 [default: 7,30].
    #[arg(long, value_name = "P1,P2")]
    pub alert_days: Option<String>,
    /// The forecast: mstl-ets or seasonal-naive [default: the better in the backtest].
    #[arg(long)]
    pub method: Option<String>,
    /// Print the plan as JSON (for machines) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `k8s`.
#[derive(Debug, Args)]
pub struct K8sArgs {
    /// Scenario name (see `list`).
    pub scenario: String,
    /// Generator pods, each running one execution segment (1/N of the load).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub segments: u32,
    /// The container image with perf-scenarios on its PATH (the repository's Dockerfile
    /// builds it).
    #[arg(long)]
    pub image: String,
    /// An existing ReadWriteMany PersistentVolumeClaim for the results [default: one
    /// named <name>-results is created].
    #[arg(long, value_name = "NAME")]
    pub results_pvc: Option<String>,
    /// Namespace of the objects.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// Name of the generators' Job, prefix of the others [default: perf-<scenario>].
    #[arg(long)]
    pub name: Option<String>,
    /// The common start of the first point, RFC 3339 [default: --start-in from now].
    #[arg(long, value_name = "TIME", value_parser = values::start_at)]
    pub start_at: Option<perf_core::segment::StartAt>,
    /// Without --start-at: how long after printing the manifest the test starts (time to
    /// apply it and for the pods to be scheduled and pull the image).
    #[arg(long, value_parser = values::positive_duration, default_value = "2m")]
    pub start_in: Duration,
    /// The run options are `sweep`'s (each pod runs the sweep's share).
    #[arg(long)]
    pub sweep: bool,
    /// Where the pods mount the results volume.
    #[arg(long, value_name = "PATH", default_value = "/results")]
    pub mount: String,
    /// CPU each generator pod requests (a generator needs a core to itself).
    #[arg(long, default_value = "1")]
    pub cpu: String,
    /// Memory each pod requests.
    #[arg(long, default_value = "512Mi")]
    pub memory: String,
    /// Size of the results volume the manifest creates.
    #[arg(long, default_value = "1Gi")]
    pub storage: String,
    /// The options of `run` (or `sweep`) after `--`, as each pod runs them:
    /// -- --rate 4000 --duration 1m --host http://web.shop:8080
    #[arg(last = true, value_name = "RUN_OPTIONS")]
    pub options: Vec<String>,
}

/// `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The segments' results directories (results/<run-id>), one per segment, any order.
    #[arg(required = true, value_name = "RESULTS_DIR")]
    pub dirs: Vec<PathBuf>,
    /// The merged results directory to write (must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The results directory (results/<run-id>).
    #[arg(value_name = "RESULTS_DIR")]
    pub dir: PathBuf,
    /// Where `fit` wrote the models.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    /// Earlier results directories to test latency drift against, one per run (repeat;
    /// at least 3 for a verdict).
    #[arg(long, value_name = "DIR")]
    pub history: Vec<PathBuf>,
    /// A search.json for the breaking point [default: the directory's own].
    #[arg(long, value_name = "FILE")]
    pub search: Option<PathBuf>,
    /// Today's traffic, for the date the SLO breaks: 300rps.
    #[arg(long, value_parser = perf_ml::analyze::capacity::parse_rate, value_name = "RATE")]
    pub current: Option<f64>,
    /// Traffic growth: 5%/week, 1%/day, 10%/month.
    #[arg(long, value_parser = perf_ml::analyze::capacity::parse_growth, value_name = "RATE", allow_hyphen_values = true)]
    pub growth: Option<f64>,
    /// A rate to size replicas for: 1000rps.
    #[arg(long, value_parser = perf_ml::analyze::capacity::parse_rate, value_name = "RATE")]
    pub target_rate: Option<f64>,
    /// Production traffic (as `plan --traffic` takes it): adds the capacity plan section;
    /// its options are --plugin-param capacity_plan.KEY=VALUE (replicas=3, horizon=7d...).
    #[arg(long, value_name = "FILE")]
    pub traffic: Option<PathBuf>,
    /// Seed of the permutation importance and k-means.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A report plugin's parameter, PLUGIN.KEY=VALUE (repeat): apdex.threshold=300ms.
    /// `perf-scenarios list` shows the plugins and their parameters.
    #[arg(long, value_name = "PLUGIN.KEY=VALUE")]
    pub plugin_param: Vec<String>,
}

/// The gate's statistics.
#[derive(Debug, Args)]
pub struct GateStats {
    /// A latency change fails only when larger than this (relative): 10% or 0.1
    /// [default: 10%]. Not with --breaking-point (its threshold is --capacity-threshold).
    #[arg(long, value_parser = values::tolerance, allow_hyphen_values = true)]
    pub threshold: Option<f64>,
    /// Family-wise significance level of the primary comparisons (Holm's adjustment
    /// over exact Mann-Whitney U on run values and Fisher's exact test on failures).
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Smallest rise in error rate that fails: 0.5% or 0.005 [default: 0.5%].
    #[arg(long, value_parser = values::tolerance, allow_hyphen_values = true)]
    pub min_error_rise: Option<f64>,
    /// Which comparisons decide the gate: `aggregate` (p50, p95 and error rate of ALL at
    /// each point; the per-endpoint rows are reported as secondary) or `all`
    /// [default: aggregate].
    #[arg(long, value_parser = values::primary)]
    pub primary: Option<perf_ml::gate::Primary>,
    /// Seed of the bootstrap intervals [default: 1].
    #[arg(long)]
    pub bootstrap_seed: Option<u64>,
}

/// `gate`.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// Scenario name (see `list`).
    pub scenario: String,
    /// The baseline file, such as scenarios/baselines/api.json.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present_any = ["reference_host", "reference_site"],
        conflicts_with_all = ["reference_host", "reference_site"]
    )]
    pub baseline: Option<PathBuf>,
    /// Write the baseline from these runs (no comparison).
    #[arg(long, conflicts_with_all = ["reference_host", "reference_site"])]
    pub save_baseline: bool,
    /// A/B on this machine: the reference server, run interleaved with the judged one
    /// (`--host`, or the embedded site) instead of a baseline file.
    #[arg(long, value_name = "URL", conflicts_with = "reference_site")]
    pub reference_host: Option<String>,
    /// A/B on this machine: the reference is the embedded dummy site with these of its
    /// options (as `dummy-site` takes them, such as "--service-time-ms 5"; "" for its
    /// defaults), run interleaved with the judged site (`--site-*`).
    #[arg(long, value_name = "OPTIONS", allow_hyphen_values = true)]
    pub reference_site: Option<String>,
    /// Gate the breaking point instead of latency: a search warm-started from the
    /// baseline's breaking point (`--save-baseline`: a cold search over `--range`), failing
    /// when the capacity at the SLOs fell by more than `--capacity-threshold`.
    #[arg(long, conflicts_with_all = ["reference_host", "reference_site"])]
    pub breaking_point: bool,
    /// With --breaking-point --save-baseline: the range of the baseline's search, req/s.
    #[arg(long, value_parser = values::range, default_value = "10..5000", value_name = "LOW..HIGH", allow_hyphen_values = true, requires_all = ["breaking_point", "save_baseline"])]
    pub range: (f64, f64),
    /// With --breaking-point: a drop of the breaking point larger than this fails (at the
    /// confidence 1 − --alpha): 5% or 0.05.
    #[arg(long, value_parser = values::tolerance, default_value = "5%", allow_hyphen_values = true, requires = "breaking_point")]
    pub capacity_threshold: f64,
    /// Runs of the gate profile: each run is one sample of the comparison (3 to 100).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(3..=100), conflicts_with = "breaking_point")]
    pub repeat: u32,
    /// Judge these results directories (comma-separated, one per run) as the gate's runs
    /// instead of running load (with --save-baseline: write the baseline from them): the
    /// runs of a segmented gate, each merged from its segments with `merge`.
    #[arg(long, value_name = "DIR,...", value_delimiter = ',', conflicts_with_all = ["reference_host", "reference_site", "breaking_point", "segment", "segments", "start_at"])]
    pub merged_runs: Vec<PathBuf>,
    /// Compare with a baseline taken in another environment (cores, processor, tool or
    /// Goose version, operating system, target settings) instead of refusing it.
    #[arg(long)]
    pub allow_env_change: bool,
    #[command(flatten)]
    pub stats: GateStats,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The reference results directories, comma-separated: one per run.
    #[arg(value_delimiter = ',', required = true, num_args = 1)]
    pub a: Vec<PathBuf>,
    /// The results directories judged against them, comma-separated: one per run.
    #[arg(value_delimiter = ',', required = true, num_args = 1)]
    pub b: Vec<PathBuf>,
    /// Also write the findings as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub stats: GateStats,
}

/// `bench-gate`.
#[derive(Debug, Args)]
pub struct BenchGateArgs {
    /// The criterion baseline saved with `cargo bench -p benches -- --save-baseline NAME`.
    #[arg(long, value_name = "NAME")]
    pub baseline: String,
    /// criterion's output folder.
    #[arg(long, value_name = "DIR", default_value = "target/criterion")]
    pub criterion_dir: PathBuf,
    /// Slowdown of the median that fails (when the two intervals do not overlap): 10% or 0.1.
    #[arg(long, value_parser = values::tolerance, default_value = "10%", allow_hyphen_values = true)]
    pub threshold: f64,
}

/// `browser`.
#[derive(Debug, Args)]
pub struct BrowserArgs {
    /// Scenario name (see `list`); it must have browser steps.
    pub scenario: String,
    /// Journeys per browser user.
    #[arg(long, value_parser = values::positive_count, default_value_t = 3)]
    pub iterations: usize,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Scenario name (see `list`).
    pub scenario: String,
    /// Arrival rates to search, req/s: LOW..HIGH.
    #[arg(long, value_parser = values::range, default_value = "10..5000", value_name = "LOW..HIGH", allow_hyphen_values = true, requires_all = ["breaking_point", "save_baseline"])]
    pub range: (f64, f64),
    /// Stop when the 90% interval is within ± this of the breaking point: 5% or 0.05.
    #[arg(long, value_parser = values::tolerance, default_value = "5%", allow_hyphen_values = true)]
    pub tolerance: f64,
    /// Most load points to run.
    #[arg(long, default_value_t = 12)]
    pub max_runs: usize,
    /// How the next rate is chosen: gp, bisect or ramp.
    #[arg(long, value_parser = values::strategy, default_value = "gp")]
    pub strategy: perf_ml::search::Strategy,
    /// Run-to-run noise of a point's SLO margin (the GP's nugget), such as 0.1 for ~10%;
    /// by default each point measures its own (per-second variation, failure counts).
    #[arg(long)]
    pub noise: Option<f64>,
    /// Parameter value, `name=value` (repeatable), fixed for every point.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Warm start from earlier evidence about the same scenario: a results directory
    /// (its points judged under these SLOs), its search.json, or a model file from `fit`
    /// (its capacity at the SLOs). The search measures around the breaking point it
    /// gives and says when the target disagrees.
    #[arg(long, value_name = "RESULTS_DIR|SEARCH_JSON|MODEL")]
    pub prior: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Results directories (results/<run-id>), one or more.
    #[arg(required = true, value_name = "RESULTS_DIR")]
    pub dirs: Vec<PathBuf>,
    /// The scenario to fit, when the results hold several.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Where model files are written.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    /// Seed of the random forest and the bootstrap.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model file written by `fit`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Offered load in requests per second (a model of open-model data).
    #[arg(long, value_parser = values::positive_rate, required_unless_present = "users", conflicts_with = "users")]
    pub rate: Option<f64>,
    /// Concurrent users (a model of closed-model data, `--users` sweeps).
    #[arg(long, value_parser = values::positive_count)]
    pub users: Option<usize>,
    /// Parameter value, `name=value` (repeatable); others take the training data's.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

/// `usl`.
#[derive(Debug, Args)]
pub struct UslArgs {
    /// CSV with two columns, concurrency and throughput (a header line is allowed).
    pub file: PathBuf,
    /// Seed of the bootstrap intervals.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario name (see `list`).
    pub scenario: String,
    /// Open model: arrival rate in requests per second [default: the scenario's].
    #[arg(long, value_parser = values::positive_rate, conflicts_with = "users")]
    pub rate: Option<f64>,
    /// Closed model: this many users looping.
    #[arg(long, value_parser = values::positive_count)]
    pub users: Option<usize>,
    /// Parameter value, `name=value` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario name (see `list`).
    pub scenario: String,
    /// Open model: comma-separated arrival rates, such as 50,100,200,400.
    #[arg(long, value_parser = values::rate_list, conflicts_with = "users")]
    pub rate: Option<Rates>,
    /// Closed model: comma-separated user counts, such as 1,2,4,8.
    #[arg(long, value_parser = values::count_list)]
    pub users: Option<Counts>,
    /// Parameter values, `name=v1,v2` (repeatable; the grid is every combination).
    #[arg(long = "param", value_name = "NAME=V1,V2")]
    pub params: Vec<String>,
    /// Stop the sweep after a point whose error rate is above this (0.5 or 50%).
    #[arg(long, value_parser = dummy_site::fraction, value_name = "P")]
    pub stop_on_error_rate: Option<f64>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options of `run` and `sweep`.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Length of each measured point: 30s, 2m, 1m30s [default: the scenario's; 15s for
    /// `search`].
    #[arg(long, alias = "point-duration", value_parser = values::positive_duration)]
    pub duration: Option<Duration>,
    /// SLOs judged on each point, such as "p95<200ms,error-rate<1%" [default: the
    /// scenario's; "" for none].
    #[arg(long)]
    pub slo: Option<String>,
    /// Target base URL; without it the dummy site is started in-process on a free
    /// loopback port.
    #[arg(long, value_name = "URL")]
    pub host: Option<String>,
    /// Where result directories are written.
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub out: PathBuf,
    /// Open model: most concurrent users [default: 2 s worth of the rate, 10 to 5000].
    #[arg(long, value_parser = values::positive_count)]
    pub max_users: Option<usize>,
    /// Closed model: pause after each transaction, such as 500ms.
    #[arg(long, value_parser = values::any_duration, default_value = "0s")]
    pub think: Duration,
    /// Closed model: time to start all users.
    #[arg(long, value_parser = values::any_duration, default_value = "0s")]
    pub ramp_up: Duration,
    /// Per-request timeout.
    #[arg(long, value_parser = values::positive_duration, default_value = "10s")]
    pub timeout: Duration,
    /// Time requests still in flight when a point's window ends get to finish; those
    /// still running then count as failed ("unfinished") with the time they waited (as
    /// k6's gracefulStop). At most 10m.
    #[arg(long, value_parser = values::grace_duration, default_value = "5s")]
    pub grace: Duration,
    /// Seed of the scenarios' random draws.
    #[arg(
        long = "seed",
        id = "scenario_seed",
        value_name = "N",
        default_value_t = 1
    )]
    pub seed: u64,
    /// A local target's process id, to sample its CPU and memory.
    #[arg(long, value_name = "PID")]
    pub target_pid: Option<u32>,
    /// Also write Goose's own HTML report for each point (turns Goose's metrics on).
    #[arg(long)]
    pub goose_report: bool,
    /// Browser users running the scenario's browser steps in headless Chromium during
    /// each point (`browser`: at once) [default: 0; 1 for `browser`].
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u16).range(0..=64))]
    pub browser_users: Option<u16>,
    /// A running WebDriver server for the browser users; without it chromedriver is
    /// started from PATH.
    #[arg(long, value_name = "URL", value_parser = values::webdriver_url)]
    pub webdriver: Option<String>,
    /// How long a browser step may wait for a page or an element.
    #[arg(long, value_parser = values::positive_duration, default_value = "10s")]
    pub browser_step_timeout: Duration,
    /// `run`, `sweep`, `gate --baseline`: run execution segment I of N of the test (0/4 to 3/4): every
    /// N-th start of the open model's schedule, every N-th user of the closed model, a
    /// seed of its own. `merge` combines the N results directories into the test's.
    #[arg(long, value_name = "I/N", value_parser = values::segment, conflicts_with = "segments")]
    pub segment: Option<perf_core::segment::Segment>,
    /// `run`, `sweep`, `gate --baseline`: run segment $JOB_COMPLETION_INDEX of N (the pod index of a
    /// Kubernetes Indexed Job; `perf-scenarios k8s` writes such a Job).
    #[arg(long, value_name = "N")]
    pub segments: Option<u32>,
    /// `run`, `sweep`, `gate --baseline`: start the first point's schedule at this RFC 3339 time
    /// (2026-11-29T20:00:00Z), each later point at a fixed slot after it (duration +
    /// grace + 5 s), so segments on several machines stay aligned.
    #[arg(long, value_name = "TIME", value_parser = values::start_at)]
    pub start_at: Option<perf_core::segment::StartAt>,
    /// Serve a live dashboard while the load runs, on ADDR [default: 127.0.0.1:5665]:
    /// per-second charts, SLOs, finished points, a search's model, and a stop button.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = crate::dashboard::DEFAULT_ADDR, value_parser = values::dashboard_addr)]
    pub dashboard: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub site: SiteArgs,
}
