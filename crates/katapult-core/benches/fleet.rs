//! A fleet of disk changes under Katapult's rate limit: every disk of the
//! fleet renamed and grown through [`Client::change_disks`] against the
//! stateful mock Katapult (`katapult-core-httpmock`) enforcing a fixed
//! window (25 requests per 2 s unless told otherwise; 429
//! `rate_limit_reached` beyond it), from one client process and from two
//! sharing the token, each with half the fleet: on their own, and through
//! one pool file (`ClientBuilder::rate_limit_pool`).
//!
//! Each disk's change takes a plan read, the rename (`update_disk`) and its
//! read-back, the resize (`resize_disk`), the task's polls and the size's
//! read-back. The minimum a job can take is what the budget allows for the
//! requests the plans need, six per disk (one poll: the mock's tasks end
//! before the first poll): the last of them can go no earlier than the start
//! of window k0 + ceil(N / P) - 1, k0 being the window the job started in.
//! The ratio is wall time over that minimum (target <= 1.15), wall time
//! running from the job's start (before the client processes are spawned) to
//! the last result.
//!
//! What is checked, from the mock's own state after the job (not from what
//! the clients say): no disk lost (every disk reads renamed and grown) and
//! no disk half-done (one property changed but not the other); and that each
//! client got exactly one result per input. A job that loses or half-does a
//! change fails the benchmark, in test mode too.
//!
//! `cargo bench -p katapult-core --bench fleet -- [--disks N] [--budget N]
//! [--window SECS] [--concurrency N] [--only one|two]` prints one JSON line
//! per job, and writes its markdown section to the file named by
//! `KATAPULT_BENCH_OUT` when set (`cargo xtask bench-report` stitches the
//! sections). Under `cargo test` it runs as a smoke test: a fleet of six, a
//! budget of 10 per 1 s window, tasks of 200 ms.

#[path = "support/processes.rs"]
mod processes;
#[path = "support/report.rs"]
mod report;

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use katapult_core::{BulkOptions, ChangeOptions, Client, DiskChange, RetryPolicy};
use katapult_core_httpmock::{Answered, KatapultMock};
use serde_json::{Value, json};

/// The size every disk grows to (the mock's demo disks are 20 GB).
const GROWN_GB: u32 = 30;

/// Requests each disk's plan needs: read, rename, its read-back, resize,
/// one task poll, the size's read-back.
const REQUESTS_PER_DISK: usize = 6;

/// A fleet of disk changes under a fixed-window rate limit.
#[derive(clap::Parser)]
#[command(name = "fleet", ignore_errors = true)]
struct Options {
    #[command(subcommand)]
    client: Option<Role>,
    /// Disks in the fleet.
    #[arg(long, default_value_t = 200)]
    disks: usize,
    /// Requests per window.
    #[arg(long, default_value_t = 25)]
    budget: u32,
    /// Window length, whole seconds.
    #[arg(long, default_value_t = 2)]
    window: u64,
    /// Changes in flight per client process.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// How long each task takes, milliseconds (the recorded "Grow disk"
    /// took about 2 s).
    #[arg(long, default_value_t = 2000)]
    task_ms: u64,
    /// Only the jobs whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// `cargo bench` passes `--bench`; without it this is a smoke test.
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
    /// The first disk of this client's share.
    #[arg(long)]
    first: usize,
    #[arg(long)]
    disks: usize,
    #[arg(long)]
    concurrency: usize,
    #[arg(long)]
    window: u64,
    /// The rate-limit pool file the job's processes share, if any.
    #[arg(long)]
    pool: Option<std::path::PathBuf>,
}

/// One job's setting: how many client processes share the fleet, and
/// whether they share a pool file.
struct Job {
    name: &'static str,
    clients: usize,
    pool: bool,
}

