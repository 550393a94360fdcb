//! The report as text: what fails first (drift, stale departures), then
//! what is declared, then warnings, then one summary line.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::{Difference, DriftReport, Presence};
use crate::api_change::Severity;

impl DriftReport {
    /// The whole report as text: drift first, then stale departures, the
    /// declared departures one line each, warnings, and a summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let (f, u) = (&self.fragment_file, &self.upstream_file);

        for d in self.undeclared() {
            let absent = (d.presence == Presence::UpstreamOnly).then_some(" (missing here)");
            let _ = writeln!(out, "drift[{}]: {}", d.kind.as_str(), d.change);
            let _ = writeln!(out, "  upstream: {u}#{}", d.upstream);
            let _ = writeln!(
                out,
                "  fragment: {f}#{}{}",
                d.fragment,
                absent.unwrap_or("")
            );
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
        for stale in &self.stale {
            let ids = stale.ids.join(", ");
            let _ = writeln!(
                out,
                "stale[{ids}]: {f}#{}\n  declared, but this node no longer differs from upstream\n  \
             fix: remove `x-departure` here, and the DEPARTURE({ids}) comment and xtask/README.md row \
             if nothing else carries {ids}\n",
                stale.pointer
            );
        }
        for d in self.declared() {
            let ids = d.departures.join(", ");
            let _ = writeln!(out, "declared {ids}: {f}#{}: {}", d.fragment, d.change);
        }
        if self.declared().next().is_some() {
            out.push('\n');
        }
        for w in &self.warnings {
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
        if !self.warnings.is_empty() {
            out.push('\n');
        }

        let undeclared = self.undeclared().count();
        let breaking = |d: &&Difference| d.impact.severity == Some(Severity::Breaking);
        let breaking_note = match self.undeclared().filter(breaking).count() {
            _ if undeclared == 0 => String::new(),
            breaking => format!(" ({breaking} breaking)"),
        };
        let ids: BTreeSet<&String> = self.declared().flat_map(|d| &d.departures).collect();
        let _ = writeln!(
            out,
            "{} against Katapult {} ({u}, sha256 {}): {undeclared} undeclared difference(s){}, \
         {} declared ({} departures), {} stale departure(s), {} description warning(s)",
            if self.is_clean() { "ok" } else { "FAILED" },
            self.upstream_version,
            self.upstream_sha256
                .get(..12)
                .unwrap_or(&self.upstream_sha256),
            breaking_note,
            self.declared().count(),
            ids.len(),
            self.stale.len(),
            self.warnings.len()
        );
        out
    }
}
