//! Changing an existing disk: the pure logic around the operations that
//! change it. So far: the schedule that polls a task
//! ([`TaskPollSchedule`]).

mod schedule;

#[cfg(test)]
mod simulate;

pub use schedule::{TaskPollSchedule, TaskReading};
