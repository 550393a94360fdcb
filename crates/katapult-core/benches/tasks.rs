//! Task waiting, measured: `Client::wait_for_task` against a loopback
//! Katapult whose tasks follow traces (durations and progress curves,
//! `katapult_test_server::task_traces`), beside the schedule of Katapult's
//! Terraform provider, run by this file on the same client and HTTP path:
//! a first poll after 1 s, then waits that double from 100 ms but are held
//! between 5 and 10 s (HashiCorp's `StateChangeConf` with `Delay` 1 s and
//! `MinTimeout` 5 s: polls at 1, 6, 16, 26 s, ...).
//!
//! For each trace family it draws tasks from a fixed seed, and each task
//! runs twice at once, on two task ids with the same trace: once waited for
//! by `wait_for_task`, once by the provider's schedule. Every task of every
//! family runs at the same time, so the whole run lasts about as long as
//! the longest task (two minutes). Two figures per wait: the requests the
//! server saw for its task, and the delay from the moment the task
//! completed (by the server's trace) to the moment the waiter had it.
//! Each waiter has a `Client` of its own (one shared connection pool), so
//! one wait's polls never queue behind another's in a governor.
//!
//! `cargo bench -p katapult-core --bench tasks` measures every family;
//! options: `--count N` tasks per family (40), `--only NAME`, `--seed N`.
//! It prints its markdown section (`cargo xtask bench-report` puts it in
//! the report) and also writes it to the file `KATAPULT_BENCH_OUT` names,
//! if set. Under `cargo test` (no `--bench`) it is a smoke run of a few
//! seconds: the short families only, three tasks each, checking that every
//! wait ends and is counted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use katapult_core::types::{Task, TaskStatusEnum};
use katapult_core::{Client, ClientBuilder, Error};
use katapult_test_server::task_traces::{self, FAMILIES, TraceFamily};
use katapult_test_server::tasks::TaskBoard;
use katapult_test_server::{Server, http_date_now};

/// How long any one wait may last: far beyond the longest trace (120 s).
const DEADLINE: Duration = Duration::from_secs(600);

struct Options {
    /// `cargo bench` passes `--bench`; `cargo test` does not.
    bench: bool,
    count: usize,
    only: Option<String>,
    seed: u64,
}

impl Options {
    /// Lenient: `cargo test -- FILTER` passes its arguments to every test
    /// binary, this one included, and they are not ours.
    fn parse() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let value = |name: &str| {
            args.iter()
                .position(|arg| arg == name)
                .and_then(|at| args.get(at + 1))
        };
        let bench = args.iter().any(|arg| arg == "--bench");
        Self {
            bench,
            count: value("--count")
                .and_then(|n| n.parse().ok())
                .unwrap_or(if bench { 40 } else { 3 }),
            only: value("--only").cloned(),
            seed: value("--seed").and_then(|n| n.parse().ok()).unwrap_or(2026),
        }
    }

    fn families(&self) -> Vec<TraceFamily> {
        FAMILIES
            .into_iter()
            .filter(|family| self.bench || family.name == "grow-disk")
            .filter(|family| self.only.as_ref().is_none_or(|only| family.name == only))
            .collect()
    }
}

/// Which schedule waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiter {
    Ours,
    Provider,
}

/// One wait's figures.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    requests: usize,
    delay: Duration,
}

/// One family's outcomes, per waiter.
struct FamilyRun {
    family: TraceFamily,
    ours: Vec<Outcome>,
    provider: Vec<Outcome>,
}

