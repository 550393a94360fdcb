//! The comparison, once: a fact both sides have with different values, or
//! one side has below a fact both have, is a finding, and the table turns
//! each into a difference. Grouped findings become one difference, and one
//! found twice (a schema several operations use) is kept once.

use indexmap::IndexMap;
use serde_json::Value;

use super::normal::{Fact, Facts, What};
use super::table;
use super::{Difference, Presence, Warning};

/// A fact that differs, with where it stands on each side.
pub(super) struct Found<'x, 'a> {
    pub presence: Presence,
    /// The fragment's fact, or, when only upstream has it, the fragment's
    /// fact above where it belongs.
    pub f: &'x Fact<'a>,
    /// The upstream fact, or the one above where it belongs.
    pub u: &'x Fact<'a>,
    pub fragment: &'x Facts<'a>,
    pub upstream: &'x Facts<'a>,
}

impl<'a> Found<'_, 'a> {
    /// The fact that differs: the upstream one unless only the fragment
    /// has it.
    pub fn fact(&self) -> &Fact<'a> {
        match self.presence {
            Presence::FragmentOnly => self.f,
            Presence::Changed | Presence::UpstreamOnly => self.u,
        }
    }
}

/// Compares the fragment with the upstream closure, over the operations at
/// `operations` (the fragment's): every difference (not yet matched with
/// departures) and every description warning.
pub fn compare(
    fragment: &Value,
    upstream: &Value,
    operations: &[String],
) -> (Vec<Difference>, Vec<Warning>) {
    let f = Facts::read(fragment, operations);
    let u = Facts::read(upstream, operations);
    let found = |presence, f_fact, u_fact| Found {
        presence,
        f: f_fact,
        u: u_fact,
        fragment: &f,
        upstream: &u,
    };
    let mut findings = Vec::new();
    let mut warnings = IndexMap::new();
    for (path, theirs) in &u.by_path {
        match f.by_path.get(path) {
            Some(ours) if ours.what == What::Description => {
                // One warning per fragment text and upstream text, however
                // many upstream copies say it.
                if let Some(warning) = description(ours, theirs) {
                    let said = (warning.fragment.clone(), warning.upstream_text.clone());
                    warnings.entry(said).or_insert(warning);
                }
            }
            Some(ours) if differs(ours, theirs) => {
                findings.push(found(Presence::Changed, ours, theirs))
            }
            Some(_) => {}
            None => {
                if let Some(ours) = above(path, &u, &f) {
                    findings.push(found(Presence::UpstreamOnly, ours, theirs));
                }
            }
        }
    }
    for (path, ours) in &f.by_path {
        if !u.by_path.contains_key(path)
            && let Some(theirs) = above(path, &f, &u)
        {
            findings.push(found(Presence::FragmentOnly, ours, theirs));
        }
    }

    // One difference per finding, except that a finding the table groups
    // (whether it does depends on its kind and side alone) joins the first
    // of its kind at its fragment node, and one found again (a schema
    // reached through two uses, or through several operations) is the same
    // difference.
    let mut rows = IndexMap::new();
    for finding in &findings {
        let Some((difference, group)) = table::row(finding, &[]) else {
            continue;
        };
        let kind = (finding.fact().what, finding.presence);
        let change = group.is_none().then_some(difference.change);
        let row = rows.entry((kind, difference.fragment, change));
        let (_, items): &mut (_, Vec<String>) = row.or_insert((finding, Vec::new()));
        if let Some(item) = group.filter(|item| !items.contains(item)) {
            items.push(item);
        }
    }
    // Described again, now with the list of a grouped difference gathered.
    let rows = rows.into_values();
    let differences = rows.filter_map(|(first, items)| Some(table::row(first, &items)?.0));
    (differences.collect(), warnings.into_values().collect())
}

/// For a fact on one side only: the nearest fact above it on the other
/// side, if every fact above it on its own side is there too (otherwise a
/// difference higher up already says it).
fn above<'x, 'a>(path: &str, own: &Facts<'a>, other: &'x Facts<'a>) -> Option<&'x Fact<'a>> {
    let mut nearest = None;
    let mut at = path;
    while let Some(end) = at.rfind('/') {
        at = &at[..end];
        if own.by_path.contains_key(at) {
            nearest = nearest.or(Some(other.by_path.get(at)?));
        }
    }
    nearest
}

/// Whether two facts at the same path say different things.
fn differs(f: &Fact<'_>, u: &Fact<'_>) -> bool {
    // Only a name on both sides can differ: an inline schema that generates
    // no type has none to compare.
    let unnamed = f.what == What::Name && (f.value.is_null() || u.value.is_null());
    !unnamed && f.value != u.value
}

/// A warning when upstream has a description and the fragment says
/// something else (whitespace aside: YAML folds long lines).
fn description(f: &Fact<'_>, u: &Fact<'_>) -> Option<Warning> {
    let normalize = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let upstream = u.value.as_str().filter(|text| !text.trim().is_empty())?;
    let fragment = f.value.as_str();
    (fragment.map(normalize) != Some(normalize(upstream))).then(|| Warning {
        fragment: f.at.clone(),
        upstream: u.at.clone(),
        upstream_text: upstream.to_owned(),
        fragment_text: fragment.map(str::to_owned),
    })
}
