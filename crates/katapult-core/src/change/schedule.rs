//! When to poll a task next, from what its own readings say.
//!
//! Katapult's Terraform provider polls a task after 1 s, then 5 s later,
//! then every 10 s, whatever the task reports. This schedule reads the
//! task's progress instead, and never waits longer than the provider does
//! unless the progress has earned it:
//!
//! 1. The first poll comes 3 s after the write was answered: the recorded
//!    short tasks ("Grow disk", about 2 s) end by then, so they cost one
//!    poll, where a poll at 1 s always finds them running.
//! 2. While nothing predicts the end (the task pending, its first running
//!    reading, progress that did not move since the last poll), each wait
//!    is 2.5 times the time since the write, at most 10 s: the second poll
//!    comes at 10.5 s, so a 3 to 10 s task costs two polls, and after that
//!    the wait is the provider's longest, so a task that says nothing is
//!    polled no more often than the provider polls it, and seen as soon.
//! 3. Once progress moves, two ends are predicted: at the pace since the
//!    task started (taken as halfway between the last pending reading and
//!    the first running one), and at the pace of the last interval. The
//!    first is *steady* when the last three readings predict ends within
//!    15 % of the running time of each other, the second when the last two
//!    intervals' paces agree within a factor of 1.5. The schedule follows
//!    the steady one (the sooner if both are, the later if neither is).
//! 4. When that end is within 10 s, the next poll comes just after it (5 %
//!    of the remaining time later, at least 0.25 s).
//! 5. A wait longer than 10 s needs the pace since the start to be steady,
//!    and ends before the task could end at 1.5 times the fastest pace seen
//!    over any interval; it is 65 % of the predicted remaining time (at
//!    most 30 s), or the predicted end itself once that is near enough.
//!    A stall or a jump breaks steadiness, and with it any wait longer
//!    than the provider's.
//! 6. A poll aimed at a predicted end that finds the task still running
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
//! sleeps it (cut to its deadline), and polls. What it costs and how soon
//! it sees the end, against the provider's schedule over real HTTP:
//! `benches/tasks.rs` and the crate README ("Changing a disk"); the same
//! traces replayed in virtual time guard it in `simulate.rs`.
//!
//! Where progress says nothing (none at all, a long stall, erratic jumps),
//! no schedule can beat the provider on both counts: with no information
//! the delay is spread evenly over the wait, so a shorter worst delay needs
//! shorter waits and so more polls. This one spends what it saves on the
//! first polls (3 s and 10.5 s against the provider's 1, 6 and 16 s) on
//! fewer polls, and waits as long as the provider, so its worst delay
//! there is the provider's: about 10 s.

use std::time::Duration;

/// One reading of a task, as the schedule needs it.
///
/// ```
/// use std::time::Duration;
/// use katapult_core::{TaskPollSchedule, TaskReading};
///
/// let mut schedule = TaskPollSchedule::default();
/// let reading = TaskReading::new(Duration::from_secs(1), true, Some(40));
/// assert!(schedule.next_delay(reading) > Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
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

impl TaskReading {
    /// A reading that arrived `at` after the write was answered.
    pub const fn new(at: Duration, started: bool, progress: Option<i64>) -> Self {
        Self {
            at,
            started,
            progress,
        }
    }
}

/// The polling schedule of one task: see the module docs. One value per
/// task; each reading of a task that has not ended goes to
/// [`TaskPollSchedule::next_delay`].
#[derive(Debug, Clone, Default)]
pub struct TaskPollSchedule {
    /// The last reading that found the task pending (seconds since the
    /// write), or 0.
    pending_at: f64,
    /// When the task is taken to have started running: halfway between the
    /// last pending reading and the first running one.
    start: Option<f64>,
    /// The running readings with progress, oldest first: (seconds since the
    /// write, percent). At most [`KEPT`].
    readings: Vec<(f64, f64)>,
    /// Whether the last delay aimed at a predicted end.
    aimed: bool,
    /// Polls aimed at a predicted end that found the task still running.
    misses: u32,
    /// The fastest pace over any interval between readings, percent a
    /// second.
    fastest: f64,
    /// The pace over the last interval in which progress moved.
    last_pace: Option<f64>,
}

