//! When to poll a task next, from what its own readings say.
//!
//! Katapult's Terraform provider polls a task after 1 s, then 5 s later,
//! then every 10 s, whatever the task reports. This schedule reads the
//! task's progress instead:
//!
//! 1. The first poll comes 3 s after the write was answered: the recorded
//!    short tasks ("Grow disk", about 2 s) end by then, so they cost one
//!    poll, where a poll at 1 s always finds them running.
//! 2. Until a rate can be measured (the task pending, its first reading, or
//!    progress that never moved), each wait is as long as the time waited
//!    so far, from 0.25 s to 10 s: short tasks are seen soon after they
//!    end, long ones settle at the provider's 10 s.
//! 3. The rate is measured between the last two polls, on the caller's
//!    clock. When the end it predicts is within 10 s, the next poll comes
//!    just after it (5% of the remaining time later, at least 0.25 s).
//! 4. When the last two rates agree within a factor of 1.5 (steady
//!    progress), the task cannot end before it would at 1.5 times the
//!    fastest rate seen: the next poll comes at most 5 s after that
//!    earliest end, or at the predicted end if that is sooner. Such a wait
//!    is at most 30 s, and no longer than the time the task has been
//!    watched (or 10 s). Progress that stalls, or changes pace, falls back
//!    to 10 s.
//! 5. A poll aimed at a predicted end that finds the task still running
//!    doubles the shortest wait (0.25 s, 0.5 s, ... up to 10 s), so a
//!    task stuck at 99% is not polled four times a second.
//!
//! Why not the task's `created_at` and `started_at`: they are whole unix
//! seconds on the server's clock, so at the scale of the first polls (a few
//! seconds) they carry up to a second of error each, and a clock of its own
//! needs no skew correction. They still tell pending from running.
//!
//! The schedule is pure: it reads no clock and sends nothing. The waiting
//! loop measures `at` with its own monotonic clock, asks for the delay,
//! sleeps it (cut to its deadline), and polls.
//!
//! Replayed in virtual time against the provider's schedule (`simulate.rs`,
//! 200 traces per family, five seeds), it costs one poll instead of two for
//! the recorded short task and sees it end about 3 s sooner; on 30 to 120 s
//! tasks with linear, stalled-then-fast or jumpy progress it polls less
//! (jumpy, linear) or no more (stalled-then-fast) in the median and sees the
//! end sooner in the median, by 2 to 5 s. Where progress says little
//! (coarse stages, erratic jumps, none at all) both fall back on waits of
//! about 10 s and come out within a poll of each other; trusting progress
//! that then jumps costs a late sighting now and then (the worst delays,
//! up to about 28 s, are on jumpy and erratic traces, against the
//! provider's 10 s).

use std::time::Duration;

/// One reading of a task, as the schedule needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskReading {
    /// When the reading arrived, measured on the caller's monotonic clock
    /// from the moment the write that started the task was answered.
    pub at: Duration,
    /// Whether the task has started (its `started_at` is set, or its status
    /// reads `running`).
    pub started: bool,
    /// Its progress, 0 to 100, when the answer carried one. Values outside
    /// the range are taken as the nearest end of it.
    pub progress: Option<i64>,
}

/// The polling schedule of one task: see the module docs. One value per
/// task; each reading of a task that has not ended goes to
/// [`TaskPollSchedule::next_delay`].
#[derive(Debug, Clone, Default)]
pub struct TaskPollSchedule {
    /// The last reading with progress: (seconds since the write, percent).
    last: Option<(f64, f64)>,
    /// When the first reading with progress arrived.
    first_at: f64,
    /// The rate over the last interval between readings, percent a second.
    last_rate: Option<f64>,
    /// The fastest rate over any interval.
    fastest_rate: f64,
    /// Whether the last delay aimed at a predicted end.
    aimed: bool,
    /// Polls aimed at a predicted end that found the task still running.
    misses: u32,
}

