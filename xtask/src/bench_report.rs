//! `cargo xtask bench-report`: what the generated client costs against the
//! hand-written floor, as a markdown table.
//!
//! - Runs `cargo bench -p katapult-core --bench overhead` (criterion, plus a
//!   paired interleaved measurement of each ratio; see
//!   `crates/katapult-core/benches/support/paired.rs`) with `CRITERION_HOME`
//!   pointed at `target/criterion`, then reads each benchmark's
//!   `new/estimates.json` and `paired/<group>.json` and writes medians and
//!   client/floor ratios. Results older than the run are refused.
//! - `--build-cost` also measures, from clean and offline, the release build
//!   time and the number of crates in the dependency tree of `katapult-core`
//!   and of minimal `reqwest` + `serde_json` floor crates that this task
//!   writes into a temporary directory (each build with its own
//!   `CARGO_TARGET_DIR`; the shared `target/` is never cleaned).
//!
//! `crates/katapult-core/BENCHMARKS.md` explains the method and each ratio.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

/// Usage of `cargo xtask bench-report`.
pub const USAGE: &str = "\
usage: cargo xtask bench-report [--no-run | --skip-bench] [--no-pin] [--build-cost] [--repeat N]
                                [--out FILE] [-- BENCH_ARGS...]

  (default)     run the overhead benchmarks (about 3 minutes) pinned to one core and print the table
  --no-run      report the results already in target/criterion without running
  --skip-bench  no benchmark table (with --build-cost: the build cost alone)
  --no-pin      do not pin the benchmark process to one core with `taskset`
  --build-cost  also time clean release builds of katapult-core and of the floor
                crates, and count the crates in each dependency tree (offline)
  --repeat N    build each subject N times from clean and keep every time (default 1)
  --out FILE    also write the report to FILE
  -- ARGS       passed to the benchmark binary (e.g. `-- --measurement-time 20`)
";

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Run the benchmarks (else report what is there).
    pub run: bool,
    /// Leave the benchmark table out.
    pub skip_bench: bool,
    /// Pin the benchmark process (client and loopback server) to one core.
    pub pin: bool,
    /// Measure build cost too.
    pub build_cost: bool,
    /// Clean builds per subject.
    pub repeat: u32,
    /// Where to write the report besides stdout.
    pub out: Option<PathBuf>,
    /// Passed through to the benchmark binary.
    pub bench_args: Vec<String>,
}

/// Parses the arguments after `bench-report`.
pub fn parse_args(args: &[&str]) -> Result<Options, String> {
    let mut options = Options {
        run: true,
        skip_bench: false,
        pin: true,
        build_cost: false,
        repeat: 1,
        out: None,
        bench_args: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        match arg {
            "--no-run" => options.run = false,
            "--skip-bench" => options.skip_bench = true,
            "--no-pin" => options.pin = false,
            "--build-cost" => options.build_cost = true,
            "--repeat" => {
                let value = args.next().ok_or("--repeat needs a number")?;
                options.repeat =
                    value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        format!("--repeat needs a positive number, not `{value}`")
                    })?;
            }
            "--out" => {
                let value = args.next().ok_or("--out needs a file name")?;
                options.out = Some(PathBuf::from(value));
            }
            "--" => {
                options.bench_args = args.map(|arg| (*arg).to_owned()).collect();
                break;
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// The limit a ratio is held to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// `ratio <= limit`.
    AtMost(f64),
    /// `ratio < limit`.
    Below(f64),
}

impl Target {
    /// Whether `ratio` meets the target.
    pub fn met_by(self, ratio: f64) -> bool {
        match self {
            Target::AtMost(limit) => ratio <= limit,
            Target::Below(limit) => ratio < limit,
        }
    }

    fn limit(self) -> f64 {
        match self {
            Target::AtMost(limit) | Target::Below(limit) => limit,
        }
    }

    fn describe(self) -> String {
        match self {
            Target::AtMost(limit) => format!("≤ {limit:.2}"),
            Target::Below(limit) => format!("< {limit:.2}"),
        }
    }
}

/// One client/floor ratio the report shows and judges.
#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    /// What the row measures.
    pub label: &'static str,
    /// Criterion group.
    pub group: &'static str,
    /// The benchmark on top of the ratio.
    pub client: &'static str,
    /// The benchmark below it.
    pub floor: &'static str,
    /// The limit.
    pub target: Target,
}

