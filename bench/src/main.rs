//! `bench`: the benchmark of our chat server against the classic Node.js `ws` servers.
//!
//! Run it with `cargo xtask bench` (or `cargo run --release -p bench`; `--smoke` for the
//! quick CI check, which `cargo xtask bench --smoke` runs from a debug build). It builds
//! `chat-server` with its own profile (release to measure), installs the pinned `ws` for the peers
//! in `bench/peers/`, then runs every scenario against both servers on the same load, the
//! server pinned to one core and the load generator to the other, and writes
//! `docs/benchmarks.md` (between its result markers) with plots in `docs/bench/`.
//!
//! The parts:
//!
//! - [`scenario`]: what is measured, one module per scenario;
//! - [`results`]: the figures the scenarios fill in, which the report and plots read;
//! - [`servers`]: starting and watching the servers under test, one or several nodes of ours
//!   sharing PostgreSQL and Redis (the scale-out scenario);
//! - [`pool`]: the coordinator's handle on the worker processes;
//! - [`worker`]: a worker process, holding client connections;
//! - [`wire`]: what coordinator and workers say to each other;
//! - [`frames`]: the text clients send and the little they parse;
//! - [`proc`]: CPU time and memory from `/proc`, and the machine;
//! - [`pauses`]: how much of each core a busy loop does not get, before and after the run;
//! - [`report`] and [`plot`]: the Markdown report and its PNG plots;
//! - [`progress`]: the progress lines on the console.

mod frames;
mod pauses;
mod plot;
mod pool;
mod proc;
mod progress;
mod report;
mod results;
mod scenario;
mod servers;
mod wire;
mod worker;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use testkit::Unreachable;

use crate::proc::{Busy, Machine};
use crate::progress::say;
use crate::results::{Ran, Results};
use crate::scenario::{Env, Scale};
use crate::servers::{Kind, Setup};

/// Benchmark of the chat server against the classic Node.js ws servers.
#[derive(Debug, Parser)]
#[command(name = "bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    options: Options,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Internal: a load-generator process, driven over stdin/stdout.
    #[command(hide = true)]
    Worker,
    /// Internal: the pause probe of one core (see `pauses`), pinned by its caller.
    #[command(hide = true)]
    Pauses {
        #[arg(long)]
        secs: f64,
    },
}