/// The first poll after the write's answer.
const FIRST_POLL: f64 = 3.0;
/// The shortest wait.
const MIN_WAIT: f64 = 0.25;
/// The longest wait while the task's pace is unknown or changing: the
/// provider's longest wait.
const UNSURE_WAIT: f64 = 10.0;
/// The longest wait while progress is steady.
const MAX_WAIT: f64 = 30.0;
/// How much faster than the fastest rate seen a task is assumed able to go.
const PACE_MARGIN: f64 = 1.5;
/// How far apart two rates may be and still count as steady.
const STEADY_RATIO: f64 = 1.5;
/// How long after its earliest possible end a steady task is polled.
const PAST_EARLIEST: f64 = 5.0;
/// How long after the predicted end, as a share of the remaining time.
const PAST_PREDICTED: f64 = 0.05;

impl TaskPollSchedule {
    /// A schedule for a task just started.
    pub fn new() -> Self {
        Self::default()
    }

    /// The delay between the write's answer and the first poll (3 s).
    pub fn first_delay(&self) -> Duration {
        Duration::from_secs_f64(FIRST_POLL)
    }

    /// The delay before the next poll, given a reading of a task that has
    /// not ended. Always between 0.25 s and 30 s, whatever the reading
    /// says.
    pub fn next_delay(&mut self, reading: TaskReading) -> Duration {
        seconds(self.next_wait(reading))
    }

    fn next_wait(&mut self, reading: TaskReading) -> f64 {
        let now = reading.at.as_secs_f64();
        if std::mem::take(&mut self.aimed) {
            self.misses = self.misses.saturating_add(1);
        }
        let floor = (MIN_WAIT * 2f64.powi(self.misses.min(16) as i32)).min(UNSURE_WAIT);
        let waited_so_far = now.clamp(floor, UNSURE_WAIT);
        let (true, Some(progress)) = (reading.started, reading.progress) else {
            return waited_so_far;
        };
        let progress = progress.clamp(0, 100) as f64;
        let Some((then, before)) = self.last else {
            self.last = Some((now, progress));
            self.first_at = now;
            return waited_so_far;
        };
        if now <= then {
            return waited_so_far; // no time has passed on the caller's clock
        }
        let rate = (progress - before) / (now - then);
        self.last = Some((now, progress));
        self.fastest_rate = self.fastest_rate.max(rate);
        let previous_rate = self.last_rate.replace(rate);
        if self.fastest_rate <= 0.0 {
            return waited_so_far; // progress has never moved
        }
        let work = 100.0 - progress;
        let until_end = (rate > 0.0).then(|| {
            let remaining = work / rate;
            remaining + (PAST_PREDICTED * remaining).max(MIN_WAIT)
        });
        if let Some(until_end) = until_end
            && until_end <= UNSURE_WAIT
        {
            self.aimed = true;
            return until_end.max(floor);
        }
        let steady = previous_rate.is_some_and(|previous| {
            previous > 0.0 && rate > 0.0 && rate.max(previous) / rate.min(previous) <= STEADY_RATIO
        });
        if !steady {
            return UNSURE_WAIT.max(floor);
        }
        let cap = MAX_WAIT.min((now - self.first_at).max(UNSURE_WAIT));
        let earliest = work / (PACE_MARGIN * self.fastest_rate);
        let limit = cap.min((earliest + PAST_EARLIEST).max(UNSURE_WAIT));
        match until_end {
            Some(until_end) if until_end <= limit => {
                self.aimed = true;
                until_end.max(floor)
            }
            _ => limit.max(floor),
        }
    }
}