/// The first poll after the write's answer.
const FIRST_POLL: f64 = 3.0;
/// The shortest wait.
const MIN_WAIT: f64 = 0.25;
/// The longest wait while nothing predicts the end.
const UNSURE_WAIT: f64 = 10.0;
/// The longest wait of all.
const MAX_WAIT: f64 = 30.0;
/// How much longer than the time waited so far the second wait may be.
const GROWTH: f64 = 2.5;
/// The share of the predicted remaining time a long wait may take.
const SHARE_OF_REMAINING: f64 = 0.65;
/// How far apart the ends predicted by the readings may be, as a share of
/// the running time, and still count as steady.
const STEADY_SPREAD: f64 = 0.15;
/// How much faster than the fastest pace seen a task is taken to be able
/// to go, when a wait is longer than [`UNSURE_WAIT`].
const PACE_MARGIN: f64 = 1.5;
/// How far apart two paces may be and still count as steady.
const STEADY_RATIO: f64 = 1.5;
/// How many readings must agree for progress to count as steady.
const STEADY_READINGS: usize = 3;
/// How many running readings the schedule keeps.
const KEPT: usize = STEADY_READINGS;
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
        let unsure = (GROWTH * now).clamp(floor, UNSURE_WAIT);
        let (true, Some(progress)) = (reading.started, reading.progress) else {
            self.pending_at = now;
            return unsure;
        };
        let progress = progress.clamp(0, 100) as f64;
        let start = *self.start.get_or_insert((self.pending_at + now) / 2.0);
        let previous = self.readings.last().copied();
        if previous.is_some_and(|(then, _)| now <= then) {
            return unsure; // no time has passed on the caller's clock
        }
        if self.readings.len() == KEPT {
            self.readings.remove(0);
        }
        self.readings.push((now, progress));
        let Some((then, before)) = previous else {
            return unsure; // one reading measures no pace
        };
        let moved = progress > before;
        if !moved || progress <= 0.0 || now <= start {
            return unsure;
        }
        let work = 100.0 - progress;
        // The end at the pace since the start, and at the last interval's;
        // each is trusted for a long wait when it is steady: the pace since
        // the start when the last readings predict about the same end, the
        // last interval's when it agrees with the one before.
        let average = now + work * (now - start) / progress;
        let pace = (progress - before) / (now - then);
        self.fastest = self.fastest.max(pace);
        let recent = now + work / pace;
        let recent_steady = self
            .last_pace
            .replace(pace)
            .is_some_and(|last| pace.max(last) / pace.min(last) <= STEADY_RATIO);
        let average_steady = self.steady(start);
        let soonest = match (average_steady, recent_steady) {
            (true, false) => average,
            (false, true) => recent,
            (true, true) => average.min(recent),
            // Neither steady: aim only where both agree the end is near.
            (false, false) => average.max(recent),
        };
        let until_end = soonest - now;
        let aimed_wait = until_end + (PAST_PREDICTED * until_end).max(MIN_WAIT);
        if until_end <= UNSURE_WAIT {
            self.aimed = true;
            return aimed_wait.max(floor);
        }
        // A wait longer than the unsure one needs steady progress, and ends
        // before the task could end at 1.5 times the fastest pace seen.
        let earliest = work / (PACE_MARGIN * self.fastest);
        if !average_steady || earliest <= UNSURE_WAIT {
            return unsure;
        }
        if SHARE_OF_REMAINING * until_end <= UNSURE_WAIT && aimed_wait <= earliest {
            self.aimed = true;
            return aimed_wait.max(floor);
        }
        (SHARE_OF_REMAINING * until_end).clamp(UNSURE_WAIT, earliest.min(MAX_WAIT))
    }

    /// Whether the last [`STEADY_READINGS`] readings predict about the same
    /// end at the pace since the start: within [`STEADY_SPREAD`] of the
    /// running time.
    fn steady(&self, start: f64) -> bool {
        let Some(last) = self.readings.len().checked_sub(STEADY_READINGS) else {
            return false;
        };
        let mut ends = Vec::with_capacity(STEADY_READINGS);
        for &(at, progress) in &self.readings[last..] {
            if progress <= 0.0 || at <= start {
                return false;
            }
            ends.push(at + (100.0 - progress) * (at - start) / progress);
        }
        let (low, high) = ends
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), &end| {
                (low.min(end), high.max(end))
            });
        let running = self.readings.last().map_or(0.0, |&(at, _)| at - start);
        high - low <= STEADY_SPREAD * running
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

    fn close(wait: f64, expected: f64) -> bool {
        (wait - expected).abs() < 1e-6
    }

    /// A task running steadily at 1 % a second from 1.5 s after the write,
    /// read at `at`: its waits.
    fn steady_task(schedule: &mut TaskPollSchedule, at: f64) -> f64 {
        let progress = (at - 1.5).floor() as i64;
        secs(schedule.next_delay(reading(at, true, Some(progress))))
    }

    #[test]
    fn the_first_poll_comes_after_three_seconds() {
        assert_eq!(
            TaskPollSchedule::new().first_delay(),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn a_task_that_says_nothing_is_polled_at_10_5_s_then_every_10_s() {
        let mut schedule = TaskPollSchedule::new();
        assert!(close(
            secs(schedule.next_delay(reading(3.0, false, Some(0)))),
            7.5
        ));
        assert_eq!(
            secs(schedule.next_delay(reading(10.5, false, Some(0)))),
            10.0
        );
        assert_eq!(secs(schedule.next_delay(reading(0.05, false, None))), 0.25);
        // Running, but progress that does not move predicts nothing either.
        let mut schedule = TaskPollSchedule::new();
        assert!(close(
            secs(schedule.next_delay(reading(3.0, true, Some(5)))),
            7.5
        ));
        for at in [10.5, 20.5, 30.5, 40.5] {
            assert_eq!(secs(schedule.next_delay(reading(at, true, Some(5)))), 10.0);
        }
    }

    #[test]
    fn a_near_end_is_aimed_at_just_after() {
        let mut schedule = TaskPollSchedule::new();
        schedule.next_delay(reading(3.0, true, Some(10)));
        // Started at 1.5 s (halfway to the first running reading): 40 % in
        // 4.5 s predicts the end at 12.75 s, the last interval's pace
        // (10 %/s) at 12 s; neither is steady yet, so the later: 6.75 s
        // from now, polled 5 % of that after.
        let wait = secs(schedule.next_delay(reading(6.0, true, Some(40))));
        assert!(close(wait, 6.75 * 1.05), "{wait}");
    }

    #[test]
    fn steady_progress_earns_waits_longer_than_ten_seconds() {
        let mut schedule = TaskPollSchedule::new();
        // Not steady until three readings agree on the end (101.5 s).
        assert!(close(steady_task(&mut schedule, 3.0), 7.5));
        assert_eq!(steady_task(&mut schedule, 10.5), 10.0);
        assert_eq!(steady_task(&mut schedule, 20.5), 10.0);
        // 71 s to go: 65 % of it is 46 s, held to 30 s.
        assert_eq!(steady_task(&mut schedule, 30.5), 30.0);
        // 41 s to go, but at 1.5 times the fastest pace seen (8 % in 7.5 s)
        // it could end in 25.6 s: the wait ends before that.
        let wait = steady_task(&mut schedule, 60.5);
        assert!(close(wait, 41.0 / (1.5 * 8.0 / 7.5)), "{wait}");
        // 15.4 s to go, but the task could end in 10 s at the fastest
        // pace: 10 s, not past that.
        let at = 60.5 + wait;
        let wait = steady_task(&mut schedule, at);
        assert_eq!(wait, 10.0, "{at}");
    }

    #[test]
    fn a_stall_or_a_jump_never_earns_a_wait_longer_than_ten_seconds() {
        let mut schedule = TaskPollSchedule::new();
        for at in [3.0, 10.5, 20.5, 30.5] {
            steady_task(&mut schedule, at);
        }
        // Stalled: back to the provider's longest wait.
        assert_eq!(
            secs(schedule.next_delay(reading(60.5, true, Some(29)))),
            10.0
        );
        // A jump after steady progress breaks it: back to 10 s too.
        let mut schedule = TaskPollSchedule::new();
        for at in [3.0, 10.5, 20.5, 30.5] {
            steady_task(&mut schedule, at);
        }
        assert_eq!(
            secs(schedule.next_delay(reading(60.5, true, Some(80)))),
            10.0
        );
    }

    #[test]
    fn aimed_polls_that_miss_double_the_shortest_wait() {
        let mut schedule = TaskPollSchedule::new();
        schedule.next_delay(reading(3.0, true, Some(0)));
        let mut at = 4.0;
        let mut waits = Vec::new();
        for progress in [98, 99, 99, 99] {
            let wait = secs(schedule.next_delay(reading(at, true, Some(progress))));
            waits.push(wait);
            at += wait;
        }
        // The first aims just after the predicted end; after that the
        // floor is 0.5 s; then progress stops moving: back to 10 s.
        assert!(waits[0] >= 0.25 && waits[0] < 0.5, "{waits:?}");
        assert!(waits[1] >= 0.5, "{waits:?}");
        assert_eq!(waits[2], 10.0, "{waits:?}");
        assert_eq!(waits[3], 10.0, "{waits:?}");
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
            reading(1e9 + 2.0, true, Some(3)),
            reading(1e9 + 3.0, true, Some(4)),
            reading(f64::MAX / 1e300, true, None),
        ];
        for reading in readings {
            let wait = secs(schedule.next_delay(reading));
            assert!((0.25..=30.0).contains(&wait), "{reading:?}: {wait}");
        }
    }
}
