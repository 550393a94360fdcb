//! The rate-limit governor, measured: a job of many updates against a
//! loopback server that enforces Katapult's fixed windows (a budget per
//! window, windows aligned to the server's clock, `Date` and
//! `X-Ratelimit-*` on every answer, 429 once the budget is spent), with the
//! governor on and off, from one client and from two client processes on
//! one token, with the server's clock on time or 30 s off.
//!
//! `cargo bench -p katapult-core --bench governor -- [OPTIONS]` runs every
//! scenario and prints one JSON object per run on stdout, a summary on
//! stderr, and renders the table (`support/governor_table.rs`) into the file
//! `KATAPULT_BENCH_OUT` names (`cargo xtask bench-report` sets it).
//! Options: `--window SECS` (2), `--budget N` (25), `--repeat N` (1),
//! `--only TEXT` (scenarios whose name contains it), `--out FILE` (also
//! write the JSON lines there).
//!
//! Every client is a process of its own (this binary, run as `client`),
//! so that "two processes" is literal and one client is measured the same
//! way. The clients use the client's defaults but for the window length:
//! default retry policy (5 attempts within 60 s, 429 backs off 2 s to 30 s).
//!
//! The minimum a job can take: the budget lets the last batch start no
//! earlier than the start of window k0 + ceil(N / P) - 1, where k0 is the
//! window the job started in; the minimum is the time from the start of
//! the job to that moment, by the server's clock. Wall time runs from the
//! job's start (before the client processes are spawned) to the last
//! result.

#[path = "support/governor_table.rs"]
mod governor_table;
#[path = "support/processes.rs"]
mod processes;
#[path = "support/report.rs"]
mod report;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
use katapult_core::{BulkOptions, Client, RetryPolicy};
use katapult_test_server::Server;
use katapult_test_server::windows::FixedWindows;
use serde_json::{Value, json};

/// One job: how many clients, each with how many updates in flight.
#[derive(Debug, Clone, Copy)]
struct Scenario {
    name: &'static str,
    clients: usize,
    in_flight: usize,
    /// Seconds the server's clock is ahead of the local one.
    skew: f64,
    /// Whether the clients share a rate-limit pool file.
    pool: bool,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "one client, 16 in flight",
        clients: 1,
        in_flight: 16,
        skew: 0.0,
        pool: false,
    },
    Scenario {
        name: "one client, 64 in flight",
        clients: 1,
        in_flight: 64,
        skew: 0.0,
        pool: false,
    },
    Scenario {
        name: "two processes, 16 in flight each",
        clients: 2,
        in_flight: 16,
        skew: 0.0,
        pool: false,
    },
    Scenario {
        name: "one client, 16 in flight, server clock +30 s",
        clients: 1,
        in_flight: 16,
        skew: 30.0,
        pool: false,
    },
    Scenario {
        name: "one client, 16 in flight, server clock -30 s",
        clients: 1,
        in_flight: 16,
        skew: -30.0,
        pool: false,
    },
    Scenario {
        name: "two processes, 16 in flight each, server clock +30 s",
        clients: 2,
        in_flight: 16,
        skew: 30.0,
        pool: false,
    },
    Scenario {
        name: "two processes, 16 in flight each, server clock -30 s",
        clients: 2,
        in_flight: 16,
        skew: -30.0,
        pool: false,
    },
    Scenario {
        name: "two processes, 16 in flight each, one pool file",
        clients: 2,
        in_flight: 16,
        skew: 0.0,
        pool: true,
    },
];

