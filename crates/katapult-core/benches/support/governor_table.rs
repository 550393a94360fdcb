//! The governor measurement's section of the report (`governor.rs` prints
//! one JSON line per job): each scenario with the governor on and off side
//! by side, judged against the targets of issue 9.

use std::fmt::Write as _;

use serde::Deserialize;

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

/// The section from the measurement's JSON lines (one per job).
pub fn render(lines: &[serde_json::Value]) -> Result<String, String> {
    let jobs = lines
        .iter()
        .enumerate()
        .map(|(n, line)| Job::deserialize(line).map_err(|e| format!("governor job {}: {e}", n + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    table(&jobs)
}

fn table(jobs: &[Job]) -> Result<String, String> {
    let first = jobs.first().ok_or("the governor results are empty")?;
    let mut out = String::new();
    writeln!(
        out,
        "## Rate-limit governor (`benches/governor.rs`)\n\n\
         - measured {}; window {} s, budget {} per window, {} updates per job ({}× the budget)\n\
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

/// `Fri, 14 Aug 2026 15:52:09 GMT` for Unix seconds.
fn utc(unix: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix))
}

// Run by tests/it/bench_tables.rs; a bench target, built as a test, has no
// harness to run them.
#[cfg(test)]
#[allow(dead_code, unused_imports)]
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
            table.contains("measured Fri, 14 Aug 2026 15:52:09 GMT; window 2 s, budget 25"),
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
    fn a_malformed_line_names_its_job() {
        let lines = [
            serde_json::from_str(&line("x", true, 1, 0, 0, 1.0)).unwrap(),
            serde_json::json!({}),
        ];
        let error = render(&lines).unwrap_err();
        assert!(error.contains("job 2: missing field `scenario`"), "{error}");
    }
}
