//! The mock's model of Katapult: the disks it keeps, their tasks, and which
//! change each operation may make from which state. No HTTP here:
//! `routes.rs` maps requests onto these operations and their refusals onto
//! Katapult's error answers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use katapult_core::types::{
    DiskArguments, DiskIoProfileLookup, KeyValue, UpdateDiskBody, VirtualMachineLookup,
};
use serde_json::{Map, Value, json};

use crate::demo;
use crate::task::{Change, Clock, Ending, Task};

/// How a mock is set up (see `KatapultMockBuilder`).
#[derive(Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) task_duration: Duration,
    pub(crate) demo_disks: bool,
    pub(crate) manual_clock: bool,
}

/// Why the mock refuses an operation; each maps to one Katapult error.
#[derive(Debug)]
pub(crate) enum Refusal {
    DiskNotFound,
    TaskNotFound,
    /// The disk has no virtual machine (422 `unassigned_disk`).
    UnassignedDisk,
    /// Another task still runs on the disk (406 `task_queueing_error`).
    TaskInProgress(String),
    /// The disk's state does not allow it (422 `validation_error`).
    Invalid(String),
    UnableToAssign(String),
    UnableToUnassign(String),
}

/// A resize's `resize_method`.
#[derive(Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ResizeMethod {
    Offline,
    Online,
}

struct StoredDisk {
    disk: Map<String, Value>,
    annotations: Vec<KeyValue>,
}

/// Disks and tasks, shared by the HTTP handler and the test's handle.
#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<State>>);

impl Shared {
    pub(crate) fn new(settings: Settings) -> Self {
        Self(Arc::new(Mutex::new(State {
            settings,
            clock: Clock::new(settings.manual_clock),
            disks: BTreeMap::new(),
            removed: BTreeSet::new(),
            tasks: Vec::new(),
        })))
    }

    /// The state as of now: every task due by now has ended and its change
    /// has landed, so whoever looks sees the same world.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves consistent data:
        // every operation validates before it writes.
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.settle();
        state
    }
}

pub(crate) struct State {
    settings: Settings,
    clock: Clock,
    disks: BTreeMap<String, StoredDisk>,
    /// Ids taken away by `remove_disk`: no demo disk comes back under them.
    removed: BTreeSet<String>,
    /// Every task ever started; task `n` (from 1) is at index `n - 1`.
    tasks: Vec<Task>,
}

impl State {
    fn settle(&mut self) {
        let now = self.clock.now();
        let mut due: Vec<&mut Task> = self
            .tasks
            .iter_mut()
            .filter(|task| task.ended.is_none() && task.due() <= now)
            .collect();
        due.sort_by_key(|task| task.due());
        for task in due {
            task.ended = Some(Ending::Completed);
            if let Some(stored) = self.disks.get_mut(&task.disk_id) {
                task.change.land(&mut stored.disk);
            }
        }
    }

    // ---- the test's handle ------------------------------------------------

    pub(crate) fn put_disk(&mut self, disk: Map<String, Value>, id: String) {
        self.removed.remove(&id);
        let disk = demo::with_every_key(disk);
        match self.disks.get_mut(&id) {
            Some(stored) => stored.disk = disk,
            None => {
                self.disks.insert(
                    id,
                    StoredDisk {
                        disk,
                        annotations: Vec::new(),
                    },
                );
            }
        }
    }

    pub(crate) fn disk(&self, id: &str) -> Option<Value> {
        self.disks
            .get(id)
            .map(|stored| Value::Object(stored.disk.clone()))
    }

    /// Takes the disk away; a task still running on it fails now.
    pub(crate) fn remove_disk(&mut self, id: &str) -> Option<Value> {
        let now = self.clock.now();
        for task in self.tasks.iter_mut().filter(|task| task.disk_id == id) {
            if task.ended.is_none() {
                task.ended = Some(Ending::Failed { at: now });
            }
        }
        self.removed.insert(id.to_owned());
        self.disks
            .remove(id)
            .map(|stored| Value::Object(stored.disk))
    }

    pub(crate) fn advance(&mut self, by: Duration) {
        self.clock.advance(by);
    }

    // ---- reads ------------------------------------------------------------

    /// `GET /disks/disk`: `{disk, annotations}`.
    pub(crate) fn get_disk(&mut self, id: &str) -> Result<Value, Refusal> {
        let stored = self.stored(id)?;
        Ok(json!({"disk": stored.disk, "annotations": stored.annotations}))
    }

    /// `GET /tasks/task`: `{task}`.
    pub(crate) fn get_task(&self, id: &str) -> Result<Value, Refusal> {
        let task = self
            .tasks
            .iter()
            .find(|task| task.id == id)
            .ok_or(Refusal::TaskNotFound)?;
        Ok(json!({"task": task.view(&self.clock, self.clock.now())}))
    }

    // ---- writes without a task: they land at once ---------------------------

