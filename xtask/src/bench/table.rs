//! The benchmark table: which client/floor ratios the report shows, the
//! target each is held to, and the markdown.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::criterion::Results;

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

/// The comparisons table, every benchmark's estimate and the paired
/// measurement's size, as markdown. `load`: the load average before and
/// after the run, when this run ran the benchmarks.
pub(super) fn render(results: &Results, load: Option<(String, String)>) -> Result<String, String> {
    let mut out = String::new();
    if let Some((before, after)) = load {
        let _ = writeln!(
            out,
            "- load average (1 min) before / after the run: {before} / {after}"
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let table = render(&results, None);
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
