//! `cargo xtask drift [--upstream FILE] [--record]`: does Katapult's
//! published OpenAPI document still say what the fragment assumes about
//! each of its operations? `upstream` reads the published side, `normal`
//! and `schema` read both sides into facts, `compare` compares them once,
//! `table` describes each difference, and `departures` sets aside what an
//! `x-departure: Dn` marker declares.

mod compare;
mod departures;
mod normal;
mod schema;
mod table;
mod upstream;

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

pub use self::compare::compare;
pub use self::departures::{Marker, markers};
pub use self::upstream::{Recorded, Stamp, operations, record};

use heck::ToKebabCase;

use crate::fragment::FRAGMENT_PATH;
use crate::problem::{self, Problem};

/// Where `--record` writes the upstream closure of the fragment's
/// operations, relative to the workspace root.
pub const RECORDED_PATH: &str = "openapi/upstream/core-v1-disks.json";
/// The top-level extension of a recorded closure that says where it came from.
pub const RECORDED_KEY: &str = "x-recorded";
/// The extension that declares a departure on a fragment node.
pub const DEPARTURE_KEY: &str = "x-departure";

/// What the comparison found: every difference (declared or not) in the
/// order found, description warnings (never failing) and stale markers (on
/// a node that no longer differs from upstream).
#[derive(Debug, Clone)]
pub struct DriftReport {
    pub fragment_file: String,
    pub upstream_file: String,
    pub upstream_version: String,
    pub upstream_sha256: String,
    pub differences: Vec<Difference>,
    pub warnings: Vec<Warning>,
    pub stale: Vec<Marker>,
}

impl DriftReport {
    /// Differences no `x-departure` marker declares.
    pub fn undeclared(&self) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(|d| d.departures.is_empty())
    }

    /// Differences a marker declares.
    pub fn declared(&self) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(|d| !d.departures.is_empty())
    }

    /// No undeclared difference and no stale departure.
    pub fn is_clean(&self) -> bool {
        self.undeclared().next().is_none() && self.stale.is_empty()
    }

    /// The whole report as text: drift first, then stale departures, the
    /// declared departures one line each, warnings, and a summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let (f, u) = (&self.fragment_file, &self.upstream_file);

        for d in self.undeclared() {
            let absent = match d.presence {
                Presence::UpstreamOnly => " (missing here)",
                _ => "",
            };
            let _ = writeln!(out, "drift[{}]: {}", d.kind.as_str(), d.change);
            let _ = writeln!(out, "  upstream: {u}#{}", d.upstream);
            let _ = writeln!(out, "  fragment: {f}#{}{absent}", d.fragment);
            let _ = writeln!(out, "  edit:     {}", d.edit);
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
        let _ = writeln!(
            out,
            "{} against Katapult {} ({u}, sha256 {}): {undeclared} undeclared difference(s), {}",
            if self.is_clean() { "ok" } else { "FAILED" },
            self.upstream_version,
            short_sha(&self.upstream_sha256),
            self.tally()
        );
        out
    }

    /// The declared, stale and warning counts, for `render` and release-check.
    pub fn tally(&self) -> String {
        let ids: BTreeSet<&String> = self.declared().flat_map(|d| &d.departures).collect();
        format!(
            "{} declared ({} departures), {} stale departure(s), {} description warning(s)",
            self.declared().count(),
            ids.len(),
            self.stale.len(),
            self.warnings.len()
        )
    }
}

/// The first 12 hex digits of a sha256.
pub fn short_sha(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// One way the fragment and upstream differ. `fragment` is the node that
/// differs or where the missing one belongs (where a marker declaring it
/// sits); `departures` are the ids declaring it (none for drift).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub kind: DifferenceKind,
    pub presence: Presence,
    pub fragment: String,
    pub upstream: String,
    pub change: String,
    pub edit: String,
    pub departures: Vec<String>,
}

impl Difference {
    /// Whether an `x-departure` marker may declare it: anything upstream
    /// has and the fragment lacks must be followed, not declared.
    pub fn declarable(&self) -> bool {
        self.presence != Presence::UpstreamOnly
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DifferenceKind {
    Operation,
    Security,
    RequestBody,
    MediaType,
    Parameter,
    Status,
    Header,
    ErrorCode,
    ErrorBody,
    Property,
    Required,
    Type,
    Format,
    Nullable,
    EnumValue,
    Shape,
    Name,
}

impl DifferenceKind {
    /// The kind as printed: `enum-value` in `drift[enum-value]`.
    pub fn as_str(self) -> String {
        format!("{self:?}").to_kebab_case()
    }
}

/// Which side has the thing that differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Presence {
    /// Both sides have it, and they say different things.
    Changed,
    FragmentOnly,
    UpstreamOnly,
}

/// A description that differs (worth a look, never a failure): its JSON
/// pointer on each side, the upstream text and the fragment's, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub fragment: String,
    pub upstream: String,
    pub upstream_text: String,
    pub fragment_text: Option<String>,
}