    /// `PATCH /disks/disk`: the properties an update can change, applied at
    /// once; the answer shows the disk as it now is.
    pub(crate) fn update_disk(&mut self, body: &UpdateDiskBody) -> Result<Value, Refusal> {
        let stored = self.stored(&body.disk.id)?;
        let sets_attachment = body
            .properties
            .virtual_machine_disk
            .as_ref()
            .is_some_and(|settings| settings.attach_on_boot.is_some() || settings.boot.is_some());
        if sets_attachment && attachment_state(&stored.disk).is_none() {
            return Err(Refusal::UnassignedDisk);
        }
        apply(&mut stored.disk, &body.properties);
        // Absent: the disk keeps its annotations. A list, even empty: the
        // disk's annotations become that list.
        if let Some(annotations) = &body.annotations {
            stored.annotations = annotations.clone();
        }
        Ok(json!({"disk": stored.disk, "annotations": stored.annotations}))
    }

    /// `POST /disks/disk/assign`: `{disk}` as it now is.
    pub(crate) fn assign(
        &mut self,
        id: &str,
        virtual_machine: &VirtualMachineLookup,
    ) -> Result<Value, Refusal> {
        let busy = self.running(id);
        let stored = self.stored(id)?;
        let current = stored
            .disk
            .get("virtual_machine_disk")
            .and_then(|attachment| attachment.get("virtual_machine"));
        if current.is_some_and(|current| demo::is_virtual_machine(current, virtual_machine)) {
            return Ok(json!({"disk": stored.disk}));
        }
        if let Some(task) = busy {
            return Err(Refusal::UnableToAssign(format!(
                "Disk has a task in progress ({task}); wait for it to finish"
            )));
        }
        match attachment_state(&stored.disk) {
            None | Some("detached") => {}
            Some(state) => {
                return Err(Refusal::UnableToAssign(format!(
                    "Disk's attachment to another virtual machine is {state}; detach it first"
                )));
            }
        }
        stored.disk.insert(
            "virtual_machine_disk".into(),
            json!({
                "virtual_machine": demo::virtual_machine(virtual_machine),
                "attach_on_boot": true,
                "boot": false,
                "state": "detached",
            }),
        );
        Ok(json!({"disk": stored.disk}))
    }

    /// `POST /disks/disk/unassign`: `{disk}` as it now is.
    pub(crate) fn unassign(&mut self, id: &str) -> Result<Value, Refusal> {
        let busy = self.running(id);
        let stored = self.stored(id)?;
        if let Some(task) = busy {
            return Err(Refusal::UnableToUnassign(format!(
                "Disk has a task in progress ({task}); wait for it to finish"
            )));
        }
        match attachment_state(&stored.disk) {
            None | Some("detached" | "failed") => {}
            Some(_) => {
                return Err(Refusal::UnableToUnassign(
                    "Disk must be detached from its virtual machine before it is unassigned".into(),
                ));
            }
        }
        stored
            .disk
            .insert("virtual_machine_disk".into(), Value::Null);
        Ok(json!({"disk": stored.disk}))
    }

    // ---- writes with a task: the answer shows the disk as it was ------------

    /// `PUT /disks/disk/resize`: `{disk, task}`.
    pub(crate) fn resize(
        &mut self,
        id: &str,
        size_in_gb: i64,
        method: ResizeMethod,
    ) -> Result<Value, Refusal> {
        self.idle(id)?;
        let disk = &self.stored(id)?.disk;
        let current = disk.get("size_in_gb").and_then(Value::as_i64).unwrap_or(0);
        let attached = match attachment_state(disk) {
            Some("attached") => true,
            None | Some("detached") => false,
            Some(other) => {
                return Err(Refusal::Invalid(format!(
                    "Disk's attachment is {other}; resize it once the attachment is attached or \
                     detached"
                )));
            }
        };
        if size_in_gb <= 0 {
            return Err(Refusal::Invalid("Size in GB must be greater than 0".into()));
        }
        if size_in_gb == current {
            return Err(Refusal::Invalid(format!("Disk is already {current} GB")));
        }
        let name = if size_in_gb > current {
            "Grow disk"
        } else {
            "Shrink disk"
        };
        if size_in_gb < current && attached {
            return Err(Refusal::Invalid(
                "Disk must be detached from its virtual machine to be shrunk".into(),
            ));
        }
        if method == ResizeMethod::Online && !attached {
            return Err(Refusal::Invalid(
                "An online resize needs the disk attached to its virtual machine".into(),
            ));
        }
        if method == ResizeMethod::Offline && attached {
            return Err(Refusal::Invalid(
                "Disk must be detached from its virtual machine for an offline resize; grow it \
                 online instead"
                    .into(),
            ));
        }
        let then = disk.get("state").cloned().unwrap_or(Value::Null);
        self.start(
            id,
            name,
            Change::Size { size_in_gb, then },
            Some("resizing"),
            None,
        )
    }

    /// `PUT /disks/disk/io_profile`: `{disk, task}`.
    pub(crate) fn change_io_profile(
        &mut self,
        id: &str,
        lookup: &DiskIoProfileLookup,
    ) -> Result<Value, Refusal> {
        self.idle(id)?;
        let then = self
            .stored(id)?
            .disk
            .get("state")
            .cloned()
            .unwrap_or(Value::Null);
        let io_profile = demo::io_profile(lookup);
        let change = Change::IoProfile { io_profile, then };
        self.start(
            id,
            "Change disk IO profile",
            change,
            Some("configuring"),
            None,
        )
    }

