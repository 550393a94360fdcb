//! Declared departures: `x-departure: Dn` (or `[Dn, ...]`) on a fragment
//! node declares the differences reported at that node. They back the
//! `DEPARTURE(Dn)` comments and README.md's table, which a test keeps in
//! step with them.

use serde_json::Value;

use super::{DEPARTURE_KEY, Difference, DriftError, Presence};
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
        let listed = value
            .as_array()
            .map_or(std::slice::from_ref(value), Vec::as_slice);
        let id = |id: &Value| Some(id.as_str().filter(|id| is_departure_id(id))?.to_owned());
        match listed.iter().map(id).collect::<Option<Vec<_>>>() {
            Some(ids) if !ids.is_empty() => Ok(Marker { pointer: at, ids }),
            _ => Err(DriftError::Marker {
                at: format!("{file}#{}", child(&at, DEPARTURE_KEY)),
                found: value.to_string(),
            }),
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
/// whole (an operation Katapult removed): that difference says it. Returns
/// the stale markers.
pub(super) fn apply(differences: &mut [Difference], markers: &[Marker]) -> Vec<Marker> {
    let declares = |d: &Difference, marker: &Marker| d.declarable() && d.fragment == marker.pointer;
    for difference in differences.iter_mut() {
        if let Some(marker) = markers.iter().find(|m| declares(difference, m)) {
            difference.departures = marker.ids.clone();
        }
    }
    let used = |marker: &&Marker| {
        let inside = |d: &Difference| {
            d.presence == Presence::FragmentOnly
                && marker.pointer.starts_with(&format!("{}/", d.fragment))
        };
        differences.iter().any(|d| declares(d, marker) || inside(d))
    };
    markers.iter().filter(|m| !used(m)).cloned().collect()
}