#[derive(Debug, clap::Args)]
struct Options {
    /// Tiny sizes and a few seconds per scenario; checks every code path, writes no figures.
    /// Fails when the scale-out scenario is wanted and PostgreSQL or Redis is unreachable (as
    /// any run does in CI, with `CI` set); other runs skip that scenario, loudly.
    #[arg(long)]
    smoke: bool,
    /// Run only these scenarios (comma-separated); the report is written only for a full run.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Which>,
    /// The report to update (between its result markers).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The chat-server binary (default: beside this one, built first with the same profile).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Do not run `cargo build --release -p backend` first.
    #[arg(long)]
    no_build: bool,
    /// Run our server only, not the Node.js and Bun peers (which then need not be installed):
    /// for profiling ours; the report is not written.
    #[arg(long)]
    ours_only: bool,
    /// The core the server under test is pinned to.
    #[arg(long, default_value_t = 0)]
    server_core: usize,
    /// The core the load generator is pinned to.
    #[arg(long, default_value_t = 1)]
    client_core: usize,
    /// Wait up to this many seconds for the machine to be quiet (no rustc, load below 1).
    #[arg(long, default_value_t = 0)]
    wait_quiet: u64,
    /// `--queue-frames` for our server.
    #[arg(long, default_value_t = 4096)]
    queue_frames: usize,
    /// Connections of the idle-memory scenario (default 10,000; 50 with --smoke).
    #[arg(long)]
    idle_connections: Option<usize>,
    /// Connections of the idle-memory scenario's second sample (default 19,000; 80 with
    /// --smoke; 0 for none): the difference says what one more connection costs.
    #[arg(long)]
    idle_more: Option<usize>,
    /// Offered deliveries per second of the fan-out steps (comma-separated), instead of the
    /// default ramp; handy to hold one load while profiling.
    #[arg(long, value_delimiter = ',')]
    fanout_rates: Vec<f64>,
    /// Offered messages per second of the private-message steps (comma-separated).
    #[arg(long, value_delimiter = ',')]
    private_rates: Vec<f64>,
    /// Seconds of sending per step (default 3; 0.6 with --smoke).
    #[arg(long)]
    step_secs: Option<f64>,
    /// Nodes of the scale-out scenario (default 3).
    #[arg(long)]
    scaleout_nodes: Option<usize>,
    /// Connections of the scale-out scenario, all nodes together (default 24,000; 60 with
    /// --smoke); a multiple of --scaleout-tabs × the workers.
    #[arg(long)]
    scaleout_connections: Option<usize>,
    /// Connections per user of the scale-out scenario (default 100; 1 pays for presence).
    #[arg(long)]
    scaleout_tabs: Option<usize>,
    /// Broadcasts per second of the scale-out steps, all senders together (comma-separated).
    #[arg(long, value_delimiter = ',')]
    scaleout_rates: Vec<f64>,
    /// Messages stored before the search scenario's searches (default 1,000,000; 2,000 with
    /// --smoke).
    #[arg(long)]
    search_messages: Option<usize>,
    /// Stored messages at which the growth scenario measures (comma-separated, rising;
    /// default 10,000, 100,000 and 1,000,000).
    #[arg(long, value_delimiter = ',')]
    growth_messages: Vec<u64>,
    /// Searches of each kind in the search scenario, one at a time (default 200; 10 with
    /// --smoke).
    #[arg(long)]
    search_queries: Option<usize>,
    /// Users of the reconnect storms, one storm per size (comma-separated; default
    /// 1000,5000,10000; 20,40 with --smoke).
    #[arg(long, value_delimiter = ',')]
    storm_sizes: Vec<usize>,
    /// With --only: put this run's figures into the existing `results.json` beside the report
    /// (the other scenarios keep theirs) and rewrite the report from both.
    #[arg(long, requires = "only", conflicts_with = "ours_only")]
    merge: bool,
    /// Run nothing: rewrite the report (and plots) from a `results.json` of an earlier run.
    #[arg(long, value_name = "RESULTS_JSON")]
    render: Option<PathBuf>,
}

