//! Replays task traces in virtual time against [`TaskPollSchedule`] and
//! against the schedule of Katapult's Terraform provider, and counts polls
//! per task and the delay between a task ending and a poll seeing it.
//! No clock is read: every figure is a pure function of the seed.
//!
//! A trace is a task's life: pending until `started`, running with a
//! progress curve, `completed` from `finished` on (seconds after the write
//! that created it was answered). Polls take no time here; the loopback
//! benchmark measures the same two figures with real requests.
//!
//! The families: the recorded "Grow disk" (pending, then running at 5%,
//! then completed about 2 s after the write), longer tasks of the same kind
//! (3 to 10 s), and 30 to 120 s tasks whose progress is linear, stalls and
//! then runs fast, moves in uneven jumps at uneven moments ("jumpy"),
//! moves in a few coarse stages, jumps erratically to values that say
//! little about time, runs fast and then sits near the end, or says
//! nothing at all.

use std::time::Duration;

use super::schedule::{TaskPollSchedule, TaskReading};

/// A task's life in virtual time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskTrace {
    /// When it starts running, in seconds after the write's answer.
    pub started: f64,
    /// When it reads `completed`.
    pub finished: f64,
    /// Its progress while running: (share of the running time, percent),
    /// joined by straight lines; two points at one share make a jump.
    pub curve: Vec<(f64, f64)>,
}

/// What a poll at some moment reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TaskState {
    Pending,
    /// Running, at this whole percent (at most 99).
    Running(i64),
    Completed,
}

impl TaskTrace {
    /// What a poll `at` seconds after the write's answer reads.
    pub fn state_at(&self, at: f64) -> TaskState {
        if at >= self.finished {
            return TaskState::Completed;
        }
        if at < self.started {
            return TaskState::Pending;
        }
        let share = (at - self.started) / (self.finished - self.started);
        let mut progress = self.curve.last().map_or(0.0, |&(_, p)| p);
        for pair in self.curve.windows(2) {
            let ((x0, p0), (x1, p1)) = (pair[0], pair[1]);
            if share >= x0 && share < x1 {
                progress = p0 + (p1 - p0) * (share - x0) / (x1 - x0);
                break;
            }
        }
        TaskState::Running(progress.clamp(0.0, 99.0) as i64)
    }
}

/// The provider's `StateChangeConf`: a first poll after `Delay` (1 s),
/// then waits that start at 100 ms and double, never under `MinTimeout`
/// (5 s) nor over 10 s: 1, 6, 16, 26, ... seconds.
pub(crate) fn provider_delays() -> impl FnMut(TaskReading) -> Duration {
    let mut wait = Duration::ZERO;
    let mut polls = 0u32;
    move |_| {
        polls += 1;
        if polls == 1 {
            return Duration::from_secs(1);
        }
        wait = (wait.max(Duration::from_millis(100)) * 2)
            .clamp(Duration::from_secs(5), Duration::from_secs(10));
        wait
    }
}

/// Polls a trace until it reads completed: (polls, seconds between the end
/// and the poll that saw it). `first` is the delay after the write's
/// answer; `next` gets every reading of a task not yet ended.
pub(crate) fn replay(
    trace: &TaskTrace,
    first: Duration,
    mut next: impl FnMut(TaskReading) -> Duration,
) -> (u32, f64) {
    let mut at = first.as_secs_f64();
    let mut polls = 1;
    loop {
        let (started, progress) = match trace.state_at(at) {
            TaskState::Completed => return (polls, at - trace.finished),
            TaskState::Pending => (false, 0),
            TaskState::Running(progress) => (true, progress),
        };
        let reading = TaskReading {
            at: Duration::from_secs_f64(at),
            started,
            progress: Some(progress),
        };
        at += next(reading).as_secs_f64();
        polls += 1;
        assert!(polls < 10_000, "a schedule never saw the end of {trace:?}");
    }
}