fn main() {
    let options = Options::parse();
    let families = options.families();
    if families.is_empty() {
        eprintln!("tasks bench: no trace family matches --only");
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let started_at = http_date_now();
    let started = Instant::now();
    let runs = runtime.block_on(measure(&families, &options));
    let wall = started.elapsed();
    let machine = Machine {
        started_at,
        load: load.split(' ').next().unwrap_or("?").to_owned(),
        wall,
    };
    let section = render(&runs, &options, &machine);
    print!("{section}");
    if let Ok(path) = std::env::var("KATAPULT_BENCH_OUT") {
        if let Some(parent) = std::path::Path::new(&path).parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if let Err(error) = std::fs::write(&path, &section) {
            eprintln!("tasks bench: cannot write {path}: {error}");
            std::process::exit(1);
        }
    }
    if !options.bench {
        smoke_checks(&runs);
    }
}

/// Every family's tasks at once, each waited for by both schedules.
async fn measure(families: &[TraceFamily], options: &Options) -> Vec<FamilyRun> {
    let board = Arc::new(TaskBoard::new());
    let server = {
        let board = board.clone();
        Server::start(move |request, _| board.answer(request)).await
    };
    server.record_requests(false);
    let http = ClientBuilder::http_client_builder()
        .expect("an HTTP client builder")
        .build()
        .expect("an HTTP client");
    let mut waits = tokio::task::JoinSet::new();
    for (f, family) in families.iter().enumerate() {
        for (i, trace) in task_traces::traces(family.name, options.count, options.seed)
            .into_iter()
            .enumerate()
        {
            for waiter in [Waiter::Ours, Waiter::Provider] {
                let client = Client::builder()
                    .token("bench-token")
                    .base_url(server.base_url())
                    .http_client(http.clone())
                    .build()
                    .expect("a client");
                let id = format!("task_{}_{i}_{waiter:?}", family.name);
                let answered = board.add(&id, "Grow disk", trace.clone());
                let task: Task = serde_json::from_value(answered).expect("a task");
                let board = board.clone();
                waits.spawn(async move {
                    let result = wait(&client, &task, waiter).await;
                    let seen = Instant::now();
                    let id = task.id.unwrap_or_default();
                    let completed = board.completes_at(&id).expect("the task is on the board");
                    let outcome = result.map(|()| Outcome {
                        requests: board.reads(&id),
                        delay: seen.saturating_duration_since(completed),
                    });
                    (f, waiter, id, outcome)
                });
            }
        }
    }
    let mut runs: Vec<FamilyRun> = families
        .iter()
        .map(|&family| FamilyRun {
            family,
            ours: Vec::new(),
            provider: Vec::new(),
        })
        .collect();
    while let Some(joined) = waits.join_next().await {
        let (f, waiter, id, outcome) = joined.expect("a wait does not panic");
        let outcome = outcome.unwrap_or_else(|error| panic!("the wait for {id} failed: {error}"));
        match waiter {
            Waiter::Ours => runs[f].ours.push(outcome),
            Waiter::Provider => runs[f].provider.push(outcome),
        }
    }
    runs
}

/// Waits for `task` to complete on the schedule of `waiter`.
async fn wait(client: &Client, task: &Task, waiter: Waiter) -> Result<(), Error> {
    match waiter {
        Waiter::Ours => client
            .wait_for_task(task)
            .deadline(DEADLINE)
            .await
            .map(drop),
        Waiter::Provider => provider_wait(client, task.id.as_deref().unwrap_or_default()).await,
    }
}

/// HashiCorp's `StateChangeConf` as the provider configures it: `Delay`
/// 1 s, then after each refresh `wait *= 2` from 100 ms, raised to
/// `MinTimeout` (5 s) and capped at 10 s.
async fn provider_wait(client: &Client, id: &str) -> Result<(), Error> {
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut wait = Duration::from_millis(100);
    loop {
        let task = client.get_task(id).await?.into_inner().task;
        match task.status {
            Some(TaskStatusEnum::Completed) => return Ok(()),
            Some(TaskStatusEnum::Failed) => {
                return Err(Error::InvalidRequest(format!("task {id} failed")));
            }
            _ if started.elapsed() > DEADLINE => {
                return Err(Error::InvalidRequest(format!("task {id} never ended")));
            }
            _ => {}
        }
        wait = (wait * 2).clamp(Duration::from_secs(5), Duration::from_secs(10));
        tokio::time::sleep(wait).await;
    }
}

/// Median and maximum.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Spread {
    median: f64,
    max: f64,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = match n {
            0 => f64::NAN,
            n if n % 2 == 1 => values[n / 2],
            n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
        };
        Self {
            median,
            max: values.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// Lower than `other` in the median and at the maximum.
    fn below(self, other: Self) -> bool {
        self.median < other.median && self.max < other.max
    }
}

fn requests(outcomes: &[Outcome]) -> Spread {
    Spread::of(outcomes.iter().map(|o| o.requests as f64).collect())
}

fn delays(outcomes: &[Outcome]) -> Spread {
    Spread::of(outcomes.iter().map(|o| o.delay.as_secs_f64()).collect())
}

/// When and how loaded the run was.
struct Machine {
    /// When it started, as an HTTP date.
    started_at: String,
    /// The 1-minute load average at the start.
    load: String,
    wall: Duration,
}

/// The markdown section: the table, the traces, how and where it ran.
fn render(runs: &[FamilyRun], options: &Options, machine: &Machine) -> String {
    let mut out = String::from("## Task waiting (`benches/tasks.rs`)\n\n");
    out.push_str(&format!(
        "`Client::wait_for_task` against a loopback Katapult whose tasks follow traces, \
         beside the Terraform provider's schedule (first poll after 1 s, then every 5 to 10 s: \
         1, 6, 16, 26 s, ...) on the same client and HTTP path. {} tasks per trace family \
         (seed {}), every task of every family at once, each waited for by both schedules. \
         Requests: what the server saw for the task. Delay: from the moment the task completed \
         to the moment the waiter had it. Median / maximum. Target: ours below the provider's \
         in both figures, median and maximum.\n\n",
        options.count, options.seed
    ));
    if !options.bench {
        out.push_str("Test mode (`cargo test`): a smoke run, not a measurement.\n\n");
    }
    out.push_str(&format!(
        "Measured {} on {} ({}, {} cores), load average {} at the start; the run took {:.0} s.\n\n",
        machine.started_at,
        std::env::consts::ARCH,
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        machine.load,
        machine.wall.as_secs_f64(),
    ));
    out.push_str(
        "| trace | tasks | requests per task, ours | provider | delay to seen (s), ours | provider | target met |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
    );
    for run in runs {
        let (ours_requests, provider_requests) = (requests(&run.ours), requests(&run.provider));
        let (ours_delays, provider_delays) = (delays(&run.ours), delays(&run.provider));
        let mut missed = Vec::new();
        if !ours_requests.below(provider_requests) {
            missed.push("requests");
        }
        if !ours_delays.below(provider_delays) {
            missed.push("delay");
        }
        let met = if missed.is_empty() {
            "yes".to_owned()
        } else {
            format!("no ({})", missed.join(", "))
        };
        out.push_str(&format!(
            "| {} | {} | {} / {} | {} / {} | {:.2} / {:.2} | {:.2} / {:.2} | {met} |\n",
            run.family.name,
            run.ours.len(),
            ours_requests.median,
            ours_requests.max,
            provider_requests.median,
            provider_requests.max,
            ours_delays.median,
            ours_delays.max,
            provider_delays.median,
            provider_delays.max,
        ));
    }
    out.push_str("\nThe traces:\n\n");
    for run in runs {
        out.push_str(&format!(
            "- `{}`: {}.\n",
            run.family.name, run.family.description
        ));
    }
    out
}

/// The processor's name, from `/proc/cpuinfo` where there is one.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown processor".to_owned())
}

/// What the smoke run checks: every wait ended, polled at least once, and
/// saw its task within a poll interval of it completing.
fn smoke_checks(runs: &[FamilyRun]) {
    for run in runs {
        for (waiter, outcomes) in [("ours", &run.ours), ("provider", &run.provider)] {
            assert!(
                !outcomes.is_empty(),
                "{}: no {waiter} waits",
                run.family.name
            );
            for outcome in outcomes.iter() {
                assert!(outcome.requests >= 1, "{}: {outcome:?}", run.family.name);
                assert!(
                    outcome.delay < Duration::from_secs(30),
                    "{} ({waiter}): {outcome:?}",
                    run.family.name
                );
            }
        }
    }
}