/// The rows of the report, in order.
pub const COMPARISONS: &[Comparison] = &[
    Comparison {
        label: "round trip: SDK (default retry policy) / bare reqwest",
        group: "round_trip",
        client: "sdk",
        floor: "floor",
        target: Target::AtMost(1.05),
    },
    Comparison {
        label: "round trip: SDK (`RetryPolicy::none()`) / bare reqwest",
        group: "round_trip",
        client: "sdk_no_retry",
        floor: "floor",
        target: Target::AtMost(1.05),
    },
    Comparison {
        label: "retry policy on the success path: default / none",
        group: "round_trip",
        client: "sdk",
        floor: "sdk_no_retry",
        target: Target::AtMost(1.02),
    },
    Comparison {
        label: "decode: generated / hand-written struct",
        group: "decode",
        client: "generated",
        floor: "hand_written",
        target: Target::AtMost(1.10),
    },
    Comparison {
        label: "decode: generated / `serde_json::Value`",
        group: "decode",
        client: "generated",
        floor: "value",
        target: Target::Below(1.0),
    },
    Comparison {
        label: "encode: generated / hand-written struct",
        group: "encode",
        client: "generated",
        floor: "hand_written",
        target: Target::AtMost(1.05),
    },
];

/// Criterion's median for one benchmark, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Point estimate.
    pub median: f64,
    /// 95% confidence interval.
    pub low: f64,
    /// 95% confidence interval.
    pub high: f64,
}

/// Reads `median` from a criterion `estimates.json`.
pub fn parse_estimate(json: &str) -> Result<Estimate, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let median = &value["median"];
    let number = |v: &Value, what: &str| {
        v.as_f64()
            .ok_or_else(|| format!("estimates.json has no {what}"))
    };
    Ok(Estimate {
        median: number(&median["point_estimate"], "median point estimate")?,
        low: number(
            &median["confidence_interval"]["lower_bound"],
            "median lower bound",
        )?,
        high: number(
            &median["confidence_interval"]["upper_bound"],
            "median upper bound",
        )?,
    })
}

/// A ratio from the paired measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Median of the per-round ratios.
    pub ratio: f64,
    /// Distribution-free 95% confidence interval of that median.
    pub low: f64,
    /// Distribution-free 95% confidence interval of that median.
    pub high: f64,
    /// Rounds measured.
    pub rounds: u64,
    /// Median time per call of the client side over the rounds, in ns.
    pub client_ns: f64,
    /// Median time per call of the floor side over the rounds, in ns.
    pub floor_ns: f64,
}

/// Reads one ratio from a `paired/<group>.json`.
pub fn parse_paired(json: &str, client: &str, floor: &str) -> Result<Option<Paired>, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let rounds = value["rounds"].as_u64().unwrap_or(0);
    let median = |side: &str| value["median_ns"][side].as_f64().unwrap_or(f64::NAN);
    let Some(ratios) = value["ratios"].as_array() else {
        return Err("paired results have no `ratios`".to_owned());
    };
    Ok(ratios
        .iter()
        .find(|r| r["client"] == client && r["floor"] == floor)
        .and_then(|r| {
            Some(Paired {
                ratio: r["ratio"].as_f64()?,
                low: r["ci_low"].as_f64()?,
                high: r["ci_high"].as_f64()?,
                rounds,
                client_ns: median(client),
                floor_ns: median(floor),
            })
        }))
}

/// Formats nanoseconds for people.
pub fn format_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