/// Median and maximum of polls per task and of the delay, over one family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Figures {
    pub polls_median: f64,
    pub polls_max: f64,
    pub delay_median: f64,
    pub delay_max: f64,
}

/// One family's figures for this crate's schedule and the provider's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    pub family: &'static str,
    pub ours: Figures,
    pub provider: Figures,
}

/// The family names, in the order [`traces`] and [`compare`] use.
pub(crate) const FAMILIES: [&str; 9] = [
    "grow-disk",
    "short-3-10s",
    "linear",
    "stalled-then-fast",
    "jumpy",
    "stages",
    "erratic",
    "front-loaded",
    "silent",
];

/// `count` traces of `family`, drawn from `seed`.
pub(crate) fn traces(family: &str, count: usize, seed: u64) -> Vec<TaskTrace> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..count).map(|_| trace(family, &mut rng)).collect()
}

fn trace(family: &str, rng: &mut fastrand::Rng) -> TaskTrace {
    let mut uniform = |low: f64, high: f64| low + (high - low) * rng.f64();
    let (started, finished) = match family {
        "grow-disk" => (uniform(0.2, 0.8), uniform(1.5, 3.0)),
        "short-3-10s" => (uniform(0.2, 0.8), uniform(3.0, 10.0)),
        _ => (uniform(0.2, 1.0), uniform(30.0, 120.0)),
    };
    let curve = match family {
        "grow-disk" | "short-3-10s" => vec![(0.0, 5.0), (1.0, 5.0)],
        "linear" => vec![(0.0, 0.0), (1.0, 100.0)],
        "stalled-then-fast" => {
            let (level, until) = (uniform(5.0, 20.0), uniform(0.4, 0.7));
            vec![(0.0, 0.0), (0.1, level), (until, level), (1.0, 100.0)]
        }
        "jumpy" => {
            // Reports at uneven moments (1 to 8 s apart), each interval at
            // 0.2 to 1.8 times the mean pace, ending at 100 % on time.
            let mut moments = Vec::new();
            let mut at = uniform(1.0, 8.0) / finished;
            while at < 1.0 {
                moments.push(at);
                at += uniform(1.0, 8.0) / finished;
            }
            let mut edges = vec![0.0];
            edges.extend(&moments);
            edges.push(1.0);
            let work: Vec<f64> = edges
                .windows(2)
                .map(|pair| (pair[1] - pair[0]) * uniform(0.2, 1.8))
                .collect();
            let total: f64 = work.iter().sum();
            let mut done = 0.0;
            let levels = moments.iter().zip(&work).map(|(&at, &part)| {
                done += part;
                (at, 100.0 * done / total)
            });
            steps(levels.collect())
        }
        "stages" => {
            let count = rng.u32(3..=8);
            let levels = (1..count)
                .map(|stage| {
                    let at = (f64::from(stage) + 0.3 * (2.0 * rng.f64() - 1.0)) / f64::from(count);
                    (at, 100.0 * f64::from(stage) / f64::from(count))
                })
                .collect();
            steps(levels)
        }
        "erratic" => {
            let count = rng.usize(3..=6);
            let mut moments: Vec<f64> = (0..count).map(|_| 0.05 + 0.9 * rng.f64()).collect();
            let mut values: Vec<f64> = (0..count).map(|_| 5.0 + 90.0 * rng.f64()).collect();
            moments.sort_by(f64::total_cmp);
            values.sort_by(f64::total_cmp);
            steps(moments.into_iter().zip(values).collect())
        }
        "front-loaded" => {
            let (until, top) = (uniform(0.5, 0.8), uniform(90.0, 99.0));
            vec![(0.0, 0.0), (until, top), (1.0, top)]
        }
        "silent" => vec![(0.0, 0.0), (1.0, 0.0)],
        other => panic!("no trace family {other}"),
    };
    TaskTrace {
        started,
        finished,
        curve,
    }
}

