//! Reading what the benchmark wrote: criterion's `estimates.json` per
//! benchmark and the paired measurement's `paired/<group>.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Criterion's median for one benchmark, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Estimate {
    /// Point estimate.
    pub(super) median: f64,
    /// 95% confidence interval.
    pub(super) low: f64,
    /// 95% confidence interval.
    pub(super) high: f64,
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
pub(super) struct Paired {
    /// Median of the per-round ratios.
    pub(super) ratio: f64,
    /// Distribution-free 95% confidence interval of that median.
    pub(super) low: f64,
    /// Distribution-free 95% confidence interval of that median.
    pub(super) high: f64,
    /// Median time per call of the client side over the rounds, in ns.
    pub(super) client_ns: f64,
    /// Median time per call of the floor side over the rounds, in ns.
    pub(super) floor_ns: f64,
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

/// Where a benchmark writes: `$CARGO_TARGET_DIR/<name>` or `target/<name>`.
pub(super) fn target_path(root: &Path, name: &str) -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    target.join(name)
}

/// The results under one criterion home, refusing any file older than
/// `since` (the start of this run, when it ran the benchmarks).
pub(super) struct Results {
    pub(super) home: PathBuf,
    pub(super) since: Option<SystemTime>,
}

impl Results {
    /// Criterion's estimate for `group/id`.
    pub(super) fn estimate(&self, group: &str, id: &str) -> Result<Estimate, String> {
        let path = self.home.join(group).join(id).join("new/estimates.json");
        let median = read_json::<Estimates>(&path, self.since)?.median;
        Ok(Estimate {
            median: median.point_estimate,
            low: median.confidence_interval.lower_bound,
            high: median.confidence_interval.upper_bound,
        })
    }

    /// The paired ratio `client / floor` of `group`, if it was measured.
    pub(super) fn paired(
        &self,
        group: &str,
        client: &str,
        floor: &str,
    ) -> Result<Option<Paired>, String> {
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
    pub(super) fn paired_rounds(&self, groups: &[&str]) -> Vec<String> {
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
pub(super) fn read_fresh(path: &Path, since: Option<SystemTime>) -> Result<String, String> {
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

#[cfg(test)]
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
}