const JOBS: [Job; 3] = [
    Job {
        name: "one client",
        clients: 1,
        pool: false,
    },
    Job {
        name: "two processes, one token",
        clients: 2,
        pool: false,
    },
    Job {
        name: "two processes, one token, one pool file",
        clients: 2,
        pool: true,
    },
];

fn main() -> ExitCode {
    let mut options = <Options as clap::Parser>::parse();
    let result = match &options.client {
        Some(Role::Client(client)) => client_process(client),
        None => {
            if !options.bench {
                // Smoke test: seconds, not minutes.
                (
                    options.disks,
                    options.budget,
                    options.window,
                    options.task_ms,
                ) = (6, 10, 1, 200);
            }
            measure(&options)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fleet bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn unix(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

fn disk_id(n: usize) -> String {
    format!("disk_fleet{n:05}")
}

/// Runs every job, prints its JSON line, writes the markdown section.
fn measure(options: &Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut jobs = Vec::new();
    for job in &JOBS {
        if options
            .only
            .as_ref()
            .is_some_and(|only| !job.name.contains(only.as_str()))
        {
            continue;
        }
        let figures = runtime.block_on(run(job, options))?;
        println!("{figures}");
        eprintln!("{}", summary(&figures));
        jobs.push(figures);
    }
    report::write(&render(&jobs, options))?;
    let broken = jobs
        .iter()
        .filter(|job| job["lost"] != 0 || job["half_done"] != 0 || job["unaccounted"] != 0);
    match broken.map(summary).collect::<Vec<_>>() {
        bad if bad.is_empty() => Ok(()),
        bad => Err(format!(
            "changes were lost or left half-done: {}",
            bad.join("; ")
        )),
    }
}

fn summary(job: &Value) -> String {
    format!(
        "{}: {} lost, {} half-done, {} 429s (at most {} in a window after the first), wall {:.2} s / minimum {:.2} s = {:.3}",
        job["job"].as_str().unwrap_or("?"),
        job["lost"],
        job["half_done"],
        job["refused"],
        job["most_refused_after_first_window"],
        job["wall_s"].as_f64().unwrap_or(0.0),
        job["minimum_s"].as_f64().unwrap_or(0.0),
        job["ratio"].as_f64().unwrap_or(0.0),
    )
}

/// One job: a fresh mock, the client processes, then the mock's own state
/// and journal read into the figures.
async fn run(job: &Job, options: &Options) -> Result<Value, String> {
    let window = Duration::from_secs(options.window);
    let mock = KatapultMock::builder()
        .rate_limit(options.budget, window)
        .task_duration(Duration::from_millis(options.task_ms))
        .start()
        .await;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let share = options.disks.div_ceil(job.clients);
    let pool = job.pool.then(|| processes::PoolFile::new("fleet"));
    let started = SystemTime::now();
    let commands = (0..job.clients)
        .map(|client| {
            let first = client * share;
            let mut command = Command::new(&exe);
            command
                .args(["client", "--url", &mock.base_url()])
                .args(["--first", &first.to_string()])
                .args(["--disks", &share.min(options.disks - first).to_string()])
                .args(["--concurrency", &options.concurrency.to_string()])
                .args(["--window", &options.window.to_string()]);
            if let Some(pool) = &pool {
                command.arg("--pool").arg(pool.path());
            }
            command
        })
        .collect();
    let reports = processes::reports(commands).await?;
    drop(pool);

    // The mock's state is the judge: every disk renamed and grown.
    let (mut lost, mut half_done) = (0, 0);
    for n in 0..options.disks {
        let disk = mock.disk(&disk_id(n)).unwrap_or(Value::Null);
        let renamed = disk["name"] == format!("fleet-{n}").as_str();
        let grown = disk["size_in_gb"] == GROWN_GB;
        match (renamed, grown) {
            (true, true) => {}
            (false, false) => lost += 1,
            _ => half_done += 1,
        }
    }
    let sum = |key: &str| reports.iter().filter_map(|r| r[key].as_u64()).sum::<u64>();
    let finished = reports
        .iter()
        .filter_map(|r| r["finished_at"].as_f64())
        .fold(unix(started), f64::max);
    let first_error = reports
        .iter()
        .find_map(|r| r["first_error"].as_str().map(str::to_owned));

    let answered = mock.answered();
    let (by_kind, refused_per_window) = tally(&answered, window);
    let first_window = (unix(started) / options.window as f64).floor() as u64;
    let most_after_first = refused_per_window
        .iter()
        .filter(|(index, _)| **index > first_window)
        .map(|(_, refused)| *refused)
        .max()
        .unwrap_or(0);
    let needed = options.disks * REQUESTS_PER_DISK;
    let last_batch_window = first_window + (needed.div_ceil(options.budget as usize) - 1) as u64;
    let minimum = (last_batch_window * options.window) as f64 - unix(started);
    let wall = finished - unix(started);
    Ok(json!({
        "job": job.name,
        "clients": job.clients,
        "disks": options.disks,
        "budget": options.budget,
        "window_s": options.window,
        "concurrency": options.concurrency,
        "task_ms": options.task_ms,
        "succeeded": sum("succeeded"),
        "failed": sum("failed"),
        "unaccounted": sum("unaccounted"),
        "first_error": first_error,
        "lost": lost,
        "half_done": half_done,
        "requests": answered.len(),
        "requests_needed": needed,
        "by_kind": by_kind,
        "refused": answered.iter().filter(|a| a.status == 429).count(),
        "refused_per_window": refused_per_window.values().collect::<Vec<_>>(),
        "most_refused_after_first_window": most_after_first,
        "wall_s": wall,
        "minimum_s": minimum,
        "ratio": wall / minimum,
        "measured_at": unix(started) as u64,
    }))
}

/// Requests by operation (`{"get_disk": {"ok": n, "429": m}, ...}`) and
/// 429s per window, every window of the job included.
fn tally(answered: &[Answered], window: Duration) -> (Value, BTreeMap<u64, u64>) {
    let mut by_kind = BTreeMap::<&str, (u64, u64)>::new();
    let mut refused = BTreeMap::<u64, u64>::new();
    for answer in answered {
        let kind = match (answer.method.as_str(), answer.path.as_str()) {
            ("GET", "/disks/disk") => "get_disk",
            ("PATCH", "/disks/disk") => "update_disk",
            ("PUT", "/disks/disk/resize") => "resize_disk",
            ("GET", "/tasks/task") => "get_task",
            _ => "other",
        };
        let count = by_kind.entry(kind).or_default();
        let in_window = refused.entry(answer.window(window)).or_default();
        if answer.status == 429 {
            count.1 += 1;
            *in_window += 1;
        } else {
            count.0 += 1;
        }
    }
    let by_kind = by_kind
        .into_iter()
        .map(|(kind, (ok, refused))| (kind.to_owned(), json!({"answered": ok, "429": refused})))
        .collect::<serde_json::Map<_, _>>();
    (Value::Object(by_kind), refused)
}

/// A client process: changes its share of the fleet, prints its figures.
fn client_process(options: &ClientOptions) -> Result<(), String> {
    let mut builder = Client::builder()
        .token("bench-token")
        .base_url(&options.url)
        .retry(RetryPolicy::default())
        .rate_limit_window(Duration::from_secs(options.window));
    if let Some(pool) = &options.pool {
        builder = builder.rate_limit_pool(pool);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let grown = NonZeroU32::new(GROWN_GB).expect("not zero");
    let changes = (options.first..options.first + options.disks).map(move |n| {
        DiskChange::new(disk_id(n))
            .name(format!("fleet-{n}"))
            .size_in_gb(grown)
    });
    let figures = runtime.block_on(async {
        let mut stream = client.change_disks(
            changes,
            BulkOptions::new().concurrency(options.concurrency),
            ChangeOptions::default(),
        );
        let mut seen = vec![0u32; options.disks];
        let (mut succeeded, mut failed, mut first_error) = (0u64, 0u64, None);
        while let Some(done) = stream.next().await {
            if let Some(count) = seen.get_mut(done.index) {
                *count += 1;
            }
            match done.result {
                Ok(report) if report.steps.iter().all(|step| step.verified) => succeeded += 1,
                Ok(_) => {
                    failed += 1;
                    first_error.get_or_insert_with(|| "a step was not verified".to_owned());
                }
                Err(error) => {
                    failed += 1;
                    first_error.get_or_insert_with(|| error.to_string());
                }
            }
        }
        json!({
            "succeeded": succeeded,
            "failed": failed,
            // Inputs with no result, or with more than one.
            "unaccounted": seen.iter().filter(|count| **count != 1).count(),
            "first_error": first_error,
            "finished_at": unix(SystemTime::now()),
        })
    });
    println!("{figures}");
    Ok(())
}

/// The markdown section: one row per job.
fn render(jobs: &[Value], options: &Options) -> String {
    let measured = jobs.first().and_then(|job| job["measured_at"].as_u64());
    let mut out = format!(
        "## A fleet of disk changes (`benches/fleet.rs`)\n\n\
         - measured {}\n\
         - {} disks, each renamed and grown 20 → {GROWN_GB} GB through `Client::change_disks` \
         ({} changes in flight per process), against the stateful mock Katapult enforcing \
         {} requests per {} s fixed window; tasks take {} ms\n\
         - minimum: what the budget allows for the {REQUESTS_PER_DISK} requests per disk the \
         plans need (read, rename, read-back, resize, one task poll, read-back); \
         ratio = wall time / minimum; lost and half-done are read from the mock's disks\n\n\
         | job | lost | half-done | failed | requests (needed) | get_disk / update_disk / resize_disk / get_task | 429s | most 429s in a window after the first | wall / minimum | ratio | target | met |\n\
         |---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|\n",
        measured.map_or_else(|| "–".to_owned(), report::utc),
        options.disks,
        options.concurrency,
        options.budget,
        options.window,
        options.task_ms,
    );
    for job in jobs {
        let kind = |name: &str| job["by_kind"][name]["answered"].as_u64().unwrap_or(0);
        let two = job["clients"].as_u64().unwrap_or(1) > 1;
        let ratio = job["ratio"].as_f64().unwrap_or(f64::NAN);
        let most = job["most_refused_after_first_window"].as_u64().unwrap_or(0);
        let clean = job["lost"] == 0 && job["half_done"] == 0 && job["unaccounted"] == 0;
        let met = clean && ratio <= 1.15 && (!two || most <= 1);
        let target = if two {
            "0 lost, 0 half-done, ≤ 1.15, ≤ 1 429 per window after the first"
        } else {
            "0 lost, 0 half-done, ≤ 1.15"
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} ({}) | {} / {} / {} / {} | {} | {most} | {:.1} s / {:.1} s | {ratio:.3} | {target} | {} |\n",
            job["job"].as_str().unwrap_or("?"),
            job["lost"],
            job["half_done"],
            job["failed"],
            job["requests"],
            job["requests_needed"],
            kind("get_disk"),
            kind("update_disk"),
            kind("resize_disk"),
            kind("get_task"),
            job["refused"],
            job["wall_s"].as_f64().unwrap_or(0.0),
            job["minimum_s"].as_f64().unwrap_or(0.0),
            if met { "yes" } else { "no" },
        ));
    }
    let errors: Vec<String> = jobs
        .iter()
        .filter_map(|job| {
            Some(format!(
                "- {}: {}",
                job["job"].as_str()?,
                job["first_error"].as_str()?
            ))
        })
        .collect();
    if !errors.is_empty() {
        out.push_str(&format!(
            "\nFirst error of each job that had one:\n\n{}\n",
            errors.join("\n")
        ));
    }
    out
}