/// Seconds as a delay, held to the schedule's bounds even if arithmetic on
/// a strange reading produced something outside them.
fn seconds(wait: f64) -> Duration {
    let wait = if wait.is_finite() { wait } else { UNSURE_WAIT };
    Duration::from_secs_f64(wait.clamp(MIN_WAIT, MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(at: f64, started: bool, progress: Option<i64>) -> TaskReading {
        TaskReading {
            at: Duration::from_secs_f64(at),
            started,
            progress,
        }
    }

    fn secs(duration: Duration) -> f64 {
        duration.as_secs_f64()
    }

    #[test]
    fn the_first_poll_comes_after_three_seconds() {
        assert_eq!(
            TaskPollSchedule::new().first_delay(),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn a_pending_task_is_polled_after_as_long_again_up_to_ten_seconds() {
        let mut schedule = TaskPollSchedule::new();
        assert_eq!(secs(schedule.next_delay(reading(3.0, false, Some(0)))), 3.0);
        assert_eq!(secs(schedule.next_delay(reading(6.0, false, Some(0)))), 6.0);
        assert_eq!(
            secs(schedule.next_delay(reading(12.0, false, Some(0)))),
            10.0
        );
        assert_eq!(secs(schedule.next_delay(reading(0.1, false, None))), 0.25);
    }

    #[test]
    fn a_first_running_reading_measures_nothing_yet() {
        let mut schedule = TaskPollSchedule::new();
        assert_eq!(secs(schedule.next_delay(reading(3.0, true, Some(5)))), 3.0);
    }

    #[test]
    fn a_near_end_is_aimed_at_just_after() {
        let mut schedule = TaskPollSchedule::new();
        schedule.next_delay(reading(3.0, true, Some(10)));
        // 10 -> 40 in 3 s: 10 %/s, 60 % left: 6 s, polled 0.3 s after.
        let wait = secs(schedule.next_delay(reading(6.0, true, Some(40))));
        assert!((wait - 6.3).abs() < 1e-9, "{wait}");
    }

    #[test]
    fn steady_progress_waits_longer_than_ten_seconds() {
        let mut schedule = TaskPollSchedule::new();
        schedule.next_delay(reading(3.0, true, Some(2)));
        schedule.next_delay(reading(6.0, true, Some(4)));
        let wait = secs(schedule.next_delay(reading(16.0, true, Some(11))));
        // 0.7 and 0.67 %/s agree; 89 % left cannot end before
        // 89 / (1.5 * 0.7) = 84.8 s; capped by the 13 s watched so far.
        assert!((wait - 13.0).abs() < 1e-9, "{wait}");
        let wait = secs(schedule.next_delay(reading(29.0, true, Some(20))));
        assert!((wait - 26.0).abs() < 1e-9, "{wait}");
        let wait = secs(schedule.next_delay(reading(55.0, true, Some(38))));
        assert_eq!(wait, 30.0);
    }

    #[test]
    fn a_stall_or_a_change_of_pace_falls_back_to_ten_seconds() {
        let mut schedule = TaskPollSchedule::new();
        schedule.next_delay(reading(3.0, true, Some(2)));
        schedule.next_delay(reading(6.0, true, Some(4)));
        assert_eq!(
            secs(schedule.next_delay(reading(16.0, true, Some(4)))),
            10.0
        );
        assert_eq!(
            secs(schedule.next_delay(reading(26.0, true, Some(10)))),
            10.0
        );
        // 0.6 %/s after 0 %/s is a change of pace; 2.4 %/s after 0.6 too.
        assert_eq!(
            secs(schedule.next_delay(reading(36.0, true, Some(34)))),
            10.0
        );
    }

    #[test]
    fn aimed_polls_that_miss_double_the_shortest_wait() {
        let mut schedule = TaskPollSchedule::new();
        schedule.next_delay(reading(3.0, true, Some(0)));
        let mut at = 4.0;
        let mut waits = Vec::new();
        for progress in [98, 99, 100] {
            let wait = secs(schedule.next_delay(reading(at, true, Some(progress))));
            waits.push(wait);
            at += wait;
        }
        // Each aims just after the predicted end; each miss doubles the
        // shortest wait (0.25, 0.5, 1 s) under the aim.
        assert!((waits[0] - 0.2704).abs() < 1e-4, "{waits:?}");
        assert!((waits[1] - 0.5204).abs() < 1e-4, "{waits:?}");
        assert_eq!(waits[2], 1.0, "{waits:?}");
        // Progress that stops moving is a stall: back to 10 s.
        assert_eq!(
            secs(schedule.next_delay(reading(at, true, Some(100)))),
            10.0
        );
    }

    #[test]
    fn strange_readings_stay_within_bounds() {
        let mut schedule = TaskPollSchedule::new();
        let readings = [
            reading(3.0, true, Some(-40)),
            reading(2.0, true, Some(500)), // the clock went back
            reading(2.0, true, Some(7)),
            reading(4.0, true, Some(i64::MAX)),
            reading(4.000_000_001, true, Some(0)),
            reading(1e9, true, Some(1)),
            reading(1e9 + 1.0, true, Some(2)),
            reading(f64::MAX / 1e300, true, None),
        ];
        for reading in readings {
            let wait = secs(schedule.next_delay(reading));
            assert!((0.25..=30.0).contains(&wait), "{reading:?}: {wait}");
        }
    }
}