/// Where criterion writes: `$CARGO_TARGET_DIR/criterion` or `target/criterion`.
pub fn criterion_home(root: &Path) -> PathBuf {
    target_dir(root).join("criterion")
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// `cargo xtask bench-report ARGS`.
pub fn main(root: &Path, args: &[&str]) -> ExitCode {
    if args.iter().any(|arg| matches!(*arg, "--help" | "-h")) {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse_args(args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(root, &options) {
        Ok(report) => {
            print!("{report}");
            if let Some(out) = &options.out {
                if let Err(error) = std::fs::write(out, &report) {
                    eprintln!("cannot write {}: {error}", out.display());
                    return ExitCode::FAILURE;
                }
                eprintln!("wrote {}", out.display());
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench-report: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(root: &Path, options: &Options) -> Result<String, String> {
    let home = criterion_home(root);
    let mut report = String::new();
    writeln!(
        report,
        "# katapult-core: SDK against the hand-written floor\n"
    )
    .unwrap();
    writeln!(report, "{}", machine()).unwrap();

    if !options.skip_bench {
        let (since, load) = if options.run {
            let started = SystemTime::now();
            let before = load_average();
            let core = if options.pin { pin_core() } else { None };
            writeln!(
                report,
                "- benchmark process (client and loopback server) pinned to one core: {}",
                core.map_or_else(|| "no".to_owned(), |core| format!("core {core}"))
            )
            .unwrap();
            if options.pin && core.is_none() {
                eprintln!("taskset not found: running unpinned; expect noisier round trips");
            }
            run_benchmarks(root, &home, core, &options.bench_args)?;
            (Some(started), Some((before, load_average())))
        } else {
            (None, None)
        };
        report.push_str(&bench_table(&home, since, load)?);
    }

    if options.build_cost {
        report.push('\n');
        report.push_str(&build_cost(root, options.repeat)?);
    }
    Ok(report)
}

/// Builds the benchmark, then runs it. Pinned, the client, its runtime and
/// the loopback server share one core: each hand-off is a plain context
/// switch, where across two vCPUs it can wait for an idle vCPU to be woken,
/// which made loopback round trips swing between ~30 and ~180 µs here.
fn run_benchmarks(
    root: &Path,
    home: &Path,
    core: Option<usize>,
    bench_args: &[String],
) -> Result<(), String> {
    let bench = ["bench", "-p", "katapult-core", "--bench", "overhead"];
    let status = Command::new(cargo())
        .current_dir(root)
        .args(bench)
        .arg("--no-run")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the benchmarks did not build ({status})"));
    }

    let mut command = match core {
        Some(core) => {
            let mut command = Command::new("taskset");
            command.args(["-c", &core.to_string(), &cargo()]);
            command
        }
        None => Command::new(cargo()),
    };
    command
        .current_dir(root)
        .args(bench)
        .arg("--")
        .args(bench_args)
        .env("CRITERION_HOME", home);
    eprintln!(
        "running{}: cargo {} -- {}",
        core.map_or_else(String::new, |core| format!(" on core {core} (taskset)")),
        bench.join(" "),
        bench_args.join(" ")
    );
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the benchmarks failed ({status})"));
    }
    Ok(())
}

/// The last core, when `taskset` is there to pin to it.
fn pin_core() -> Option<usize> {
    let taskset = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    taskset.then(|| std::thread::available_parallelism().map_or(0, |n| n.get() - 1))
}

/// `nproc`, the CPU model and `rustc -V`, as a markdown list.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    format!("- cores (`nproc`): {cores}\n- CPU: {cpu}\n- {rustc}\n")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn read_fresh(path: &Path, since: Option<SystemTime>) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e} (run the benchmarks first)",
            path.display()
        )
    })?;
    if let Some(since) = since {
        let modified = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map_err(|e| e.to_string())?;
        if modified < since {
            return Err(format!(
                "{} predates this run: the benchmark did not run (filtered out?)",
                path.display()
            ));
        }
    }
    Ok(text)
}

fn bench_table(
    home: &Path,
    since: Option<SystemTime>,
    load: Option<(String, String)>,
) -> Result<String, String> {
    let estimate = |group: &str, id: &str| -> Result<Estimate, String> {
        let path = home.join(group).join(id).join("new/estimates.json");
        parse_estimate(&read_fresh(&path, since)?).map_err(|e| format!("{}: {e}", path.display()))
    };
    let paired = |c: &Comparison| -> Result<Option<Paired>, String> {
        let path = home.join("paired").join(format!("{}.json", c.group));
        if !path.exists() {
            return Ok(None);
        }
        parse_paired(&read_fresh(&path, since)?, c.client, c.floor)
            .map_err(|e| format!("{}: {e}", path.display()))
    };

    let mut out = String::new();
    if let Some((before, after)) = load {
        writeln!(
            out,
            "- load average (1 min) before / after the run: {before} / {after}"
        )
        .unwrap();
    }
    writeln!(out, "- criterion results: `{}`\n", home.display()).unwrap();
    writeln!(
        out,
        "| comparison | criterion medians (client / floor) | ratio of criterion medians \
         | paired medians (client / floor) | paired ratio [95% CI] | target | met |"
    )
    .unwrap();
    writeln!(out, "|---|---:|---:|---:|---:|---:|---|").unwrap();
    let mut seen = BTreeSet::new();
    for c in COMPARISONS {
        let client = estimate(c.group, c.client)?;
        let floor = estimate(c.group, c.floor)?;
        seen.insert((c.group, c.client));
        seen.insert((c.group, c.floor));
        let of_medians = client.median / floor.median;
        let pair = paired(c)?;
        let (judged, paired_medians, paired_cell) = match pair {
            Some(p) => (
                p.ratio,
                format!("{} / {}", format_ns(p.client_ns), format_ns(p.floor_ns)),
                format!("{:.3} [{:.3}, {:.3}]", p.ratio, p.low, p.high),
            ),
            None => (of_medians, "–".to_owned(), "–".to_owned()),
        };
        let mut met = if c.target.met_by(judged) { "yes" } else { "no" }.to_owned();
        if let Some(p) = pair {
            let limit = c.target.limit();
            if p.low <= limit && limit <= p.high {
                met.push_str(" (CI spans the target)");
            }
        }
        writeln!(
            out,
            "| {} | {} / {} | {of_medians:.3} | {paired_medians} | {paired_cell} | {} | {met} |",
            c.label,
            format_ns(client.median),
            format_ns(floor.median),
            c.target.describe(),
        )
        .unwrap();
    }

    writeln!(
        out,
        "\nEvery benchmark (criterion median per call, 95% CI):\n"
    )
    .unwrap();
    writeln!(out, "| benchmark | median | 95% CI |").unwrap();
    writeln!(out, "|---|---:|---|").unwrap();
    for (group, id) in &seen {
        let e = estimate(group, id)?;
        writeln!(
            out,
            "| `{group}/{id}` | {} | {} – {} |",
            format_ns(e.median),
            format_ns(e.low),
            format_ns(e.high)
        )
        .unwrap();
    }
    let rounds: Vec<String> = ["round_trip", "decode", "encode"]
        .iter()
        .filter_map(|group| {
            let path = home.join("paired").join(format!("{group}.json"));
            let text = std::fs::read_to_string(path).ok()?;
            let value: Value = serde_json::from_str(&text).ok()?;
            Some(format!(
                "{group}: {} rounds of {} calls per side",
                value["rounds"], value["iters_per_block"]
            ))
        })
        .collect();
    if !rounds.is_empty() {
        writeln!(out, "\nPaired measurement: {}.", rounds.join("; ")).unwrap();
    }
    Ok(out)
}

// ---- build cost ---------------------------------------------------------

/// The floor crates' `Cargo.toml` dependency sections, by name.
const FLOORS: &[(&str, &str, &str)] = &[
    (
        "floor-tls",
        "floor: reqwest + serde_json, TLS as katapult-core's default (rustls, ring, webpki-roots)",
        r#"reqwest = { version = "0.13", default-features = false, features = ["json", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }
webpki-roots = "1"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#,
    ),
    (
        "floor-plain",
        "floor: reqwest + serde_json, no TLS",
        r#"reqwest = { version = "0.13", default-features = false, features = ["json"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#,
    ),
];

/// The floor's code: the same `PATCH /disks/disk`, hand-written.
const FLOOR_LIB: &str = r#"//! The hand-written floor: `PATCH /disks/disk` with reqwest and serde.

use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub struct UpdateDisk {
    pub disk: DiskRef,
    pub properties: Properties,
}

#[derive(Serialize)]
pub struct DiskRef {
    pub id: String,
}

#[derive(Serialize, Default)]
pub struct Properties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_speed: Option<String>,
}

