//! The overhead benchmark's section of the report: criterion's median per
//! benchmark (`<home>/<group>/<id>/new/estimates.json`) and the paired
//! measurement's ratios (`<home>/paired/<group>.json`, `paired.rs`), the
//! client/floor ratios the report shows and the target each is held to.
//! Results older than the run are refused: the benchmark that should have
//! written them did not run (filtered out?).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;
use serde::de::DeserializeOwned;

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

/// What this report reads of criterion's `estimates.json`.
#[derive(Deserialize)]
struct Estimates {
    median: Median,
}

#[derive(Deserialize)]
struct Median {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
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
    /// Median time per call of the client side over the rounds, in ns.
    pub client_ns: f64,
    /// Median time per call of the floor side over the rounds, in ns.
    pub floor_ns: f64,
}

/// A `paired/<group>.json`, as `benches/support/paired.rs` writes it.
#[derive(Deserialize)]
struct PairedFile {
    rounds: u64,
    iters_per_block: u64,
    #[serde(default)]
    median_ns: BTreeMap<String, f64>,
    ratios: Vec<Ratio>,
}

#[derive(Deserialize)]
struct Ratio {
    client: String,
    floor: String,
    ratio: f64,
    ci_low: f64,
    ci_high: f64,
}

/// The results under one criterion home, refusing any file older than
/// `since` (the start of this run, when it ran the benchmarks).
pub struct Results {
    pub home: PathBuf,
    pub since: Option<SystemTime>,
}

impl Results {
    /// Criterion's estimate for `group/id`.
    pub fn estimate(&self, group: &str, id: &str) -> Result<Estimate, String> {
        let path = self.home.join(group).join(id).join("new/estimates.json");
        let median = read_json::<Estimates>(&path, self.since)?.median;
        Ok(Estimate {
            median: median.point_estimate,
            low: median.confidence_interval.lower_bound,
            high: median.confidence_interval.upper_bound,
        })
    }

    /// The paired ratio `client / floor` of `group`, if it was measured.
    pub fn paired(&self, group: &str, client: &str, floor: &str) -> Result<Option<Paired>, String> {
        let path = self.paired_path(group);
        if !path.exists() {
            return Ok(None);
        }
        let file = read_json::<PairedFile>(&path, self.since)?;
        let median = |side: &str| file.median_ns.get(side).copied().unwrap_or(f64::NAN);
        let ratio = file
            .ratios
            .iter()
            .find(|r| r.client == client && r.floor == floor);
        Ok(ratio.map(|r| Paired {
            ratio: r.ratio,
            low: r.ci_low,
            high: r.ci_high,
            client_ns: median(client),
            floor_ns: median(floor),
        }))
    }

    /// `"<group>: N rounds of M calls per side"` for each group whose paired
    /// results are there.
    pub fn paired_rounds(&self, groups: &[&str]) -> Vec<String> {
        let rounds = |group: &&str| {
            let file = read_json::<PairedFile>(&self.paired_path(group), None).ok()?;
            Some(format!(
                "{group}: {} rounds of {} calls per side",
                file.rounds, file.iters_per_block
            ))
        };
        groups.iter().filter_map(rounds).collect()
    }

    fn paired_path(&self, group: &str) -> PathBuf {
        self.home.join("paired").join(format!("{group}.json"))
    }
}

/// The JSON file at `path`, read with [`read_fresh`].
fn read_json<T: DeserializeOwned>(path: &Path, since: Option<SystemTime>) -> Result<T, String> {
    let text = read_fresh(path, since)?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The file's text, unless it predates `since`: then the benchmark that
/// should have written it did not run. (The governor's results are read the
/// same way.)
pub fn read_fresh(path: &Path, since: Option<SystemTime>) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e} (run the benchmarks first)",
            path.display()
        )
    })?;
    let modified = std::fs::metadata(path).and_then(|m| m.modified());
    match since {
        Some(since) if modified.map_err(|e| e.to_string())? < since => Err(format!(
            "{} predates this run: the benchmark did not run (filtered out?)",
            path.display()
        )),
        _ => Ok(text),
    }
}

/// The limit a ratio is held to: `ratio <= limit`, or when `strict`,
/// `ratio < limit`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Target {
    limit: f64,
    strict: bool,
}

impl Target {
    fn met_by(self, ratio: f64) -> bool {
        ratio < self.limit || (!self.strict && ratio == self.limit)
    }

    fn describe(self) -> String {
        format!("{} {:.2}", if self.strict { "<" } else { "≤" }, self.limit)
    }
}

