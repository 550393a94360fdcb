//! `cargo xtask drift [--upstream FILE] [--record]`: does Katapult's
//! published OpenAPI document still say what the fragment assumes about
//! each of the fragment's operations?
//!
//! - **upstream** (`upstream.rs`): a published document (JSON or YAML) is
//!   read with [`crate::doc`], and the closure of the fragment's operations
//!   (each operation at the fragment's method and path, and everything they
//!   reference) extracted; the document's other operations are left out (the
//!   fragment is a subset). `--record` writes that closure, with the
//!   document's version, sha256 and where it is served, to [`RECORDED_PATH`]
//!   (`record.rs`: through a temporary file renamed into place, so a failed
//!   run never leaves half a file).
//! - **normalising** (`normal.rs`): each side is read the same way into
//!   facts named by what they mean rather than where they are written:
//!   operations paired by method and path (an operation upstream lacks is a
//!   difference), references inlined (so a renamed schema meets its upstream
//!   original by position, and the eight upstream copies of the disk each
//!   meet the one `Disk`), error responses paired by code (the fragment
//!   wraps every error in one envelope around one union, upstream gives
//!   each status its own schema), a type's or a shape's subtree under that
//!   type or shape.
//! - **comparing** (`compare.rs`): one pass over both sets of facts; a fact
//!   on one side only, or with another value, is a difference, and one
//!   table (`table.rs`) says what kind it is, where to report it, which edit
//!   follows upstream and what that edit does to the generated API. That
//!   last answer comes from the one judge of API breakage,
//!   [`crate::api_change::severity`]. A difference found again (a schema
//!   several operations use) is one difference. A changed description is a
//!   warning.
//! - **departures** (`departures.rs`): a difference is declared when the
//!   fragment node it is reported at carries `x-departure: Dn` (or a list);
//!   that is how a difference is set aside. Something upstream has and the
//!   fragment lacks can never be declared: the fragment must follow. A
//!   marker whose node no longer differs is stale, and fails the check like
//!   undeclared drift.

mod compare;
mod departures;
mod normal;
mod record;
mod render;
mod schema;
mod table;
mod upstream;

use std::path::Path;
use std::process::ExitCode;

pub use self::compare::compare;
pub use self::departures::{Marker, markers};
pub use self::record::{Recorded, Stamp};
pub use self::upstream::{Source, extract, operations};

use crate::api_change::{ChangeKind, Severity};
use crate::fragment::FRAGMENT_PATH;
use crate::problem::{self, Problem};

/// Where `--record` writes the upstream closure of the fragment's operations
/// (Core API v1, the disk operations and tasks), relative to the workspace
/// root.
pub const RECORDED_PATH: &str = "openapi/upstream/core-v1-disks.json";
/// The top-level extension of a recorded closure that says where it came from.
pub const RECORDED_KEY: &str = "x-recorded";
/// The extension that declares a departure on a fragment node.
pub const DEPARTURE_KEY: &str = "x-departure";

/// What the comparison found.
#[derive(Debug, Clone)]
pub struct DriftReport {
    /// The fragment, as messages name it.
    pub fragment_file: String,
    /// The upstream document compared against.
    pub upstream_file: String,
    /// Katapult's version of the upstream document.
    pub upstream_version: String,
    /// sha256 of the published upstream document.
    pub upstream_sha256: String,
    /// Every difference, declared or not, in the order found.
    pub differences: Vec<Difference>,
    /// Description changes: reported, never failing.
    pub warnings: Vec<Warning>,
    /// `x-departure` markers on nodes that no longer differ.
    pub stale: Vec<StaleDeparture>,
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
        render::report(self)
    }
}

/// One way the fragment and the upstream document differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What kind of thing differs.
    pub kind: DifferenceKind,
    /// Which side has it.
    pub presence: Presence,
    /// JSON pointer in the fragment: the node that differs, or where the
    /// missing node belongs. A marker declaring the difference sits here.
    pub fragment: String,
    /// JSON pointer in the upstream document.
    pub upstream: String,
    /// What differs, in a sentence.
    pub change: String,
    /// The fragment edit that would follow upstream.
    pub edit: String,
    /// What that edit would do to the generated public API.
    pub impact: ApiImpact,
    /// The departures (`Dn`) that declare it; empty for drift.
    pub departures: Vec<String>,
}

impl Difference {
    /// Whether an `x-departure` marker may declare it: anything upstream
    /// has and the fragment lacks must be followed, not declared.
    pub fn declarable(&self) -> bool {
        self.presence != Presence::UpstreamOnly
    }
}

