//! One change to an existing disk, and the pure logic that turns it into
//! the writes Katapult accepts: what the caller wants ([`DiskChange`]), the
//! plan that compares it with the disk as read and routes each difference to
//! the one operation that can make it ([`ChangePlan`]), the checks that tell
//! whether a step landed or is under way, and the schedule that polls a
//! task ([`TaskPollSchedule`]).
//!
//! Nothing here sends a request or reads a clock: the client reads the disk,
//! hands it to [`DiskChange::plan`], runs the steps, and asks these
//! functions what it saw. That keeps every rule testable on its own, and the
//! same rules answer the CLI's `--plan`, the run and the reconcile step.
//!
//! Why several operations: Update disk (`PATCH /disks/disk`) changes only
//! the name, bus type, storage speed, `attach_on_boot`, `boot` and the
//! annotations of an existing disk. Its own documentation sends the size to
//! the resize endpoint and attaching to the attach endpoint; Katapult's
//! Terraform provider changes the I/O profile, the attachment and the
//! virtual machine through their own operations, and so does this plan.
//! The data centre and the initial file system are fixed when a disk is
//! created, and a change asking for them is refused before anything is sent.

mod disk_view;
mod line;
mod options;
mod plan;
mod plan_types;
mod progress;
mod report;
mod run;
mod schedule;
mod verify;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod line_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod simulate;

use std::num::NonZeroU32;

use crate::types;

pub use line::ChangeLineError;
pub use options::ChangeOptions;
pub use plan_types::{
    ChangePlan, ChangeStep, DiskOperation, DiskProperty, PlanEntry, PlanRefusal, RefusalKind,
    StepAction,
};
pub use progress::{ChangeEvent, ChangeProgress};
pub use report::{
    ChangeFailed, ChangeReport, PlannedChange, Reconciled, Settled, StepDone, TaskDone,
};
pub use schedule::{TaskPollSchedule, TaskReading};
pub use verify::{PropertyMismatch, StepReadiness};

/// What the caller wants of an existing disk: every property left `None` is
/// left as it is.
///
/// Build one with [`DiskChange::new`] and the setters, or decode one from a
/// JSON line of `katapult disk change --from` ([`DiskChange::from_line`],
/// which describes the shape, or `serde::Deserialize`). Then
/// [`DiskChange::plan`] compares it with the disk as read.
///
/// ```
/// use std::num::NonZeroU32;
/// use katapult_core::{DiskChange, ResizeMethod};
///
/// let change = DiskChange::new("disk_Xb0t6tHBeFhcc0vZ")
///     .name("database")
///     .size_in_gb(NonZeroU32::new(50).unwrap())
///     .resize_method(ResizeMethod::Online);
/// assert_eq!(change.name.as_deref(), Some("database"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DiskChange {
    /// The disk to change.
    pub disk_id: String,
    /// Its new name (`update_disk`).
    pub name: Option<String>,
    /// Its bus type (`update_disk`).
    pub bus_type: Option<types::DiskBusArgument>,
    /// Its storage speed (`update_disk`).
    pub storage_speed: Option<types::StorageSpeedArgument>,
    /// Whether it attaches when its virtual machine starts (`update_disk`;
    /// the disk must be assigned to a virtual machine, or be assigned by
    /// this change).
    pub attach_on_boot: Option<bool>,
    /// Whether it is its virtual machine's boot disk (`update_disk`; the
    /// disk must be assigned to a virtual machine, or be assigned by this
    /// change).
    pub boot: Option<bool>,
    /// Its annotations, all of them (`update_disk`): `None` leaves them as
    /// they are, `Some(vec![])` removes them all.
    pub annotations: Option<Vec<types::KeyValue>>,
    /// Its size (`resize_disk`). A resize follows the rules of Katapult's
    /// provider: see [`ResizeMethod`].
    pub size_in_gb: Option<NonZeroU32>,
    /// How to resize it, when the size changes. `None` asks for the method
    /// the rules allow without taking the disk away from its virtual
    /// machine: see [`ResizeMethod`].
    pub resize_method: Option<ResizeMethod>,
    /// Its I/O profile (`change_disk_io_profile`).
    pub io_profile: Option<types::DiskIoProfileLookup>,
    /// Whether it is attached to its virtual machine (`attach_disk`,
    /// `detach_disk`).
    pub attached: Option<bool>,
    /// Which virtual machine it belongs to, or none (`assign_disk`,
    /// `unassign_disk`).
    pub virtual_machine: Option<VirtualMachineChange>,
    /// Its data centre: fixed when a disk is created. Asking for a
    /// different one is refused; asking for the one it is in changes
    /// nothing.
    pub data_center: Option<types::DataCenterLookup>,
    /// Its initial file system: made once, when a disk is created, and not
    /// shown on a disk afterwards. Asking for one is always refused.
    pub initial_file_system: Option<types::FileSystemEnum>,
}

/// Which virtual machine a disk should belong to.
#[derive(Debug, Clone, PartialEq)]
pub enum VirtualMachineChange {
    /// Assign it to this virtual machine (`assign_disk`). A disk assigned
    /// elsewhere is detached (if attached) and unassigned first.
    Assign(types::VirtualMachineLookup),
    /// Unassign it from its virtual machine (`unassign_disk`), detaching it
    /// first if it is attached.
    Unassign,
}