    /// `POST /disks/disk/attach`: `{disk, task}`. Attaching an attached
    /// disk is a task that changes nothing.
    pub(crate) fn attach(&mut self, id: &str) -> Result<Value, Refusal> {
        self.attachment_task(id, "Attach disk", "attaching", "attached")
    }

    /// `POST /disks/disk/detach`: `{disk, task}`. Detaching a detached
    /// disk is a task that changes nothing.
    pub(crate) fn detach(&mut self, id: &str) -> Result<Value, Refusal> {
        self.attachment_task(id, "Detach disk", "detaching", "detached")
    }

    fn attachment_task(
        &mut self,
        id: &str,
        name: &'static str,
        during: &'static str,
        then: &'static str,
    ) -> Result<Value, Refusal> {
        self.idle(id)?;
        let during = match attachment_state(&self.stored(id)?.disk) {
            None => return Err(Refusal::UnassignedDisk),
            Some(state) if state == then => None,
            Some(_) => Some(during),
        };
        self.start(id, name, Change::Attachment { then }, None, during)
    }

    // ---- helpers ----------------------------------------------------------

    /// The stored disk, a demo disk if the id is new and demo disks are on.
    fn stored(&mut self, id: &str) -> Result<&mut StoredDisk, Refusal> {
        if !self.disks.contains_key(id) && self.settings.demo_disks && !self.removed.contains(id) {
            let disk = demo::disk(id);
            self.disks.insert(
                id.to_owned(),
                StoredDisk {
                    disk,
                    annotations: Vec::new(),
                },
            );
        }
        self.disks.get_mut(id).ok_or(Refusal::DiskNotFound)
    }

    /// The task running on the disk, named for a message.
    fn running(&self, disk_id: &str) -> Option<String> {
        self.tasks
            .iter()
            .find(|task| task.disk_id == disk_id && task.ended.is_none())
            .map(|task| format!("{}, {}", task.id, task.name))
    }

    /// Refuses a write that needs a task while another runs on the disk.
    fn idle(&mut self, id: &str) -> Result<(), Refusal> {
        self.stored(id)?;
        match self.running(id) {
            Some(task) => Err(Refusal::TaskInProgress(format!(
                "Disk has a task in progress ({task}); wait for it to finish"
            ))),
            None => Ok(()),
        }
    }

    /// Starts a task and answers `{disk, task}` with the disk as it was;
    /// the disk then reads `disk_state` and its attachment `attachment_state`
    /// (where given) until the task completes.
    fn start(
        &mut self,
        id: &str,
        name: &'static str,
        change: Change,
        disk_state: Option<&str>,
        attachment_state: Option<&str>,
    ) -> Result<Value, Refusal> {
        let now = self.clock.now();
        let task = Task {
            id: format!("task_{:016}", self.tasks.len() + 1),
            name,
            disk_id: id.to_owned(),
            created: now,
            duration: self.settings.task_duration,
            change,
            ended: None,
        };
        let view = task.view(&self.clock, now);
        self.tasks.push(task);
        let disk = &mut self.stored(id)?.disk;
        let answer = json!({"disk": disk, "task": view});
        if let Some(state) = disk_state {
            disk.insert("state".into(), state.into());
        }
        if let (Some(state), Some(Value::Object(attachment))) =
            (attachment_state, disk.get_mut("virtual_machine_disk"))
        {
            attachment.insert("state".into(), state.into());
        }
        Ok(answer)
    }
}

/// The attachment's `state`, or `None` for a disk with no virtual machine.
fn attachment_state(disk: &Map<String, Value>) -> Option<&str> {
    match disk.get("virtual_machine_disk") {
        Some(Value::Object(attachment)) => Some(
            attachment
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or(""),
        ),
        _ => None,
    }
}

/// Applies the properties an update can change to the stored disk;
/// create-only ones (`size_in_gb`, `data_center`, `initial_file_system`,
/// `virtual_machine_disk.attach`) and the virtual machine, which
/// assign/unassign change, are ignored.
fn apply(disk: &mut Map<String, Value>, properties: &DiskArguments) {
    if let Some(name) = &properties.name {
        disk.insert("name".into(), name.as_str().into());
    }
    if let Some(bus) = &properties.bus_type {
        disk.insert("bus_type".into(), bus.to_string().into());
    }
    if let Some(speed) = &properties.storage_speed {
        disk.insert("storage_speed".into(), speed.to_string().into());
    }
    if let Some(lookup) = &properties.io_profile {
        disk.insert("io_profile".into(), demo::io_profile(lookup));
    }
    if let (Some(settings), Some(Value::Object(attachment))) = (
        &properties.virtual_machine_disk,
        disk.get_mut("virtual_machine_disk"),
    ) {
        if let Some(attach_on_boot) = settings.attach_on_boot {
            attachment.insert("attach_on_boot".into(), attach_on_boot.into());
        }
        if let Some(boot) = settings.boot {
            attachment.insert("boot".into(), boot.into());
        }
    }
}