/// What kind of thing differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DifferenceKind {
    /// The operation's id.
    Operation,
    /// A security requirement or scheme.
    Security,
    /// The request body's presence or `required` flag.
    RequestBody,
    /// A media type of a body.
    MediaType,
    /// A parameter.
    Parameter,
    /// A response status.
    Status,
    /// A response header.
    Header,
    /// An error code carried by a status.
    ErrorCode,
    /// The shape of the error body (wrapped, one schema per status).
    ErrorBody,
    /// A property present on one side only.
    Property,
    /// Whether a property or a parameter is required.
    Required,
    /// A schema's `type`.
    Type,
    /// A schema's `format`.
    Format,
    /// Whether a value may be null.
    Nullable,
    /// An enum value.
    EnumValue,
    /// The schema's composition (object, `oneOf`, `allOf`, ...).
    Shape,
    /// The name of a referenced schema (the generated type's name).
    Name,
}

impl DifferenceKind {
    /// The kind as printed: `drift[enum-value]`.
    pub fn as_str(self) -> &'static str {
        match self {
            DifferenceKind::Operation => "operation",
            DifferenceKind::Security => "security",
            DifferenceKind::RequestBody => "request-body",
            DifferenceKind::MediaType => "media-type",
            DifferenceKind::Parameter => "parameter",
            DifferenceKind::Status => "status",
            DifferenceKind::Header => "header",
            DifferenceKind::ErrorCode => "error-code",
            DifferenceKind::ErrorBody => "error-body",
            DifferenceKind::Property => "property",
            DifferenceKind::Required => "required",
            DifferenceKind::Type => "type",
            DifferenceKind::Format => "format",
            DifferenceKind::Nullable => "nullable",
            DifferenceKind::EnumValue => "enum-value",
            DifferenceKind::Shape => "shape",
            DifferenceKind::Name => "name",
        }
    }
}

/// Which side has the thing that differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Presence {
    /// Both sides have it, and they say different things.
    Changed,
    /// Only the fragment has it.
    FragmentOnly,
    /// Only upstream has it.
    UpstreamOnly,
}

/// What following upstream would do to the generated public API: the
/// change drift knows it makes, rated by the one judge of API breakage,
/// [`crate::api_change::severity`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiImpact {
    /// The change; `None` when nothing generated changes (docs, headers,
    /// security).
    pub change: Option<ChangeKind>,
    /// The judge's rating of it; `None` without a change.
    pub severity: Option<Severity>,
    /// Why, in a sentence.
    pub note: String,
}

impl ApiImpact {
    /// `breaking`, `additive` or `none`.
    pub fn as_str(&self) -> &'static str {
        self.severity.map_or("none", Severity::as_str)
    }
}

/// A description that differs: worth a look, never a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// JSON pointer in the fragment.
    pub fragment: String,
    /// JSON pointer in the upstream document.
    pub upstream: String,
    /// The upstream description.
    pub upstream_text: String,
    /// The fragment's, if it has one.
    pub fragment_text: Option<String>,
}

/// An `x-departure` marker on a node that no longer differs from upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleDeparture {
    /// The marked node.
    pub pointer: String,
    /// The ids on it.
    pub ids: Vec<String>,
}