/// The scenarios, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Fanout,
    Capacity,
    Idle,
    Private,
    Acks,
    Connect,
    Scaleout,
    Search,
    Stores,
    Signin,
    Growth,
    Storm,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Sub::Worker) => worker::main(),
        Some(Sub::Pauses { secs }) => pauses::run_loop(secs),
        None => coordinate(&cli.options),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (this crate's parent).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn coordinate(options: &Options) -> Result<()> {
    let began = Instant::now();
    let root = root();
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| root.join("docs").join("benchmarks.md"));
    if let Some(json) = &options.render {
        let text =
            std::fs::read_to_string(json).with_context(|| format!("reading {}", json.display()))?;
        let results: Results =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", json.display()))?;
        println!("{}", report::summary(&results));
        report::write(&results, &out)?;
        say(format!("report rewritten in {}", out.display()));
        return Ok(());
    }
    pin_self(options.client_core)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let wanted = |w: Which| options.only.is_empty() || options.only.contains(&w);
    // First, so that a run that may not skip the scale-out fails before the slow parts.
    let scaleout_skipped = if wanted(Which::Scaleout) || wanted(Which::Stores) {
        scaleout_skip(&runtime, options.smoke)?
    } else {
        None
    };
    let chat_server = match &options.server_bin {
        Some(path) => path.clone(),
        None => {
            let here = std::env::current_exe()?;
            let dir = here.parent().context("locating this binary's directory")?;
            if !options.no_build {
                build_backend(&root)?;
            }
            dir.join("chat-server")
        }
    };
    if !chat_server.is_file() {
        bail!(
            "{} not found: build it with `cargo build --release -p backend`",
            chat_server.display()
        );
    }
    let peers_dir = root.join("bench").join("peers");
    if !options.ours_only {
        install_peers(&peers_dir)?;
    }
    let busy_start = wait_quiet(Duration::from_secs(options.wait_quiet));
    let mut cores = vec![options.server_core, options.client_core];
    cores.dedup();
    let pause_secs = if options.smoke { 0.3 } else { 3.0 };
    let pauses_start = probe_pauses(&cores, pause_secs);
    let mut scale = if options.smoke {
        Scale::smoke()
    } else {
        Scale::full()
    };
    if let Some(n) = options.idle_connections {
        scale.idle_connections = n;
    }
    if let Some(n) = options.idle_more {
        scale.idle_more = (n > 0).then_some(n);
    }
    if !options.fanout_rates.is_empty() {
        scale.fanout_deliveries.clone_from(&options.fanout_rates);
    }
    if !options.private_rates.is_empty() {
        scale.private_rates.clone_from(&options.private_rates);
    }
    if let Some(secs) = options.step_secs {
        scale.step = Duration::from_secs_f64(secs);
    }
    if let Some(n) = options.scaleout_nodes {
        scale.scaleout_nodes = n;
    }
    if let Some(n) = options.scaleout_connections {
        scale.scaleout_connections = n;
    }
    if let Some(n) = options.scaleout_tabs {
        scale.scaleout_tabs = n;
    }
    if !options.scaleout_rates.is_empty() {
        scale.scaleout_messages.clone_from(&options.scaleout_rates);
    }
    if !options.growth_messages.is_empty() {
        scale.growth_messages.clone_from(&options.growth_messages);
    }
    if let Some(n) = options.search_messages {
        scale.search_messages = n;
    }
    if let Some(n) = options.search_queries {
        scale.search_queries = n;
    }
    if !options.storm_sizes.is_empty() {
        scale.storm_sizes.clone_from(&options.storm_sizes);
    }
    let env = Env {
        setup: Setup {
            chat_server,
            peers_dir: peers_dir.clone(),
            server_core: options.server_core,
            queue_frames: options.queue_frames,
        },
        client_core: options.client_core,
        scale,
        ours_only: options.ours_only,
    };
    let mut results = Results::new(
        Machine::describe(),
        (
            servers::ws_version(&peers_dir),
            servers::bun_version(&peers_dir),
        ),
        busy_start,
        options.smoke,
    );
    let mut search_failed = None;
    let mut signin_failed = None;
    let mut storm_failed = None;
    runtime.block_on(async {
        if wanted(Which::Search) {
            // Its figures are printed; docs/benchmarks.md quotes a run (see the scenario).
            match scenario::search::run(&env).await {
                Ok(figures) => {
                    for engine in figures {
                        println!("\n{}", engine.table());
                    }
                }
                Err(e) => {
                    say(format!("search failed: {e:#}"));
                    search_failed = Some(format!("search: {e:#}"));
                }
            }
        }
        if wanted(Which::Storm) {
            // Its figures are printed; docs/benchmarks.md quotes a run (see the scenario).
            let (figures, outcome) = scenario::storm::run(&env).await;
            if !figures.is_empty() {
                println!("\n{}", scenario::storm::table(&figures));
            }
            if let Err(e) = outcome {
                say(format!("storm failed: {e:#}"));
                storm_failed = Some(format!("storm: {e:#}"));
            }
        }
        if wanted(Which::Signin) {
            // Its figures are printed; docs/benchmarks.md quotes a run (see the scenario).
            match scenario::sign_in::run(&env).await {
                Ok(parts) => println!("\n{}", scenario::sign_in::table(&parts)),
                Err(e) => {
                    say(format!("sign-in failed: {e:#}"));
                    signin_failed = Some(format!("sign-in: {e:#}"));
                }
            }
        }
        if wanted(Which::Fanout) {
            results.fanout = scenario::each(&env, Kind::NodeBroadcast, scenario::fanout::run).await;
        }
        if wanted(Which::Capacity) {
            results.capacity =
                scenario::each(&env, Kind::NodeBroadcast, scenario::capacity::run).await;
        }
        if wanted(Which::Idle) {
            results.idle = scenario::each(&env, Kind::NodePrivate, scenario::idle::run).await;
        }
        if wanted(Which::Private) {
            results.private = scenario::each(&env, Kind::NodePrivate, scenario::private::run).await;
        }
        if wanted(Which::Acks) {
            results.acks = Some(
                scenario::acks::run(&env)
                    .await
                    .map_err(|e| format!("{e:#}")),
            );
        }
        if wanted(Which::Connect) {
            results.connect = scenario::each(&env, Kind::NodePrivate, scenario::connect::run).await;
        }
        if wanted(Which::Scaleout) {
            if let Some(down) = &scaleout_skipped {
                let reason = down.services.join("; ");
                say(format!("scale-out skipped: {reason}"));
                results.scaleout_skipped = Some(reason);
            } else {
                let outcome = scenario::scaleout::run(&env)
                    .await
                    .map_err(|e| format!("{e:#}"));
                if let Err(e) = &outcome {
                    say(format!("scale-out failed: {e}"));
                }
                results.scaleout = Some(outcome);
            }
        }
        if wanted(Which::Growth) {
            let outcome = scenario::growth::run(&env)
                .await
                .map_err(|e| format!("{e:#}"));
            if let Err(e) = &outcome {
                say(format!("growth failed: {e}"));
            }
            results.growth = Some(outcome);
        }
        if wanted(Which::Stores) && scaleout_skipped.is_none() {
            let outcome = scenario::stores::run(&env)
                .await
                .map_err(|e| format!("{e:#}"));
            if let Err(e) = &outcome {
                say(format!("durable sends on shared PostgreSQL failed: {e}"));
            }
            results.stores = Some(outcome);
        }
    });
    results.pauses_start = pauses_start;
    results.pauses_end = probe_pauses(&cores, pause_secs);
    results.finish(Busy::now(), began.elapsed());
    println!("\n{}", report::summary(&results));
    let mut failures = results.failures();
    failures.extend(search_failed);
    failures.extend(signin_failed);
    failures.extend(storm_failed);
    if options.merge && !options.smoke {
        let json = out
            .parent()
            .unwrap_or(Path::new("."))
            .join("bench")
            .join("results.json");
        let text = std::fs::read_to_string(&json)
            .with_context(|| format!("reading {} to merge into", json.display()))?;
        let mut merged: Results =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", json.display()))?;
        merged.merge(
            results,
            &Ran {
                fanout: wanted(Which::Fanout),
                capacity: wanted(Which::Capacity),
                idle: wanted(Which::Idle),
                private: wanted(Which::Private),
                acks: wanted(Which::Acks),
                connect: wanted(Which::Connect),
                scaleout: wanted(Which::Scaleout),
                stores: wanted(Which::Stores),
                growth: wanted(Which::Growth),
            },
        );
        report::write(&merged, &out)?;
        say(format!(
            "this run's scenarios merged into {} and {}",
            json.display(),
            out.display()
        ));
    } else if options.smoke || options.ours_only || !options.only.is_empty() {
        say("no figures written (smoke, ours only or partial run)");
    } else {
        report::write(&results, &out)?;
        say(format!("report written to {}", out.display()));
    }
    if let Some(down) = &scaleout_skipped {
        println!("\n{}", skip_banner(down));
    }
    if !failures.is_empty() {
        bail!("some scenarios failed:\n{}", failures.join("\n"));
    }
    Ok(())
}

