//! Reading what the benchmark wrote: criterion's `estimates.json` per
//! benchmark and the paired measurement's `paired/<group>.json`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

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

/// Where criterion writes: `$CARGO_TARGET_DIR/criterion` or `target/criterion`.
pub(super) fn criterion_home(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("criterion")
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
        parse_estimate(&read_fresh(&path, self.since)?)
            .map_err(|e| format!("{}: {e}", path.display()))
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
        parse_paired(&read_fresh(&path, self.since)?, client, floor)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// `"<group>: N rounds of M calls per side"` for each group whose paired
    /// results are there.
    pub(super) fn paired_rounds(&self, groups: &[&str]) -> Vec<String> {
        groups
            .iter()
            .filter_map(|group| {
                let text = std::fs::read_to_string(self.paired_path(group)).ok()?;
                let value: Value = serde_json::from_str(&text).ok()?;
                Some(format!(
                    "{group}: {} rounds of {} calls per side",
                    value["rounds"], value["iters_per_block"]
                ))
            })
            .collect()
    }

    fn paired_path(&self, group: &str) -> PathBuf {
        self.home.join("paired").join(format!("{group}.json"))
    }
}

/// Reads `median` from a criterion `estimates.json`.
fn parse_estimate(json: &str) -> Result<Estimate, String> {
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

/// Reads one ratio from a `paired/<group>.json`.
fn parse_paired(json: &str, client: &str, floor: &str) -> Result<Option<Paired>, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
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
                client_ns: median(client),
                floor_ns: median(floor),
            })
        }))
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

#[cfg(test)]
mod tests {
    use super::*;

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
                client_ns: 4.0,
                floor_ns: 8.0,
            })
        );
        assert_eq!(
            parse_paired(paired, "generated", "hand_written").unwrap(),
            None
        );
    }
}