/// The rate-limit governor, measured: every scenario, governor on and off
/// (`client` is one of a job's client processes).
#[derive(clap::Parser)]
#[command(name = "governor")]
struct Options {
    #[command(subcommand)]
    client: Option<Role>,
    /// Window length, seconds.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    window: u64,
    /// Requests per window.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..))]
    budget: u32,
    /// Runs of each scenario.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Only the scenarios whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Also write the JSON lines here.
    #[arg(long)]
    out: Option<String>,
    /// `cargo bench` passes `--bench` to every bench binary.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(clap::Subcommand)]
enum Role {
    /// One client process of a job.
    Client(ClientOptions),
}

#[derive(clap::Args)]
struct ClientOptions {
    #[arg(long)]
    url: String,
    #[arg(long)]
    updates: usize,
    #[arg(long, default_value_t = 1)]
    in_flight: usize,
    #[arg(long, default_value_t = 60)]
    window: u64,
    /// The rate-limit pool file the job's processes share, if any.
    #[arg(long)]
    pool: Option<std::path::PathBuf>,
    /// `on` or `off`.
    #[arg(long, default_value = "on")]
    governor: String,
    #[arg(long, default_value = "")]
    prefix: String,
}

fn main() -> ExitCode {
    let options = <Options as clap::Parser>::parse();
    let result = match &options.client {
        Some(Role::Client(client)) => client_process(client),
        None => measure(&options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("governor bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The local clock, Unix seconds.
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs_f64()
}

/// Runs every scenario with the governor on and off.
fn measure(options: &Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut out = match &options.out {
        Some(path) => Some(std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?),
        None => None,
    };
    let updates = 8 * options.budget as usize;
    let mut lines = Vec::new();
    for scenario in SCENARIOS {
        if options
            .only
            .as_ref()
            .is_some_and(|only| !scenario.name.contains(only.as_str()))
        {
            continue;
        }
        for governor in [true, false] {
            for _ in 0..options.repeat {
                let figures = runtime.block_on(run(scenario, governor, updates, options))?;
                let line = figures.to_string();
                println!("{line}");
                if let Some(out) = &mut out {
                    writeln!(out, "{line}").map_err(|e| e.to_string())?;
                }
                eprintln!(
                    "{} | governor {}: {} failed, {} answered 429 (at most {} in a window), wall {:.2} s / minimum {:.2} s = {:.3}",
                    scenario.name,
                    if governor { "on" } else { "off" },
                    figures["failed"],
                    figures["refused"],
                    figures["most_refused_in_a_window"],
                    figures["wall_s"].as_f64().unwrap_or(0.0),
                    figures["minimum_s"].as_f64().unwrap_or(0.0),
                    figures["ratio"].as_f64().unwrap_or(0.0),
                );
                lines.push(figures);
            }
        }
    }
    if report::wanted() {
        report::write(&governor_table::render(&lines)?)?;
    }
    Ok(())
}

/// One job: a fresh server, the client processes, the figures.
async fn run(
    scenario: &Scenario,
    governor: bool,
    updates: usize,
    options: &Options,
) -> Result<Value, String> {
    let windows = Arc::new(FixedWindows::new(
        options.window,
        options.budget,
        scenario.skew,
    ));
    let server = {
        let windows = windows.clone();
        Server::start(move |request, _| windows.answer(request)).await
    };
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let per_client = updates / scenario.clients;

    let pool = scenario.pool.then(|| processes::PoolFile::new("governor"));
    let started = now();
    let started_server = started + scenario.skew;
    let commands = (0..scenario.clients)
        .map(|client| {
            let mut command = Command::new(&exe);
            command
                .args(["client", "--url", &server.base_url()])
                .args(["--updates", &per_client.to_string()])
                .args(["--in-flight", &scenario.in_flight.to_string()])
                .args(["--window", &options.window.to_string()])
                .args(["--governor", if governor { "on" } else { "off" }])
                .args(["--prefix", &format!("c{client}")]);
            if let Some(pool) = &pool {
                command.arg("--pool").arg(pool.path());
            }
            command
        })
        .collect();
    let reports = processes::reports(commands).await?;
    drop((server, pool));

    let finished = reports
        .iter()
        .filter_map(|report| report["finished_at"].as_f64())
        .fold(started, f64::max);
    let failed: u64 = reports
        .iter()
        .filter_map(|report| report["failed"].as_u64())
        .sum();
    let first_error = reports
        .iter()
        .find_map(|report| report["first_error"].as_str().map(str::to_owned));

    let window = options.window as f64;
    let budget = options.budget as usize;
    let first_window = (started_server / window).floor();
    let last_batch_window = first_window + (updates.div_ceil(budget) - 1) as f64;
    let minimum = last_batch_window * window - started_server;
    let wall = finished - started;

    let answers = windows.answers();
    let mut refused_per_window = BTreeMap::<u64, usize>::new();
    for answer in &answers {
        let refused = refused_per_window.entry(answer.window).or_default();
        if answer.status == 429 {
            *refused += 1;
        }
    }
    Ok(json!({
        "scenario": scenario.name,
        "governor": governor,
        "clients": scenario.clients,
        "in_flight": scenario.in_flight,
        "skew_s": scenario.skew,
        "window_s": options.window,
        "budget": options.budget,
        "updates": updates,
        "failed": failed,
        "first_error": first_error,
        "requests": answers.len(),
        "refused": answers.iter().filter(|a| a.status == 429).count(),
        "most_refused_in_a_window": refused_per_window.values().copied().max().unwrap_or(0),
        "windows": refused_per_window.len(),
        "wall_s": wall,
        "minimum_s": minimum,
        "ratio": wall / minimum,
        "measured_at": started as u64,
    }))
}

/// A client process: runs its share of the job, prints its figures.
fn client_process(options: &ClientOptions) -> Result<(), String> {
    let ClientOptions {
        url,
        updates,
        in_flight,
        window,
        ..
    } = options;
    let (updates, in_flight, window) = (*updates, *in_flight, *window);
    let governor = options.governor == "on";
    let prefix = options.prefix.clone();
    let mut builder = Client::builder()
        .token("bench-token")
        .base_url(url)
        .retry(RetryPolicy::default())
        .rate_limit_window(Duration::from_secs(window))
        .rate_limit_governor(governor);
    if let Some(pool) = &options.pool {
        builder = builder.rate_limit_pool(pool);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (succeeded, failed, first_error) = runtime.block_on(async {
        let bodies = (0..updates).map(move |i| UpdateDiskBody {
            disk: DiskLookup {
                id: format!("{prefix}-disk-{i}"),
            },
            properties: DiskArguments {
                name: Some(format!("fleet-{i}")),
                ..Default::default()
            },
            annotations: None,
        });
        let mut stream = client.update_disks(bodies, BulkOptions::new().concurrency(in_flight));
        let (mut succeeded, mut failed, mut first_error) = (0u64, 0u64, None);
        while let Some(done) = stream.next().await {
            match done.result {
                Ok(_) => succeeded += 1,
                Err(error) => {
                    failed += 1;
                    first_error.get_or_insert_with(|| error.to_string());
                }
            }
        }
        (succeeded, failed, first_error)
    });
    println!(
        "{}",
        json!({
            "succeeded": succeeded,
            "failed": failed,
            "first_error": first_error,
            "finished_at": now(),
        })
    );
    Ok(())
}