/// A step curve through `levels` (share, percent), from 0 %.
fn steps(levels: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut curve = vec![(0.0, 0.0)];
    let mut level = 0.0;
    for (at, next) in levels {
        curve.push((at, level));
        curve.push((at, next));
        level = next;
    }
    curve.push((1.0, level));
    curve
}

/// Replays `count` traces of every family, drawn from `seed`, against both
/// schedules.
pub(crate) fn compare(count: usize, seed: u64) -> Vec<Comparison> {
    FAMILIES
        .iter()
        .map(|&family| {
            let traces = traces(family, count, seed);
            let ours = figures(traces.iter().map(|trace| {
                let mut schedule = TaskPollSchedule::new();
                replay(trace, schedule.first_delay(), |r| schedule.next_delay(r))
            }));
            let provider = figures(traces.iter().map(|trace| {
                let mut next = provider_delays();
                let first = next(TaskReading {
                    at: Duration::ZERO,
                    started: false,
                    progress: None,
                });
                replay(trace, first, next)
            }));
            Comparison {
                family,
                ours,
                provider,
            }
        })
        .collect()
}

fn figures(outcomes: impl Iterator<Item = (u32, f64)>) -> Figures {
    let (polls, delays): (Vec<f64>, Vec<f64>) = outcomes
        .map(|(polls, delay)| (f64::from(polls), delay))
        .unzip();
    Figures {
        polls_median: median(&polls),
        polls_max: polls.iter().copied().fold(0.0, f64::max),
        delay_median: median(&delays),
        delay_max: delays.iter().copied().fold(0.0, f64::max),
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds every comparison below holds for, not one lucky draw.
    const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

    fn comparisons() -> Vec<Vec<Comparison>> {
        SEEDS.iter().map(|&seed| compare(200, seed)).collect()
    }

    fn family<'a>(runs: &'a [Vec<Comparison>], name: &str) -> Vec<&'a Comparison> {
        runs.iter()
            .map(|run| run.iter().find(|c| c.family == name).expect(name))
            .collect()
    }

    #[test]
    fn a_trace_reads_pending_running_and_completed() {
        let trace = TaskTrace {
            started: 0.5,
            finished: 10.5,
            curve: steps(vec![(0.5, 40.0)]),
        };
        assert_eq!(trace.state_at(0.0), TaskState::Pending);
        assert_eq!(trace.state_at(0.5), TaskState::Running(0));
        assert_eq!(trace.state_at(5.4), TaskState::Running(0));
        assert_eq!(trace.state_at(5.5), TaskState::Running(40));
        assert_eq!(trace.state_at(10.4), TaskState::Running(40));
        assert_eq!(trace.state_at(10.5), TaskState::Completed);
        let linear = TaskTrace {
            started: 0.0,
            finished: 100.0,
            curve: vec![(0.0, 0.0), (1.0, 100.0)],
        };
        assert_eq!(linear.state_at(42.7), TaskState::Running(42));
        assert_eq!(linear.state_at(99.99), TaskState::Running(99));
    }

    #[test]
    fn the_provider_polls_at_1_6_16_26_seconds() {
        let trace = TaskTrace {
            started: 0.0,
            finished: 25.0,
            curve: vec![(0.0, 0.0), (1.0, 100.0)],
        };
        let mut next = provider_delays();
        let first = next(TaskReading {
            at: Duration::ZERO,
            started: false,
            progress: None,
        });
        assert_eq!(replay(&trace, first, next), (4, 1.0));
    }

    #[test]
    fn every_family_draws_traces_that_end_and_start_in_time() {
        for family in FAMILIES {
            for trace in traces(family, 50, 9) {
                assert!(
                    0.0 < trace.started && trace.started < trace.finished,
                    "{trace:?}"
                );
                assert_eq!(trace.curve.first().map(|p| p.0), Some(0.0), "{trace:?}");
                assert_eq!(trace.curve.last().map(|p| p.0), Some(1.0), "{trace:?}");
            }
        }
    }

    #[test]
    fn short_tasks_cost_one_poll_and_are_seen_sooner() {
        let runs = comparisons();
        for c in family(&runs, "grow-disk") {
            assert_eq!((c.ours.polls_median, c.ours.polls_max), (1.0, 1.0), "{c:?}");
            assert_eq!(
                (c.provider.polls_median, c.provider.polls_max),
                (2.0, 2.0),
                "{c:?}"
            );
            assert!(c.ours.delay_max < c.provider.delay_median, "{c:?}");
        }
        for c in family(&runs, "short-3-10s") {
            assert!(c.ours.polls_max <= c.provider.polls_max, "{c:?}");
            assert!(c.ours.delay_median < c.provider.delay_median, "{c:?}");
            assert!(c.ours.delay_max < c.provider.delay_max, "{c:?}");
        }
    }

    #[test]
    fn steady_progress_costs_fewer_polls_and_is_seen_sooner_at_worst() {
        for c in family(&comparisons(), "linear") {
            assert!(c.ours.polls_median < c.provider.polls_median, "{c:?}");
            assert!(c.ours.polls_max < c.provider.polls_max, "{c:?}");
            assert!(c.ours.delay_median < c.provider.delay_median / 4.0, "{c:?}");
            assert!(c.ours.delay_max < c.provider.delay_max / 2.0, "{c:?}");
        }
    }

    #[test]
    fn a_stall_then_a_fast_finish_is_seen_sooner_for_no_more_polls() {
        for c in family(&comparisons(), "stalled-then-fast") {
            assert!(c.ours.polls_median <= c.provider.polls_median, "{c:?}");
            assert!(c.ours.polls_max < c.provider.polls_max, "{c:?}");
            assert!(c.ours.delay_median < c.provider.delay_median / 4.0, "{c:?}");
            assert!(c.ours.delay_max < c.provider.delay_max, "{c:?}");
        }
    }

    #[test]
    fn jumpy_progress_costs_fewer_polls_and_is_seen_sooner_in_the_median() {
        for c in family(&comparisons(), "jumpy") {
            assert!(c.ours.polls_median < c.provider.polls_median, "{c:?}");
            assert!(c.ours.polls_max <= c.provider.polls_max + 1.0, "{c:?}");
            assert!(c.ours.delay_median < c.provider.delay_median, "{c:?}");
        }
    }

    #[test]
    fn progress_that_says_little_costs_at_most_one_poll_more() {
        // Where progress tells little (coarse stages, erratic jumps, a
        // stall near the end, no progress at all) both schedules fall back
        // on waits of about 10 s; which one polls once more depends on the
        // phase of the end against those waits.
        let runs = comparisons();
        for name in ["stages", "erratic", "front-loaded", "silent"] {
            for c in family(&runs, name) {
                assert!(
                    c.ours.polls_median <= c.provider.polls_median + 1.0,
                    "{c:?}"
                );
                assert!(c.ours.polls_max <= c.provider.polls_max + 1.0, "{c:?}");
                assert!(c.ours.delay_median < c.provider.delay_median + 1.0, "{c:?}");
            }
        }
    }

    /// The figures for the report, over 1000 traces per family: `cargo test
    /// -p katapult-core --lib schedule_figures -- --ignored --nocapture`.
    #[test]
    #[ignore = "prints the figures; asserts nothing"]
    fn schedule_figures() {
        eprintln!(
            "| trace family | polls per task, ours | provider | delay to seen (s), ours | provider |"
        );
        eprintln!("|---|---:|---:|---:|---:|");
        for c in compare(1000, 2026) {
            eprintln!(
                "| {} | {} / {} | {} / {} | {:.2} / {:.2} | {:.2} / {:.2} |",
                c.family,
                c.ours.polls_median,
                c.ours.polls_max,
                c.provider.polls_median,
                c.provider.polls_max,
                c.ours.delay_median,
                c.ours.delay_max,
                c.provider.delay_median,
                c.provider.delay_max
            );
        }
    }
}