/// Whether this runs in CI: `CI` set (and not empty, `0` or `false`), as CI services set it.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// Why the scale-out scenario is skipped, if it is: PostgreSQL or Redis unreachable. A smoke
/// run or a run in CI is there to prove every scenario still works, so there an unreachable
/// service fails the run instead; elsewhere the skip is said now and again, loudly, at the end.
fn scaleout_skip(runtime: &tokio::runtime::Runtime, smoke: bool) -> Result<Option<Unreachable>> {
    let Some(down) = runtime.block_on(servers::services_down()) else {
        return Ok(None);
    };
    if smoke || in_ci() {
        let why = match (smoke, in_ci()) {
            (true, true) => "a smoke run in CI",
            (true, false) => "a smoke run",
            _ => "a run in CI (CI is set)",
        };
        bail!(
            "the scale-out scenario needs PostgreSQL and Redis, and {why} may not skip it: \
             {down} (BENCH_DATABASE_URL and BENCH_REDIS_URL also say where they are; `--only` \
             without `scaleout` leaves the scenario out)"
        );
    }
    println!("{}", skip_banner(&down));
    Ok(Some(down))
}

/// The scale-out skip, framed so that it is not missed among the progress lines.
fn skip_banner(down: &Unreachable) -> String {
    let rule = "!".repeat(78);
    format!(
        "{rule}\n!! SCALE-OUT NOT MEASURED: the scenario was skipped.\n!! {down}\n!! (In CI or \
         with --smoke this fails the run.)\n{rule}"
    )
}