/// One client/floor ratio the report shows and judges.
#[derive(Debug, Clone, Copy)]
struct Comparison {
    /// What the row measures.
    label: &'static str,
    /// Criterion group.
    group: &'static str,
    /// The benchmark on top of the ratio.
    client: &'static str,
    /// The benchmark below it.
    floor: &'static str,
    /// The limit.
    target: Target,
}

/// The criterion groups of `benches/overhead.rs`.
const GROUPS: [&str; 3] = ["round_trip", "decode", "encode"];

/// `ratio <= limit`.
const fn at_most(limit: f64) -> Target {
    Target {
        limit,
        strict: false,
    }
}

/// `ratio < limit`.
const fn below(limit: f64) -> Target {
    Target {
        limit,
        strict: true,
    }
}

/// The row `label`: `client / floor` of criterion group `group`.
const fn row(
    label: &'static str,
    group: &'static str,
    [client, floor]: [&'static str; 2],
    target: Target,
) -> Comparison {
    Comparison {
        label,
        group,
        client,
        floor,
        target,
    }
}

/// The rows of the report, in order: label, criterion group, [client, floor], target.
#[rustfmt::skip]
const COMPARISONS: &[Comparison] = &[
    row("round trip: SDK (default retry policy) / bare reqwest", "round_trip", ["sdk", "floor"], at_most(1.05)),
    row("round trip: SDK (`RetryPolicy::none()`) / bare reqwest", "round_trip", ["sdk_no_retry", "floor"], at_most(1.05)),
    row("retry policy on the success path: default / none", "round_trip", ["sdk", "sdk_no_retry"], at_most(1.02)),
    row("decode: generated / hand-written struct", "decode", ["generated", "hand_written"], at_most(1.10)),
    row("decode: generated / `serde_json::Value`", "decode", ["generated", "value"], below(1.0)),
    row("encode: generated / hand-written struct", "encode", ["generated", "hand_written"], at_most(1.05)),
];

/// Formats nanoseconds for people.
fn format_ns(ns: f64) -> String {
    match ns {
        ns if ns >= 1_000_000.0 => format!("{:.2} ms", ns / 1_000_000.0),
        ns if ns >= 1_000.0 => format!("{:.2} µs", ns / 1_000.0),
        ns => format!("{ns:.1} ns"),
    }
}

/// The section: the comparisons table, every benchmark's estimate and the
/// paired measurement's size, as markdown.
pub fn render(results: &Results) -> Result<String, String> {
    let mut out =
        String::from("## The SDK against the hand-written floor (`benches/overhead.rs`)\n\n");
    let _ = writeln!(out, "- criterion results: `{}`\n", results.home.display());
    out.push_str(
        "| comparison | criterion medians (client / floor) | ratio of criterion medians \
         | paired medians (client / floor) | paired ratio [95% CI] | target | met |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
    );
    let mut seen = BTreeSet::new();
    for c in COMPARISONS {
        let (client, floor) = (
            results.estimate(c.group, c.client)?,
            results.estimate(c.group, c.floor)?,
        );
        seen.extend([(c.group, c.client), (c.group, c.floor)]);
        let of_medians = client.median / floor.median;
        let pair = results.paired(c.group, c.client, c.floor)?;
        let (judged, paired_medians, paired_cell) = match pair {
            Some(p) => (
                p.ratio,
                format!("{} / {}", format_ns(p.client_ns), format_ns(p.floor_ns)),
                format!("{:.3} [{:.3}, {:.3}]", p.ratio, p.low, p.high),
            ),
            None => (of_medians, "–".to_owned(), "–".to_owned()),
        };
        let spans = pair.is_some_and(|p| p.low <= c.target.limit && c.target.limit <= p.high);
        let met = if c.target.met_by(judged) { "yes" } else { "no" };
        let met = if spans {
            format!("{met} (CI spans the target)")
        } else {
            met.to_owned()
        };
        let _ = writeln!(
            out,
            "| {} | {} / {} | {of_medians:.3} | {paired_medians} | {paired_cell} | {} | {met} |",
            c.label,
            format_ns(client.median),
            format_ns(floor.median),
            c.target.describe(),
        );
    }

    out.push_str("\nEvery benchmark (criterion median per call, 95% CI):\n\n| benchmark | median | 95% CI |\n|---|---:|---|\n");
    for (group, id) in &seen {
        let e = results.estimate(group, id)?;
        let (median, low, high) = (format_ns(e.median), format_ns(e.low), format_ns(e.high));
        let _ = writeln!(out, "| `{group}/{id}` | {median} | {low} – {high} |");
    }
    let rounds = results.paired_rounds(&GROUPS);
    if !rounds.is_empty() {
        let _ = writeln!(out, "\nPaired measurement: {}.", rounds.join("; "));
    }
    Ok(out)
}

// Run by tests/it/bench_tables.rs; a bench target, built as a test, has no
// harness to run them.
#[cfg(test)]
#[allow(dead_code, unused_imports)]
mod tests {
    use super::*;

    #[test]
    fn estimates_and_paired_results_are_read() {
        let home = std::env::temp_dir().join(format!("xtask-criterion-{}", std::process::id()));
        let write = |path: &str, json: &str| {
            let path = home.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, json).unwrap();
        };
        write(
            "decode/generated/new/estimates.json",
            r#"{"mean":{"point_estimate":2.0},"median":{"confidence_interval":
                {"confidence_level":0.95,"lower_bound":990.0,"upper_bound":1010.0},
                "point_estimate":1000.0,"standard_error":3.0}}"#,
        );
        write("decode/value/new/estimates.json", "{}");
        write(
            "paired/decode.json",
            r#"{"group":"decode","rounds":40,"iters_per_block":10,
            "median_ns":{"generated":4.0,"value":8.0},"ratios":[
            {"client":"generated","floor":"value","ratio":0.5,"ci_low":0.4,"ci_high":0.6}]}"#,
        );
        let results = Results {
            home: home.clone(),
            since: None,
        };
        let estimate = results.estimate("decode", "generated");
        let malformed = results.estimate("decode", "value");
        let paired = results.paired("decode", "generated", "value");
        let other = results.paired("decode", "generated", "hand_written");
        let rounds = results.paired_rounds(&["decode", "encode"]);
        let _ = std::fs::remove_dir_all(&home);

        let expected = Estimate {
            median: 1000.0,
            low: 990.0,
            high: 1010.0,
        };
        assert_eq!(estimate.unwrap(), expected);
        assert!(malformed.unwrap_err().contains("missing field `median`"));
        let expected = Paired {
            ratio: 0.5,
            low: 0.4,
            high: 0.6,
            client_ns: 4.0,
            floor_ns: 8.0,
        };
        assert_eq!(paired.unwrap(), Some(expected));
        assert_eq!(other.unwrap(), None);
        assert_eq!(rounds, ["decode: 40 rounds of 10 calls per side"]);
    }

    #[test]
    fn targets_and_formatting() {
        assert!(at_most(1.05).met_by(1.05));
        assert!(!below(1.0).met_by(1.0));
        assert_eq!(COMPARISONS[4].target.describe(), "< 1.00");
        assert_eq!(COMPARISONS[0].target.describe(), "≤ 1.05");
        assert_eq!(format_ns(225.0), "225.0 ns");
        assert_eq!(format_ns(4_433.0), "4.43 µs");
        assert_eq!(format_ns(2_500_000.0), "2.50 ms");
    }

    #[test]
    fn the_table_has_a_row_per_comparison_and_judges_the_paired_ratio() {
        let home = std::env::temp_dir().join(format!("xtask-table-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        for c in COMPARISONS {
            for id in [c.client, c.floor] {
                let dir = home.join(c.group).join(id).join("new");
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(
                    dir.join("estimates.json"),
                    r#"{"median":{"point_estimate":1000.0,
                        "confidence_interval":{"lower_bound":990.0,"upper_bound":1010.0}}}"#,
                )
                .unwrap();
            }
        }
        std::fs::create_dir_all(home.join("paired")).unwrap();
        std::fs::write(
            home.join("paired/round_trip.json"),
            r#"{"rounds":40,"iters_per_block":100,"median_ns":{"sdk":1100.0,"floor":1000.0},
                "ratios":[{"client":"sdk","floor":"floor","ratio":1.1,"ci_low":1.0,"ci_high":1.2}]}"#,
        )
        .unwrap();

        let results = Results {
            home: home.clone(),
            since: None,
        };
        let table = render(&results);
        let _ = std::fs::remove_dir_all(&home);
        let table = table.unwrap();
        for c in COMPARISONS {
            assert!(table.contains(&format!("| {} |", c.label)), "{table}");
        }
        assert!(
            table.contains(
                "| 1.10 µs / 1.00 µs | 1.100 [1.000, 1.200] | ≤ 1.05 | no (CI spans the target) |"
            ),
            "{table}"
        );
        assert!(
            table.contains("Paired measurement: round_trip: 40 rounds of 100 calls per side."),
            "{table}"
        );
    }

    #[test]
    fn every_comparison_names_two_benchmarks_of_one_group() {
        for c in COMPARISONS {
            assert_ne!(c.client, c.floor, "{}", c.label);
            assert!(GROUPS.contains(&c.group));
        }
    }
}
