//! Declared departures: `x-departure: Dn` (or `[Dn, ...]`) on a fragment
//! node declares the differences reported at that node. They back the
//! `DEPARTURE(Dn)` comments and README.md's table, which a test keeps in
//! step with them.

use serde_json::Value;

use super::{DEPARTURE_KEY, Difference, DriftError, DriftReport, Presence};
use crate::doc::{self, child};

/// One `x-departure` marker: the marked node, and the departure ids on it
/// (`D8`) in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub pointer: String,
    pub ids: Vec<String>,
}

/// Every `x-departure` marker in `document` (named `file` in errors), in
/// document order. A value that is not `Dn` or a list of them is an error.
pub fn markers(document: &Value, file: &str) -> Result<Vec<Marker>, DriftError> {
    let marked = doc::nodes(document, "").into_iter();
    let marked = marked.filter_map(|(at, node)| Some((at, node.get(DEPARTURE_KEY)?)));
    let marker = |(at, value): (String, &Value)| {
        let bad = || DriftError::Marker {
            file: file.to_owned(),
            pointer: child(&at, DEPARTURE_KEY),
            found: value.to_string(),
        };
        let ids: Vec<String> = match value {
            Value::String(id) => vec![id.clone()],
            Value::Array(ids) if !ids.is_empty() => {
                let ids = ids.iter().map(|id| id.as_str().map(str::to_owned));
                ids.collect::<Option<_>>().ok_or_else(bad)?
            }
            _ => return Err(bad()),
        };
        match ids.iter().all(|id| is_departure_id(id)) {
            true => Ok(Marker { pointer: at, ids }),
            false => Err(bad()),
        }
    };
    marked.map(marker).collect()
}

/// `D` and digits.
fn is_departure_id(id: &str) -> bool {
    id.strip_prefix('D')
        .is_some_and(|digits| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
}

/// Matches differences with markers: a declarable difference reported at a
/// marked node takes the marker's ids; a marker on a node with no such
/// difference is stale, unless it sits inside a node upstream lacks as a
/// whole (an operation Katapult removed): that difference says it.
pub(super) fn apply(report: &mut DriftReport, markers: &[Marker]) {
    for difference in &mut report.differences {
        if !difference.declarable() {
            continue;
        }
        if let Some(marker) = markers.iter().find(|m| m.pointer == difference.fragment) {
            difference.departures = marker.ids.clone();
        }
    }
    for marker in markers {
        let inside = |d: &Difference| {
            d.presence == Presence::FragmentOnly
                && marker.pointer.starts_with(&format!("{}/", d.fragment))
        };
        let used = report
            .differences
            .iter()
            .any(|d| (d.declarable() && d.fragment == marker.pointer) || inside(d));
        if !used {
            report.stale.push(marker.clone());
        }
    }
}
