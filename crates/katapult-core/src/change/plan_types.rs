//! What a plan is made of: the operations it sends, the properties it
//! compares, its entries (property, from, to, operation), its steps with
//! their arguments, and the refusal that stops a plan before anything is
//! sent. The planning itself is in `plan.rs`.

use std::num::NonZeroU32;

use serde::Serialize;
use serde_json::Value;

use super::ResizeMethod;
use crate::types;

/// An operation a plan sends, by its Rust name (the method of
/// [`Client`](crate::Client) that sends it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiskOperation {
    /// `PATCH /disks/disk`: name, bus type, storage speed, `attach_on_boot`,
    /// `boot`, annotations. No task.
    UpdateDisk,
    /// `PUT /disks/disk/resize`. Runs a task.
    ResizeDisk,
    /// `PUT /disks/disk/io_profile`. Runs a task.
    ChangeDiskIoProfile,
    /// `POST /disks/disk/attach`. Runs a task.
    AttachDisk,
    /// `POST /disks/disk/detach`. Runs a task.
    DetachDisk,
    /// `POST /disks/disk/assign`. No task.
    AssignDisk,
    /// `POST /disks/disk/unassign`. No task.
    UnassignDisk,
}

impl DiskOperation {
    /// The operation's Rust name: `update_disk`, `resize_disk`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UpdateDisk => "update_disk",
            Self::ResizeDisk => "resize_disk",
            Self::ChangeDiskIoProfile => "change_disk_io_profile",
            Self::AttachDisk => "attach_disk",
            Self::DetachDisk => "detach_disk",
            Self::AssignDisk => "assign_disk",
            Self::UnassignDisk => "unassign_disk",
        }
    }

    /// Whether its answer carries a task to wait for.
    pub fn runs_task(self) -> bool {
        matches!(
            self,
            Self::ResizeDisk | Self::ChangeDiskIoProfile | Self::AttachDisk | Self::DetachDisk
        )
    }
}

impl std::fmt::Display for DiskOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A property a change can ask for, by its name in the request bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // each variant is the property of the same name
pub enum DiskProperty {
    Name,
    BusType,
    StorageSpeed,
    AttachOnBoot,
    Boot,
    Annotations,
    SizeInGb,
    ResizeMethod,
    IoProfile,
    Attached,
    VirtualMachine,
    DataCenter,
    InitialFileSystem,
}

impl DiskProperty {
    /// The property's name: `name`, `size_in_gb`, `virtual_machine`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::BusType => "bus_type",
            Self::StorageSpeed => "storage_speed",
            Self::AttachOnBoot => "attach_on_boot",
            Self::Boot => "boot",
            Self::Annotations => "annotations",
            Self::SizeInGb => "size_in_gb",
            Self::ResizeMethod => "resize_method",
            Self::IoProfile => "io_profile",
            Self::Attached => "attached",
            Self::VirtualMachine => "virtual_machine",
            Self::DataCenter => "data_center",
            Self::InitialFileSystem => "initial_file_system",
        }
    }
}

impl std::fmt::Display for DiskProperty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a plan: a property, as the disk reads it and as it will be,
/// and the operation that makes it. Encodes as
/// `{"property", "from", "to", "operation"}`; `from` and `to` are JSON
/// values (null where the disk has none).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PlanEntry {
    /// The property.
    pub property: DiskProperty,
    /// What the disk reads now (or after the plan's earlier steps, for a
    /// property two steps change in turn, such as `attached` around an
    /// offline resize).
    pub from: Value,
    /// What it will read.
    pub to: Value,
    /// The operation that makes it.
    pub operation: DiskOperation,
}

