//! The rate-limit governor's measurement: runs
//! `crates/katapult-core/benches/governor.rs` (jobs against a loopback
//! server with fixed windows, the governor on and off, one client and two
//! client processes, the server's clock on time and 30 s off), keeps the
//! JSON line it prints per job in `target/governor/results.jsonl`, and
//! renders them side by side, judged against the targets of issue 9.

use std::fmt::Write as _;
use std::path::Path;
use std::time::SystemTime;

use serde::Deserialize;

use crate::cargo;

/// Builds and runs the measurement (a few minutes: every job spans about
/// eight windows of two seconds), writing to `out`.
pub(super) fn run(root: &Path, out: &Path) -> Result<(), String> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let bench = ["bench", "-p", "katapult-core", "--bench", "governor"];
    eprintln!(
        "running: cargo {} -- --out {}",
        bench.join(" "),
        out.display()
    );
    let status = cargo(root)
        .args(bench)
        .arg("--")
        .arg("--out")
        .arg(out)
        .status();
    match status.map_err(|e| format!("cannot run cargo: {e}"))? {
        status if !status.success() => Err(format!("the governor measurement failed ({status})")),
        _ => Ok(()),
    }
}

/// One job, as the measurement reported it (one JSON line).
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Job {
    scenario: String,
    governor: bool,
    clients: u64,
    window_s: u64,
    budget: u64,
    updates: u64,
    failed: u64,
    refused: u64,
    most_refused_in_a_window: u64,
    requests: u64,
    wall_s: f64,
    minimum_s: f64,
    ratio: f64,
    measured_at: u64,
    first_error: Option<String>,
}

impl Job {
    /// The limit on wall time / minimum (issue 9, "Measure").
    fn ratio_limit(&self) -> f64 {
        if self.clients > 1 { 1.15 } else { 1.10 }
    }

    fn target(&self) -> String {
        let mut target = format!("0 failed, ratio ≤ {:.2}", self.ratio_limit());
        if self.clients == 1 {
            target.push_str(", ≤ 1 429 per window");
        }
        target
    }

    fn met(&self) -> bool {
        self.failed == 0
            && self.ratio <= self.ratio_limit()
            && (self.clients > 1 || self.most_refused_in_a_window <= 1)
    }
}