/// How a disk's size changes, as `resize_disk` takes it (`resize_method`).
///
/// The plan applies the rules of Katapult's Terraform provider
/// (`effectiveDiskResizeMethod`) to the attachment the disk will have when
/// the resize runs:
///
/// - a detached disk is resized `offline`, whatever was asked;
/// - an attached disk grows `online` only when `Online` is asked for;
/// - an attached disk never shrinks in place: ask for `attached: false`
///   (it is detached first and stays detached), or for `Offline`, which
///   detaches it, resizes it and attaches it again;
/// - `Offline` on an attached disk that grows does the same: detach,
///   resize, attach again.
///
/// Anything else is refused while planning, so nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResizeMethod {
    /// With the disk detached.
    Offline,
    /// While the disk stays attached to a running virtual machine (grow
    /// only).
    Online,
}

impl ResizeMethod {
    /// The value as the API writes it: `offline` or `online`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Online => "online",
        }
    }
}

impl std::fmt::Display for ResizeMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DiskChange {
    /// A change of the disk `disk_id` that asks for nothing yet.
    pub fn new(disk_id: impl Into<String>) -> Self {
        Self {
            disk_id: disk_id.into(),
            name: None,
            bus_type: None,
            storage_speed: None,
            attach_on_boot: None,
            boot: None,
            annotations: None,
            size_in_gb: None,
            resize_method: None,
            io_profile: None,
            attached: None,
            virtual_machine: None,
            data_center: None,
            initial_file_system: None,
        }
    }

    /// Asks for this name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Asks for this bus type.
    pub fn bus_type(mut self, bus_type: types::DiskBusArgument) -> Self {
        self.bus_type = Some(bus_type);
        self
    }

    /// Asks for this storage speed.
    pub fn storage_speed(mut self, storage_speed: types::StorageSpeedArgument) -> Self {
        self.storage_speed = Some(storage_speed);
        self
    }

    /// Asks whether the disk attaches when its virtual machine starts.
    pub fn attach_on_boot(mut self, attach_on_boot: bool) -> Self {
        self.attach_on_boot = Some(attach_on_boot);
        self
    }

    /// Asks whether the disk is its virtual machine's boot disk.
    pub fn boot(mut self, boot: bool) -> Self {
        self.boot = Some(boot);
        self
    }

    /// Asks for exactly these annotations (an empty list removes them all).
    pub fn annotations(mut self, annotations: Vec<types::KeyValue>) -> Self {
        self.annotations = Some(annotations);
        self
    }

    /// Asks for this size.
    pub fn size_in_gb(mut self, size_in_gb: NonZeroU32) -> Self {
        self.size_in_gb = Some(size_in_gb);
        self
    }

    /// Asks for this resize method (see [`ResizeMethod`]).
    pub fn resize_method(mut self, resize_method: ResizeMethod) -> Self {
        self.resize_method = Some(resize_method);
        self
    }

    /// Asks for this I/O profile.
    pub fn io_profile(mut self, io_profile: types::DiskIoProfileLookup) -> Self {
        self.io_profile = Some(io_profile);
        self
    }

    /// Asks for the disk attached (`true`) or detached (`false`).
    pub fn attached(mut self, attached: bool) -> Self {
        self.attached = Some(attached);
        self
    }

    /// Asks for the disk assigned to this virtual machine.
    pub fn assign_to(mut self, virtual_machine: types::VirtualMachineLookup) -> Self {
        self.virtual_machine = Some(VirtualMachineChange::Assign(virtual_machine));
        self
    }

    /// Asks for the disk assigned to no virtual machine.
    pub fn unassign(mut self) -> Self {
        self.virtual_machine = Some(VirtualMachineChange::Unassign);
        self
    }

    /// Asks for the disk in this data centre (refused unless it is there
    /// already: see [`DiskChange::data_center`]).
    pub fn data_center(mut self, data_center: types::DataCenterLookup) -> Self {
        self.data_center = Some(data_center);
        self
    }

    /// Asks for this initial file system (always refused: see
    /// [`DiskChange::initial_file_system`]).
    pub fn initial_file_system(mut self, initial_file_system: types::FileSystemEnum) -> Self {
        self.initial_file_system = Some(initial_file_system);
        self
    }

    /// Compares this change with the disk as read (`disk` and its
    /// `annotations`, as `get_disk` answers them) and plans the steps that
    /// make the difference, in a safe order; an empty plan when nothing
    /// differs. A change the rules refuse is a [`PlanRefusal`] that says
    /// why and what to do, and nothing should be sent.
    pub fn plan(
        &self,
        disk: &types::Disk,
        annotations: &[types::KeyValue],
    ) -> Result<ChangePlan, PlanRefusal> {
        plan::plan(disk, annotations, self)
    }

    /// The properties this change asks for that the disk, as read, does not
    /// have: empty once the change has landed. The data centre and the
    /// initial file system are not checked (the plan refuses to change
    /// them).
    pub fn verify(
        &self,
        disk: &types::Disk,
        annotations: &[types::KeyValue],
    ) -> Vec<PropertyMismatch> {
        verify::verify(disk, annotations, self)
    }
}