/// What one step sends: the operation and exactly the arguments it needs
/// (the disk is the change's `disk_id`). Encodes with the operation's name
/// under `operation`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "operation", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StepAction {
    /// `update_disk` with these properties (only those that change) and,
    /// when they change, the annotations.
    UpdateDisk {
        /// The properties to send.
        properties: types::DiskArguments,
        /// The annotations to send, all of them (`None`: not sent).
        #[serde(skip_serializing_if = "Option::is_none")]
        annotations: Option<Vec<types::KeyValue>>,
    },
    /// `resize_disk` to this size, by the method the rules chose.
    ResizeDisk {
        /// The new size.
        size_in_gb: NonZeroU32,
        /// The effective method (see [`ResizeMethod`]).
        resize_method: ResizeMethod,
    },
    /// `change_disk_io_profile` to this profile.
    ChangeDiskIoProfile {
        /// The profile, as the caller named it.
        io_profile: types::DiskIoProfileLookup,
    },
    /// `attach_disk`.
    AttachDisk,
    /// `detach_disk`.
    DetachDisk,
    /// `assign_disk` to this virtual machine.
    AssignDisk {
        /// The virtual machine, as the caller named it.
        virtual_machine: types::VirtualMachineLookup,
    },
    /// `unassign_disk`.
    UnassignDisk,
}

impl StepAction {
    /// The operation this action sends.
    pub fn operation(&self) -> DiskOperation {
        match self {
            Self::UpdateDisk { .. } => DiskOperation::UpdateDisk,
            Self::ResizeDisk { .. } => DiskOperation::ResizeDisk,
            Self::ChangeDiskIoProfile { .. } => DiskOperation::ChangeDiskIoProfile,
            Self::AttachDisk => DiskOperation::AttachDisk,
            Self::DetachDisk => DiskOperation::DetachDisk,
            Self::AssignDisk { .. } => DiskOperation::AssignDisk,
            Self::UnassignDisk => DiskOperation::UnassignDisk,
        }
    }

    /// Whether this action's precondition is a state an earlier `earlier`
    /// step leaves (and so the disk must be read again before it).
    pub(super) fn depends_on(&self, earlier: DiskOperation) -> bool {
        use DiskOperation as Op;
        match self {
            Self::UnassignDisk => earlier == Op::DetachDisk,
            Self::AssignDisk { .. } => matches!(earlier, Op::DetachDisk | Op::UnassignDisk),
            Self::UpdateDisk { properties, .. } => {
                properties.virtual_machine_disk.is_some()
                    && matches!(earlier, Op::AssignDisk | Op::UnassignDisk)
            }
            Self::ResizeDisk { .. } => earlier == Op::DetachDisk,
            Self::ChangeDiskIoProfile { .. } => earlier == Op::ResizeDisk,
            Self::AttachDisk => matches!(
                earlier,
                Op::DetachDisk | Op::AssignDisk | Op::ResizeDisk | Op::ChangeDiskIoProfile
            ),
            Self::DetachDisk => false,
        }
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ChangeStep {
    /// What it sends.
    #[serde(flatten)]
    pub action: StepAction,
    /// Whether the disk must be read again before this step, because it
    /// depends on the state an earlier step left (see
    /// [`ChangeStep::readiness`]).
    pub read_disk_first: bool,
}

impl ChangeStep {
    /// The operation this step sends.
    pub fn operation(&self) -> DiskOperation {
        self.action.operation()
    }
}

/// The plan of a change: what differs, and the steps that make it, in the
/// order to run them. Empty when nothing differs.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ChangePlan {
    /// What differs and which operation makes it, in step order.
    pub entries: Vec<PlanEntry>,
    /// The steps, in the order to run them.
    pub steps: Vec<ChangeStep>,
}

impl ChangePlan {
    /// Whether nothing differs, and so nothing is to be sent.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// What kind of rule refused a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefusalKind {
    /// The property is fixed when a disk is created.
    Unchangeable,
    /// The change contradicts itself, or asks for what the disk cannot take.
    Conflict,
    /// The disk's state does not take writes now.
    DiskState,
    /// The disk's attachment is changing, failed, or unknown.
    AttachmentState,
    /// The resize rules of Katapult's provider.
    Resize,
    /// The disk was read without what the comparison needs.
    CannotCompare,
}

/// Why a change was refused while planning: nothing should be sent. The
/// message says why and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanRefusal {
    /// The rule that refused it.
    pub kind: RefusalKind,
    /// The property it concerns, where there is one.
    pub property: Option<DiskProperty>,
    /// Why, and what to do.
    pub message: String,
}

impl PlanRefusal {
    pub(super) fn new(
        kind: RefusalKind,
        property: Option<DiskProperty>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            property,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for PlanRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PlanRefusal {}