/// Why `cargo xtask drift` could not compare: bad input, or a failed write.
/// Each names the file (`at`: a node, as `file#pointer`) and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriftError {
    #[error(
        "error: cannot read {file}: {message}\n  \
         fix: give the path of Katapult's published OpenAPI document"
    )]
    Read { file: String, message: String },
    #[error(
        "error: {file} is neither JSON nor YAML\n  as JSON: {json}\n  as YAML: {yaml}\n  \
         fix: give Katapult's OpenAPI document as published (JSON), or a YAML copy of it"
    )]
    Syntax {
        file: String,
        json: String,
        yaml: String,
    },
    #[error(
        "error: {file} is not an OpenAPI 3.0 document: found {found}\n  \
         fix: give Katapult's Core API v1 document, which says `openapi: 3.0.x`"
    )]
    NotOpenApi30 { file: String, found: String },
    #[error(
        "error: {file} has none of the fragment's operations ({operations})\n  \
         fix: give Katapult's Core API v1 document (one it lacks some of is compared, \
         and each one missing reported)"
    )]
    NoOperation { file: String, operations: String },
    #[error(
        "error: {at}: {message}\n  \
         fix: give the complete published document, not an extract of it"
    )]
    Reference { at: String, message: String },
    #[error(
        "error: {at}: the operation's closure is not valid OpenAPI 3.0 here: \
         {message}\n  fix: give Katapult's OpenAPI document as published"
    )]
    Structure { at: String, message: String },
    #[error(
        "error: {at}: `{DEPARTURE_KEY}: {found}` is not a departure id\n  \
         fix: write `{DEPARTURE_KEY}: D<n>` (or a list of them), the id of a \
         `DEPARTURE(D<n>)` comment and of a row in xtask/README.md's departures table"
    )]
    Marker { at: String, found: String },
    #[error(
        "{}\n\n{} problem(s) in the fragment; fix them (see `cargo xtask codegen`) before \
         comparing it with upstream",
        problem::render(.0),
        .0.len()
    )]
    Fragment(Vec<Problem>),
    #[error(
        "error: no recorded upstream closure at {RECORDED_PATH}\n  \
         fix: record one with `cargo xtask drift --upstream <published document> --record`"
    )]
    NotRecorded,
    #[error(
        "error: cannot write {RECORDED_PATH}: {0}\n  nothing was recorded; fix the \
         directory's permissions or free space and run again"
    )]
    Write(String),
}

/// Compares the fragment of the workspace at `root` with `upstream` (a
/// published document), or with the recorded closure when `upstream` is
/// `None`.
pub fn drift(root: &Path, upstream: Option<&Path>) -> Result<DriftReport, DriftError> {
    let recorded = root.join(RECORDED_PATH);
    let (path, file) = match upstream {
        Some(path) => (path, path.display().to_string()),
        None if recorded.is_file() => (recorded.as_path(), RECORDED_PATH.to_owned()),
        None => return Err(DriftError::NotRecorded),
    };
    let (upstream, stamp) = upstream::read(path, &file)?;
    let fragment = fragment(root)?;
    let operations = operations(&fragment);
    let closure = upstream::extract(&upstream, &file, &operations)?;
    let markers = markers(&fragment, FRAGMENT_PATH)?;
    let (mut differences, warnings) = compare::compare(&fragment, &closure, &operations);
    let stale = departures::apply(&mut differences, &markers);
    Ok(DriftReport {
        fragment_file: FRAGMENT_PATH.to_owned(),
        upstream_file: file,
        upstream_version: stamp.katapult_version,
        upstream_sha256: stamp.source_sha256,
        differences,
        warnings,
        stale,
    })
}

/// The fragment of the workspace at `root`, loaded and linted.
fn fragment(root: &Path) -> Result<serde_json::Value, DriftError> {
    let fragment = crate::codegen::prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH);
    Ok(fragment.map_err(DriftError::Fragment)?.document)
}

/// `cargo xtask drift`: prints the report (or the error) and returns the
/// exit status: 0 when every difference is declared and no departure is
/// stale, 1 on undeclared drift or a stale departure, 2 on bad input.
/// With `record`, first records `upstream` (the command line takes
/// `--record` only with `--upstream`), then compares with the recording.
pub fn run(root: &Path, upstream: Option<&Path>, record: bool) -> ExitCode {
    let result = match (upstream, record) {
        (Some(path), true) => self::record(root, path).and_then(|recorded| {
            println!("{}", recorded.summary());
            drift(root, None)
        }),
        _ => drift(root, upstream),
    };
    match result {
        Ok(report) => {
            crate::print_report(&report.render());
            ExitCode::from(u8::from(!report.is_clean()))
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
    }
}