#[derive(Deserialize, Debug)]
pub struct Response {
    pub disk: Disk,
}

#[derive(Deserialize, Debug)]
pub struct Disk {
    pub id: Option<String>,
    pub name: Option<String>,
    pub size_in_gb: Option<i64>,
    pub state: Option<String>,
}

pub fn client() -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder();
    #[cfg(feature_tls)]
    let builder = {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        builder.tls_backend_preconfigured(config)
    };
    builder.build()
}

pub async fn update_disk(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &UpdateDisk,
) -> reqwest::Result<Response> {
    client
        .patch(format!("{base}/disks/disk"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}
"#;

/// One thing whose build is measured.
struct Subject {
    label: String,
    /// Where cargo runs.
    dir: PathBuf,
    /// Extra arguments for `cargo tree` and `cargo build`.
    args: Vec<String>,
    slug: String,
}

/// Writes the floor crates under `dir`, each with a copy of the workspace's
/// `Cargo.lock` so that they resolve to the same versions, offline.
fn write_floors(root: &Path, dir: &Path) -> Result<Vec<Subject>, String> {
    let lock = std::fs::read(root.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let mut subjects = Vec::new();
    for (slug, label, deps) in FLOORS {
        let crate_dir = dir.join(slug);
        std::fs::create_dir_all(crate_dir.join("src")).map_err(|e| e.to_string())?;
        let tls = slug.ends_with("tls");
        let manifest = format!(
            "[package]\nname = \"katapult-{slug}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{deps}\n[workspace]\n"
        );
        let lib = FLOOR_LIB.replace(
            "#[cfg(feature_tls)]",
            if tls { "" } else { "#[cfg(any())]" },
        );
        for (name, text) in [
            ("Cargo.toml", manifest.as_bytes()),
            ("Cargo.lock", &lock[..]),
            ("src/lib.rs", lib.as_bytes()),
        ] {
            std::fs::write(crate_dir.join(name), text).map_err(|e| e.to_string())?;
        }
        subjects.push(Subject {
            label: (*label).to_owned(),
            dir: crate_dir,
            args: Vec::new(),
            slug: (*slug).to_owned(),
        });
    }
    Ok(subjects)
}

/// The crates in a `cargo tree --prefix none` listing, deduplicated
/// (`name vX.Y.Z`, without `(*)`, `(proc-macro)` or paths).
pub fn crates_in_tree(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next()?;
            Some(format!("{name} {version}"))
        })
        .collect()
}

fn tree(subject: &Subject, edges: &str) -> Result<BTreeSet<String>, String> {
    let output = Command::new(cargo())
        .current_dir(&subject.dir)
        .args(["tree", "--offline", "-e", edges, "--prefix", "none"])
        .args(&subject.args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo tree failed for {}", subject.label));
    }
    Ok(crates_in_tree(&String::from_utf8_lossy(&output.stdout)))
}

/// One clean release build: wall time and the number of crates compiled.
fn clean_build(subject: &Subject, target: &Path) -> Result<(Duration, usize), String> {
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    eprintln!("building {} from clean ...", subject.label);
    let started = Instant::now();
    let output = Command::new(cargo())
        .current_dir(&subject.dir)
        .args(["build", "--release", "--offline"])
        .args(&subject.args)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let took = started.elapsed();
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("cargo build failed for {}:\n{log}", subject.label));
    }
    let compiled = log
        .lines()
        .filter(|line| line.trim_start().starts_with("Compiling "))
        .count();
    Ok((took, compiled))
}

