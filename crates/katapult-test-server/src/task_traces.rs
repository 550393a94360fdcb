//! Task traces: a task's life as durations and a progress curve, and the
//! families of them that the task-waiting benchmark (`benches/tasks.rs` of
//! katapult-core) runs on the real clock and the polling schedule's tests
//! replay in virtual time. One definition for both, so the tests guard
//! what the benchmark measures.
//!
//! A trace is pending until `started`, running along its progress curve,
//! and `completed` from `finished` on, in seconds after the write that
//! created the task was answered.

/// A task's life.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskTrace {
    /// When it starts running, in seconds after the write's answer.
    pub started: f64,
    /// When it reads `completed`.
    pub finished: f64,
    /// Its progress while running: (share of the running time, percent),
    /// joined by straight lines; two points at one share make a jump.
    pub curve: Vec<(f64, f64)>,
}

/// What a read of the task says at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Pending,
    /// Running, at this whole percent (at most 99).
    Running(i64),
    Completed,
}

impl TaskTrace {
    /// What a read `at` seconds after the write's answer says.
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

/// A family of traces: what it is called and what it models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceFamily {
    pub name: &'static str,
    pub description: &'static str,
    /// Whether its tasks take seconds (run in test mode too) rather than
    /// minutes.
    pub short: bool,
}

/// Every family, short ones first.
pub const FAMILIES: [TraceFamily; 8] = [
    TraceFamily {
        name: "grow-disk",
        description: "the recorded \"Grow disk\": pending, running at 5 %, completed 1.5 to 3 s after the write",
        short: true,
    },
    TraceFamily {
        name: "short",
        description: "3 to 10 s, running at 5 % until done, as the recorded task reads",
        short: true,
    },
    TraceFamily {
        name: "linear",
        description: "30 to 120 s, progress steady from 0 to 100 %",
        short: false,
    },
    TraceFamily {
        name: "front-loaded",
        description: "30 to 120 s, 90 to 99 % within the first 50 to 80 % of the time, then no further",
        short: false,
    },
    TraceFamily {
        name: "stalled-then-jump",
        description: "30 to 120 s, stuck at 5 to 20 % until 40 to 70 % of the time, then a jump to 40 to 70 % and steady to the end",
        short: false,
    },
    TraceFamily {
        name: "jumpy",
        description: "30 to 120 s, progress reported at uneven moments (1 to 8 s apart) in uneven steps (0.2 to 1.8 times the mean pace)",
        short: false,
    },
    TraceFamily {
        name: "erratic",
        description: "30 to 120 s, 3 to 6 jumps at random moments to random values (5 to 95 %) that say little about time",
        short: false,
    },
    TraceFamily {
        name: "silent",
        description: "30 to 120 s, progress 0 until done",
        short: false,
    },
];

/// `count` traces of the family `name`, drawn from `seed`: the same seed
/// draws the same traces.
///
/// # Panics
/// If `name` is not one of [`FAMILIES`].
pub fn traces(name: &str, count: usize, seed: u64) -> Vec<TaskTrace> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..count).map(|_| trace(name, &mut rng)).collect()
}

fn trace(family: &str, rng: &mut fastrand::Rng) -> TaskTrace {
    let mut uniform = |low: f64, high: f64| low + (high - low) * rng.f64();
    let (started, finished) = match family {
        "grow-disk" => (uniform(0.2, 0.8), uniform(1.5, 3.0)),
        "short" => (uniform(0.2, 0.8), uniform(3.0, 10.0)),
        _ => (uniform(0.2, 1.0), uniform(30.0, 120.0)),
    };
    let curve = match family {
        "grow-disk" | "short" => vec![(0.0, 5.0), (1.0, 5.0)],
        "linear" => vec![(0.0, 0.0), (1.0, 100.0)],
        "front-loaded" => {
            let (until, top) = (uniform(0.5, 0.8), uniform(90.0, 99.0));
            vec![(0.0, 0.0), (until, top), (1.0, top)]
        }
        "stalled-then-jump" => {
            let (level, until, jump) = (uniform(5.0, 20.0), uniform(0.4, 0.7), uniform(40.0, 70.0));
            vec![
                (0.0, 0.0),
                (0.1, level),
                (until, level),
                (until, jump),
                (1.0, 100.0),
            ]
        }
        "jumpy" => {
            // Reports at uneven moments, each interval at 0.2 to 1.8 times
            // the mean pace, ending at 100 % on time.
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
        "erratic" => {
            let count = rng.usize(3..=6);
            let mut moments: Vec<f64> = (0..count).map(|_| 0.05 + 0.9 * rng.f64()).collect();
            let mut values: Vec<f64> = (0..count).map(|_| 5.0 + 90.0 * rng.f64()).collect();
            moments.sort_by(f64::total_cmp);
            values.sort_by(f64::total_cmp);
            steps(moments.into_iter().zip(values).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn every_family_draws_traces_that_start_before_they_end() {
        for family in FAMILIES {
            let drawn = traces(family.name, 50, 9);
            assert_eq!(drawn, traces(family.name, 50, 9), "{}", family.name);
            for trace in drawn {
                assert!(0.0 < trace.started && trace.started < trace.finished);
                assert!(trace.finished <= if family.short { 10.0 } else { 120.0 });
                assert_eq!(trace.curve.first().map(|p| p.0), Some(0.0), "{trace:?}");
                assert_eq!(trace.curve.last().map(|p| p.0), Some(1.0), "{trace:?}");
            }
        }
    }

    #[test]
    fn a_stall_then_a_jump_reads_level_then_higher() {
        let trace = traces("stalled-then-jump", 1, 3).remove(0);
        let (_, level) = trace.curve[1];
        let (until, jump) = trace.curve[3];
        let at = |share: f64| trace.started + share * (trace.finished - trace.started);
        assert_eq!(
            trace.state_at(at(until - 0.01)),
            TaskState::Running(level as i64)
        );
        assert_eq!(trace.state_at(at(until)), TaskState::Running(jump as i64));
    }
}