/// The pauses of each core, said and returned; none when the probe fails (the run goes on).
fn probe_pauses(cores: &[usize], secs: f64) -> Vec<pauses::Pauses> {
    match pauses::measure(cores, secs) {
        Ok(all) => {
            say(format!("pauses: {}", pauses::text(&all)));
            all
        }
        Err(e) => {
            say(format!("warning: the pause probe failed: {e:#}"));
            Vec::new()
        }
    }
}

/// Pins this process (and so the workers it starts) to the load-generator core.
fn pin_self(core: usize) -> Result<()> {
    let status = Command::new("taskset")
        .arg("-pc")
        .arg(core.to_string())
        .arg(std::process::id().to_string())
        .stdout(std::process::Stdio::null())
        .status()
        .context("running taskset (util-linux)")?;
    if !status.success() {
        bail!("taskset could not pin the load generator to core {core}");
    }
    Ok(())
}

/// Builds `chat-server` with this binary's own profile, so that it lands beside it: release
/// for measuring, debug for a smoke run built that way (as CI does, next to its test build).
fn build_backend(root: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args = vec!["build", "-p", "backend", "--bin", "chat-server"];
    if !cfg!(debug_assertions) {
        args.insert(1, "--release");
    }
    say(format!("building chat-server: cargo {}", args.join(" ")));
    let status = Command::new(cargo)
        .args(&args)
        .current_dir(root)
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("building chat-server failed");
    }
    Ok(())
}

/// Installs the pinned `ws` and Bun (package-lock.json) when either is missing.
fn install_peers(peers: &Path) -> Result<()> {
    if servers::peers_installed(peers) {
        return Ok(());
    }
    say("installing the peers' ws and Bun: npm ci");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(peers)
        .status()
        .context("running npm (is Node.js installed?)")?;
    if !status.success() {
        bail!("npm ci in {} failed", peers.display());
    }
    Ok(())
}

/// Waits up to `limit` for the machine to be quiet; returns how busy it is then.
fn wait_quiet(limit: Duration) -> Busy {
    let started = Instant::now();
    loop {
        let busy = Busy::now();
        if busy.is_quiet() || started.elapsed() >= limit {
            if !busy.is_quiet() {
                say(format!(
                    "warning: the machine is busy (load {:.2}, {} rustc processes): figures \
                     will be noisy",
                    busy.load_1m, busy.compilers
                ));
            }
            return busy;
        }
        say(format!(
            "waiting for quiet: load {:.2}, {} rustc processes",
            busy.load_1m, busy.compilers
        ));
        std::thread::sleep(Duration::from_secs(15));
    }
}
