//! The report as text: what fails first (drift, stale departures), then
//! what is declared, then warnings, then one summary line.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::{DriftReport, Presence};
use crate::api_change::Severity;

/// Renders `report`.
pub(super) fn report(report: &DriftReport) -> String {
    let mut out = String::new();
    let f = &report.fragment_file;
    let u = &report.upstream_file;

    for d in report.undeclared() {
        let absent = if d.presence == Presence::UpstreamOnly {
            " (missing here)"
        } else {
            ""
        };
        let _ = writeln!(out, "drift[{}]: {}", d.kind.as_str(), d.change);
        let _ = writeln!(out, "  upstream: {u}#{}", d.upstream);
        let _ = writeln!(out, "  fragment: {f}#{}{absent}", d.fragment);
        let _ = writeln!(out, "  edit:     {}", d.edit);
        let _ = writeln!(out, "  api:      {}: {}", d.impact.as_str(), d.impact.note);
        if d.declarable() {
            let _ = writeln!(
                out,
                "  or, if the fragment departs on purpose: `x-departure: D<n>` on that node, \
                 with a DEPARTURE(D<n>) comment and a row in xtask/README.md"
            );
        }
        out.push('\n');
    }
    for stale in &report.stale {
        let ids = stale.ids.join(", ");
        let _ = writeln!(
            out,
            "stale[{ids}]: {f}#{}\n  declared, but this node no longer differs from upstream\n  \
             fix: remove `x-departure` here, and the DEPARTURE({ids}) comment and xtask/README.md row \
             if nothing else carries {ids}\n",
            stale.pointer
        );
    }
    for d in report.declared() {
        let _ = writeln!(
            out,
            "declared {}: {}#{}: {}",
            d.departures.join(", "),
            f,
            d.fragment,
            d.change
        );
    }
    if report.declared().next().is_some() {
        out.push('\n');
    }
    for w in &report.warnings {
        let _ = writeln!(
            out,
            "warning[description]: {f}#{}\n  upstream ({u}#{}): {:?}\n  fragment: {}",
            w.fragment,
            w.upstream,
            w.upstream_text,
            w.fragment_text
                .as_deref()
                .map_or_else(|| "none".to_owned(), |t| format!("{t:?}"))
        );
    }
    if !report.warnings.is_empty() {
        out.push('\n');
    }

    let undeclared = report.undeclared().count();
    let breaking = report
        .undeclared()
        .filter(|d| d.impact.severity == Some(Severity::Breaking))
        .count();
    let ids: BTreeSet<&String> = report.declared().flat_map(|d| &d.departures).collect();
    let _ = writeln!(
        out,
        "{} against Katapult {} ({u}, sha256 {}): {undeclared} undeclared difference(s){}, \
         {} declared ({} departures), {} stale departure(s), {} description warning(s)",
        if report.is_clean() { "ok" } else { "FAILED" },
        report.upstream_version,
        short(&report.upstream_sha256),
        if undeclared > 0 {
            format!(" ({breaking} breaking)")
        } else {
            String::new()
        },
        report.declared().count(),
        ids.len(),
        report.stale.len(),
        report.warnings.len()
    );
    out
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