fn build_cost(root: &Path, repeat: u32) -> Result<String, String> {
    let dir = std::env::temp_dir().join("katapult-build-cost");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let workspace = |label: &str, slug: &str, extra: &[&str]| Subject {
        label: label.to_owned(),
        dir: root.to_path_buf(),
        args: ["-p", "katapult-core"]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect(),
        slug: slug.to_owned(),
    };
    let mut subjects = vec![
        workspace("katapult-core, default features", "katapult-core", &[]),
        workspace(
            "katapult-core, `--no-default-features` (no TLS)",
            "katapult-core-no-tls",
            &["--no-default-features"],
        ),
    ];
    subjects.extend(write_floors(root, &dir)?);

    let mut out = String::new();
    writeln!(out, "## Build cost\n").unwrap();
    writeln!(
        out,
        "Release build from an empty `CARGO_TARGET_DIR` under `{}`, offline, all cores; \
         crates counted with `cargo tree -e normal --prefix none` (deduplicated; the root \
         included) and, in the third column, with build dependencies too. \
         `compiled` counts cargo's `Compiling` lines.\n",
        dir.display()
    )
    .unwrap();
    writeln!(
        out,
        "| subject | crates (`-e normal`) | crates (`-e normal,build`) | compiled | clean release build |"
    )
    .unwrap();
    writeln!(out, "|---|---:|---:|---:|---|").unwrap();
    let mut trees = Vec::new();
    for subject in &subjects {
        let normal = tree(subject, "normal")?;
        let with_build = tree(subject, "normal,build")?;
        let target = dir.join(format!("target-{}", subject.slug));
        let mut times = Vec::new();
        let mut compiled = 0;
        for _ in 0..repeat {
            let (took, count) = clean_build(subject, &target)?;
            times.push(format!("{:.1} s", took.as_secs_f64()));
            compiled = count;
        }
        writeln!(
            out,
            "| {} | {} | {} | {compiled} | {} |",
            subject.label,
            normal.len(),
            with_build.len(),
            times.join(", ")
        )
        .unwrap();
        trees.push(normal);
    }

    // What katapult-core adds over the floor with the same TLS.
    let added: Vec<&String> = trees[0].difference(&trees[2]).collect();
    writeln!(
        out,
        "\nIn katapult-core's tree (default features) and not in the TLS floor's ({}): {}\n",
        added.len(),
        added
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .unwrap();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(
            parse_args(&[]).unwrap(),
            Options {
                run: true,
                skip_bench: false,
                pin: true,
                build_cost: false,
                repeat: 1,
                out: None,
                bench_args: vec![],
            }
        );
        let options = parse_args(&[
            "--no-run",
            "--build-cost",
            "--repeat",
            "2",
            "--out",
            "r.md",
            "--",
            "--measurement-time",
            "20",
        ])
        .unwrap();
        assert!(!options.run && options.build_cost);
        assert_eq!(options.repeat, 2);
        assert_eq!(options.out, Some(PathBuf::from("r.md")));
        assert_eq!(options.bench_args, ["--measurement-time", "20"]);
        assert!(parse_args(&["--repeat", "0"]).is_err());
        assert!(parse_args(&["--bogus"]).is_err());
    }

    #[test]
    fn estimates_and_paired_results_are_read() {
        let estimate = parse_estimate(
            r#"{"mean":{"point_estimate":2.0},"median":{"confidence_interval":
                {"confidence_level":0.95,"lower_bound":990.0,"upper_bound":1010.0},
                "point_estimate":1000.0,"standard_error":3.0}}"#,
        )
        .unwrap();
        assert_eq!(
            estimate,
            Estimate {
                median: 1000.0,
                low: 990.0,
                high: 1010.0
            }
        );
        assert!(parse_estimate("{}").is_err());

        let paired = r#"{"group":"decode","rounds":40,
            "median_ns":{"generated":4.0,"value":8.0},"ratios":[
            {"client":"generated","floor":"value","ratio":0.5,"ci_low":0.4,"ci_high":0.6}]}"#;
        assert_eq!(
            parse_paired(paired, "generated", "value").unwrap(),
            Some(Paired {
                ratio: 0.5,
                low: 0.4,
                high: 0.6,
                rounds: 40,
                client_ns: 4.0,
                floor_ns: 8.0,
            })
        );
        assert_eq!(
            parse_paired(paired, "generated", "hand_written").unwrap(),
            None
        );
    }

    #[test]
    fn targets_and_formatting() {
        assert!(Target::AtMost(1.05).met_by(1.05));
        assert!(!Target::Below(1.0).met_by(1.0));
        assert_eq!(format_ns(225.0), "225.0 ns");
        assert_eq!(format_ns(4_433.0), "4.43 µs");
        assert_eq!(format_ns(2_500_000.0), "2.50 ms");
    }

    #[test]
    fn tree_listings_are_deduplicated() {
        let listing = "katapult-core v0.1.0 (/work/main/crates/katapult-core)\n\
                       bytes v1.12.2\n\
                       http v1.5.0\n\
                       bytes v1.12.2\n\
                       http v1.5.0 (*)\n\
                       serde_derive v1.0.229 (proc-macro)\n";
        let crates = crates_in_tree(listing);
        assert_eq!(crates.len(), 4);
        assert!(crates.contains("http v1.5.0"));
    }

    #[test]
    fn every_comparison_names_two_benchmarks_of_one_group() {
        for c in COMPARISONS {
            assert_ne!(c.client, c.floor, "{}", c.label);
            assert!(["round_trip", "decode", "encode"].contains(&c.group));
        }
    }
}