/// Why `cargo xtask drift` could not compare: bad input, or a failed write.
/// Each names the file and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriftError {
    /// The file could not be read.
    #[error(
        "error: cannot read {file}: {message}\n  \
         fix: give the path of Katapult's published OpenAPI document"
    )]
    Read { file: String, message: String },
    /// Neither JSON nor YAML.
    #[error(
        "error: {file} is neither JSON nor YAML\n  as JSON: {json}\n  as YAML: {yaml}\n  \
         fix: give Katapult's OpenAPI document as published (JSON), or a YAML copy of it"
    )]
    Syntax {
        file: String,
        json: String,
        yaml: String,
    },
    /// Not an OpenAPI 3.0 document.
    #[error(
        "error: {file} is not an OpenAPI 3.0 document: found {found}\n  \
         fix: give Katapult's Core API v1 document, which says `openapi: 3.0.x`"
    )]
    NotOpenApi30 { file: String, found: String },
    /// The document has none of the fragment's operations.
    #[error(
        "error: {file} has none of the fragment's operations ({operations})\n  \
         fix: give Katapult's Core API v1 document (one it lacks some of is compared, \
         and each one missing reported)"
    )]
    NoOperation { file: String, operations: String },
    /// A `$ref` the closure cannot follow.
    #[error(
        "error: {file}#{pointer}: {message}\n  \
         fix: give the complete published document, not an extract of it"
    )]
    Reference {
        file: String,
        pointer: String,
        message: String,
    },
    /// The closure is not a valid OpenAPI 3.0 document.
    #[error(
        "error: {file}#{pointer}: the operation's closure is not valid OpenAPI 3.0 here: \
         {message}\n  fix: give Katapult's OpenAPI document as published"
    )]
    Structure {
        file: String,
        pointer: String,
        message: String,
    },
    /// An `x-departure` marker that is not `Dn` or a list of them.
    #[error(
        "error: {file}#{pointer}: `{DEPARTURE_KEY}: {found}` is not a departure id\n  \
         fix: write `{DEPARTURE_KEY}: D<n>` (or a list of them), the id of a \
         `DEPARTURE(D<n>)` comment and of a row in xtask/README.md's departures table"
    )]
    Marker {
        file: String,
        pointer: String,
        found: String,
    },
    /// The fragment itself does not load or lint.
    #[error(
        "{}\n\n{} problem(s) in the fragment; fix them (see `cargo xtask codegen`) before \
         comparing it with upstream",
        problem::render(.0),
        .0.len()
    )]
    Fragment(Vec<Problem>),
    /// No recorded closure to compare with.
    #[error(
        "error: no recorded upstream closure at {file}\n  \
         fix: record one with `cargo xtask drift --upstream <published document> --record`"
    )]
    NotRecorded { file: String },
    /// `--record` without `--upstream`.
    #[error(
        "error: `--record` needs `--upstream FILE`: the published document to record\n  \
         fix: `cargo xtask drift --upstream katapult-core-openapi-<version>.json --record`"
    )]
    RecordNeedsUpstream,
    /// Writing the recorded closure failed.
    #[error(
        "error: cannot write {file}: {message}\n  nothing was recorded; fix the \
         directory's permissions or free space and run again"
    )]
    Write { file: String, message: String },
}

/// Compares the fragment of the workspace at `root` with `upstream` (a
/// published document), or with the recorded closure when `upstream` is
/// `None`.
pub fn drift(root: &Path, upstream: Option<&Path>) -> Result<DriftReport, DriftError> {
    let upstream = match upstream {
        Some(path) => upstream::read(path, &path.display().to_string())?,
        None => {
            let path = root.join(RECORDED_PATH);
            if !path.is_file() {
                return Err(DriftError::NotRecorded {
                    file: RECORDED_PATH.to_owned(),
                });
            }
            upstream::read(&path, RECORDED_PATH)?
        }
    };
    compare_with(root, &upstream)
}

/// Compares the fragment of the workspace at `root` with an upstream
/// document already read.
pub fn compare_with(root: &Path, upstream: &Source) -> Result<DriftReport, DriftError> {
    let fragment = fragment(root)?;
    let operations = operations(&fragment);
    let closure = extract(upstream, &operations)?;
    let markers = markers(&fragment, FRAGMENT_PATH)?;
    let (differences, warnings) = compare::compare(&fragment, &closure, &operations);
    let mut report = DriftReport {
        fragment_file: FRAGMENT_PATH.to_owned(),
        upstream_file: upstream.file.clone(),
        upstream_version: upstream.version.clone(),
        upstream_sha256: upstream.sha256.clone(),
        differences,
        warnings,
        stale: Vec::new(),
    };
    departures::apply(&mut report, &markers);
    Ok(report)
}

/// Records the closure of the fragment's operations in `upstream` (a
/// published document) under [`RECORDED_PATH`] in the workspace at `root`.
/// Nothing is written unless the document is valid and holds one of them
/// at least.
pub fn record(root: &Path, upstream: &Path) -> Result<Recorded, DriftError> {
    let source = upstream::read(upstream, &upstream.display().to_string())?;
    let operations = operations(&fragment(root)?);
    record::write(root, &source, &operations)
}

/// The fragment of the workspace at `root`, loaded and linted.
fn fragment(root: &Path) -> Result<serde_json::Value, DriftError> {
    let fragment = crate::codegen::prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH);
    Ok(fragment.map_err(DriftError::Fragment)?.document)
}

/// `cargo xtask drift`: prints the report (or the error) and returns the
/// exit status: 0 when every difference is declared and no departure is
/// stale, 1 on undeclared drift or a stale departure, 2 on bad input.
/// With `record`, first records `upstream` (which it then requires).
pub fn run(root: &Path, upstream: Option<&Path>, record: bool) -> ExitCode {
    let result = (|| {
        if record {
            let path = upstream.ok_or(DriftError::RecordNeedsUpstream)?;
            let recorded = self::record(root, path)?;
            println!("{}", recorded.summary());
            // Compare with what was just recorded.
            return drift(root, None);
        }
        drift(root, upstream)
    })();
    match result {
        Ok(report) => {
            print!("{}", report.render());
            if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
    }
}