/// The governor table from the results at `path`, refusing a file older
/// than `since` (the start of this run, when it ran the measurement).
pub(super) fn render(path: &Path, since: Option<SystemTime>) -> Result<String, String> {
    let text = super::criterion::read_fresh(path, since)?;
    let jobs = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line)
                .map_err(|e| format!("{} line {}: {e}", path.display(), n + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    table(&jobs)
}

fn table(jobs: &[Job]) -> Result<String, String> {
    let first = jobs.first().ok_or("the governor results are empty")?;
    let mut out = String::new();
    writeln!(
        out,
        "## Rate-limit governor (`benches/governor.rs`)\n\n\
         - measured {} (UTC); window {} s, budget {} per window, {} updates per job ({}× the budget)\n\
         - minimum: from the job's start to the start of window k0 + ⌈N/P⌉ − 1 by the server's \
         clock (k0: the window the job started in); ratio = wall time / minimum\n",
        utc(first.measured_at),
        first.window_s,
        first.budget,
        first.updates,
        first.updates / first.budget.max(1),
    )
    .unwrap();
    writeln!(
        out,
        "| job | failed (on / off) | 429 answers, most in one window (on / off) \
         | requests (on / off) | wall / minimum, governor on | ratio on | ratio off \
         | target (governor on) | met |"
    )
    .unwrap();
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---|---|").unwrap();
    let mut scenarios: Vec<&str> = Vec::new();
    for job in jobs {
        if !scenarios.contains(&job.scenario.as_str()) {
            scenarios.push(&job.scenario);
        }
    }
    let mut errors = Vec::new();
    for scenario in scenarios {
        let on = jobs.iter().filter(|j| j.scenario == scenario && j.governor);
        let off: Vec<_> = jobs
            .iter()
            .filter(|j| j.scenario == scenario && !j.governor)
            .collect();
        for (n, on) in on.enumerate() {
            let off = off.get(n).copied();
            let pair = |on: String, off: Option<String>| {
                format!("{on} / {}", off.unwrap_or_else(|| "–".to_owned()))
            };
            writeln!(
                out,
                "| {scenario} | {} | {} | {} | {:.2} s / {:.2} s | {:.3} | {} | {} | {} |",
                pair(on.failed.to_string(), off.map(|o| o.failed.to_string())),
                pair(
                    format!("{}, {}", on.refused, on.most_refused_in_a_window),
                    off.map(|o| format!("{}, {}", o.refused, o.most_refused_in_a_window))
                ),
                pair(on.requests.to_string(), off.map(|o| o.requests.to_string())),
                on.wall_s,
                on.minimum_s,
                on.ratio,
                off.map_or_else(|| "–".to_owned(), |o| format!("{:.3}", o.ratio)),
                on.target(),
                if on.met() { "yes" } else { "no" },
            )
            .unwrap();
            for job in std::iter::once(on).chain(off) {
                if let Some(error) = &job.first_error {
                    errors.push(format!(
                        "{scenario}, governor {}: {error}",
                        if job.governor { "on" } else { "off" }
                    ));
                }
            }
        }
    }
    if !errors.is_empty() {
        writeln!(out, "\nFirst failure of each job that had one:\n").unwrap();
        for error in errors {
            writeln!(out, "- {error}").unwrap();
        }
    }
    Ok(out)
}

/// `2026-08-14 15:52` for Unix seconds.
fn utc(unix: u64) -> String {
    let days = unix / 86_400;
    let seconds = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        scenario: &str,
        governor: bool,
        clients: u64,
        failed: u64,
        most: u64,
        ratio: f64,
    ) -> String {
        format!(
            r#"{{"scenario":"{scenario}","governor":{governor},"clients":{clients},"in_flight":16,"skew_s":0.0,"window_s":2,"budget":25,"updates":200,"failed":{failed},"first_error":{},"requests":203,"refused":3,"most_refused_in_a_window":{most},"windows":8,"wall_s":{},"minimum_s":12.0,"ratio":{ratio},"measured_at":1786722729}}"#,
            if failed > 0 {
                r#""429 rate_limit_reached""#
            } else {
                "null"
            },
            12.0 * ratio
        )
    }

    #[test]
    fn jobs_are_judged_against_the_issues_targets() {
        let jobs: Vec<Job> = [
            line("one client", true, 1, 0, 1, 1.05),
            line("one client", false, 1, 3, 30, 2.0),
            line("two processes", true, 2, 0, 9, 1.12),
            line("two processes", false, 2, 0, 60, 1.9),
            line("one client, late", true, 1, 0, 1, 1.11),
        ]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
        assert!(jobs[0].met() && jobs[2].met());
        assert!(!jobs[4].met(), "1.11 > 1.10 for one client");
        let table = table(&jobs).unwrap();
        assert!(
            table.contains("measured 2026-08-14 15:52 (UTC); window 2 s, budget 25"),
            "{table}"
        );
        assert!(
            table.contains("| one client | 0 / 3 | 3, 1 / 3, 30 | 203 / 203 | 12.60 s / 12.00 s | 1.050 | 2.000 | 0 failed, ratio ≤ 1.10, ≤ 1 429 per window | yes |"),
            "{table}"
        );
        assert!(table.contains("| two processes | 0 / 0 |"), "{table}");
        assert!(table.contains("ratio ≤ 1.15 | yes |"), "{table}");
        assert!(table.contains("| 1.110 | – |"), "{table}");
        assert!(
            table.contains("- one client, governor off: 429 rate_limit_reached"),
            "{table}"
        );
    }

    #[test]
    fn a_malformed_line_names_its_file_and_line() {
        let path =
            std::env::temp_dir().join(format!("xtask-governor-{}.jsonl", std::process::id()));
        std::fs::write(&path, format!("{}\n{{}}\n", line("x", true, 1, 0, 0, 1.0))).unwrap();
        let error = render(&path, None).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert!(
            error.contains("line 2: missing field `scenario`"),
            "{error}"
        );
    }
}
