//! Paired, interleaved measurement of the client/floor ratios.
//!
//! Criterion measures one benchmark after another, so a ratio of two of its
//! medians also measures whatever else the machine did in between: on a
//! shared two-core box another build starting up moves a loopback round
//! trip by 2-5x. Here every side of a comparison runs one short block
//! (same iteration count) per round, in an order that rotates each round;
//! each round gives one ratio of blocks measured milliseconds apart, and the
//! median of those ratios, with a distribution-free 95% confidence interval,
//! is what `cargo xtask bench-report` judges the targets by. Drift that is
//! slow compared with a round cancels out of every ratio.
//!
//! Runs after each criterion group when the binary runs as a benchmark
//! (`--bench`), honours criterion's name filter, and in test mode runs one
//! tiny round as a smoke test. Results go to stdout and, as JSON, to
//! `<criterion home>/paired/<group>.json`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How the binary was started.
#[derive(Debug, Clone)]
pub enum Mode {
    /// `cargo bench`: measure for the given budget per group.
    Bench { filter: Option<String> },
    /// `cargo test` (criterion's test mode): one round, one iteration.
    Test,
    /// `--list` or `--profile-time`: nothing.
    Skip,
}

impl Mode {
    /// Reads the same arguments criterion reads (`--bench`, `--test`,
    /// `--list`, an optional name filter).
    pub fn from_args() -> Mode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let flag = |name: &str| args.iter().any(|arg| arg == name);
        let has_value = |name: &str| {
            args.iter()
                .any(|arg| arg == name || arg.starts_with(&format!("{name}=")))
        };
        if flag("--list") || has_value("--profile-time") {
            return Mode::Skip;
        }
        if !flag("--bench") || flag("--test") {
            return Mode::Test;
        }
        // Criterion's only positional argument is the filter; skip the
        // values of the options that take one.
        let mut filter = None;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg.starts_with("--") {
                if !arg.contains('=') && OPTIONS_WITH_VALUE.contains(&arg.as_str()) {
                    args.next();
                }
            } else {
                filter = Some(arg.clone());
            }
        }
        Mode::Bench { filter }
    }
}

const OPTIONS_WITH_VALUE: &[&str] = &[
    "--color",
    "--save-baseline",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--profile-time",
    "--plotting-backend",
    "--output-format",
    "--format",
];

/// One side of a comparison: runs `iters` calls and returns the time they
/// took (criterion's `iter_custom` contract).
pub struct Side<'a> {
    pub name: &'static str,
    pub run: &'a dyn Fn(u64) -> Duration,
}

/// Measures `sides` interleaved and reports `client / floor` for each pair
/// in `ratios` (names of sides).
pub fn compare(
    mode: &Mode,
    group: &str,
    sides: &[Side<'_>],
    ratios: &[(&str, &str)],
    budget: Duration,
) {
    let (budget, block_time, max_rounds) = match mode {
        Mode::Skip => return,
        Mode::Bench {
            filter: Some(filter),
        } if !sides
            .iter()
            .any(|side| format!("{group}/{}", side.name).contains(filter.as_str())) =>
        {
            return;
        }
        Mode::Bench { .. } => (budget, Duration::from_millis(2), 100_000),
        Mode::Test => (Duration::ZERO, Duration::ZERO, 1),
    };

    // Warm up, and size a block at about `block_time` of the slowest side
    // (by its median call: one preempted call must not set the size).
    let mut warm: Vec<Vec<f64>> = vec![Vec::new(); sides.len()];
    let warm_until = Instant::now() + budget / 10;
    loop {
        for (side, samples) in sides.iter().zip(&mut warm) {
            samples.push((side.run)(1).as_nanos() as f64);
        }
        if Instant::now() >= warm_until {
            break;
        }
    }
    let per_call = warm.into_iter().map(median).fold(1.0, f64::max);
    let iters = ((block_time.as_nanos() as f64 / per_call) as u64).max(1);

    // Rounds: each side one block, the order rotating.
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); sides.len()];
    let until = Instant::now() + budget;
    let mut round = 0;
    while round < max_rounds && (round == 0 || Instant::now() < until) {
        for k in 0..sides.len() {
            let index = (round + k) % sides.len();
            let took = (sides[index].run)(iters);
            times[index].push(took.as_nanos() as f64 / iters as f64);
        }
        round += 1;
    }

    if matches!(mode, Mode::Test) {
        // A call or two per side proves the sides run; no ratio means anything.
        println!("paired {group}: each side ran (test mode, no ratio)");
        return;
    }

    let index_of = |name: &str| {
        sides
            .iter()
            .position(|side| side.name == name)
            .unwrap_or_else(|| panic!("no side named {name}"))
    };
    let mut report = serde_json::Map::new();
    report.insert("group".into(), group.into());
    report.insert("rounds".into(), round.into());
    report.insert("iters_per_block".into(), iters.into());
    let mut medians = serde_json::Map::new();
    for (side, samples) in sides.iter().zip(&times) {
        medians.insert(side.name.into(), median(samples.clone()).into());
    }
    report.insert("median_ns".into(), medians.into());
    let mut pairs = Vec::new();
    for &(client, floor) in ratios {
        let (a, b) = (&times[index_of(client)], &times[index_of(floor)]);
        let ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
        let (low, mid, high) = median_with_ci(ratios);
        println!(
            "paired {group}/{client} / {group}/{floor}: {mid:.3} [{low:.3} {high:.3}] \
             ({round} rounds of {iters})"
        );
        pairs.push(serde_json::json!({
            "client": client,
            "floor": floor,
            "ratio": mid,
            "ci_low": low,
            "ci_high": high,
        }));
    }
    report.insert("ratios".into(), pairs.into());

    let dir = criterion_home().join("paired");
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let text = serde_json::to_string_pretty(&report).expect("JSON");
        std::fs::write(dir.join(format!("{group}.json")), text)
    });
    if let Err(error) = written {
        eprintln!("could not write {}: {error}", dir.display());
    }
}

/// Where criterion writes (the same rule it follows, minus its call to
/// `cargo metadata`: the workspace's `target/` is two levels up).
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion")
}

fn median(samples: Vec<f64>) -> f64 {
    median_with_ci(samples).1
}

/// The median and a distribution-free ~95% confidence interval for it
/// (order statistics at n/2 -/+ 1.96 sqrt(n)/2).
fn median_with_ci(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mid = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    };
    let spread = 1.96 * (n as f64).sqrt() / 2.0;
    let low = ((n as f64 / 2.0 - spread).floor().max(0.0)) as usize;
    let high = ((n as f64 / 2.0 + spread).ceil() as usize).min(n - 1);
    (samples[low], mid, samples[high])
}
