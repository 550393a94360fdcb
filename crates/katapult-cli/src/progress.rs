//! Progress on stderr, drawn only when stderr is a terminal (a script
//! reading stderr gets nothing from it): the bulk bar, the state of a task
//! being waited for, and the step a single disk change is at.
//!
//! A single line redrawn in place with `\r`: counts, a bar and the rate-limit
//! budget. Written here rather than taken from a crate (indicatif and its
//! terminal stack) because one line of text is all it needs.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use katapult_core::types::Task;
use katapult_core::{ChangeEvent, ChangeProgress};

/// What the bar shows: a snapshot of the bulk run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Requests to send, when known.
    pub total: Option<usize>,
    /// Requests finished, either way.
    pub done: usize,
    /// Requests that failed.
    pub failed: usize,
    /// Requests started and not finished.
    pub in_flight: usize,
    /// `X-Ratelimit-Remaining` / `X-Ratelimit-Permitted` as last seen.
    pub budget: Option<(u32, u32)>,
}

/// Width of the bar itself, in characters.
const BAR: usize = 24;
/// Redraws closer together than this are skipped (a fast run would
/// otherwise spend its time writing to the terminal).
const EVERY: Duration = Duration::from_millis(100);

/// The bar, or nothing when stderr is not a terminal.
pub struct ProgressBar {
    enabled: bool,
    drawn_at: Option<Instant>,
    width: usize,
}

impl ProgressBar {
    /// A bar on stderr, enabled only when stderr is a terminal.
    pub fn on_stderr() -> Self {
        Self {
            enabled: std::io::stderr().is_terminal(),
            drawn_at: None,
            width: 0,
        }
    }

    /// Redraws the line, unless it was drawn a moment ago (`force` draws
    /// anyway: for the final state).
    pub fn draw(&mut self, snapshot: &Snapshot, force: bool) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if !force && self.drawn_at.is_some_and(|at| now - at < EVERY) {
            return;
        }
        self.drawn_at = Some(now);
        self.write_line(&render(snapshot));
    }

    /// Whether anything is drawn (stderr is a terminal).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Redraws the line with the step a change is at (every moment is
    /// drawn: steps and polls are seconds apart).
    pub fn draw_change(&mut self, moment: &ChangeProgress<'_>) {
        if !self.enabled {
            return;
        }
        self.drawn_at = Some(Instant::now());
        self.write_line(&change_line(moment));
    }

    /// Redraws the line with a task's status and progress (every reading is
    /// drawn: polls are seconds apart).
    pub fn draw_task(&mut self, task: &Task) {
        if !self.enabled {
            return;
        }
        self.drawn_at = Some(Instant::now());
        self.write_line(&task_line(task));
    }

    fn write_line(&mut self, line: &str) {
        // Pad over a longer previous line.
        let pad = self.width.saturating_sub(line.chars().count());
        self.width = line.chars().count();
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r{line}{:pad$}", "");
        let _ = stderr.flush();
    }

    /// Clears the line, so what follows on stderr starts clean.
    pub fn finish(&mut self) {
        if !self.enabled || self.drawn_at.is_none() {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r{:width$}\r", "", width = self.width);
        let _ = stderr.flush();
    }
}

/// The line for a snapshot.
pub fn render(snapshot: &Snapshot) -> String {
    let Snapshot {
        total,
        done,
        failed,
        in_flight,
        budget,
    } = *snapshot;
    let mut line = match total {
        Some(total) if total > 0 => {
            let filled = (done.min(total) * BAR) / total;
            format!(
                "[{}{}] {done}/{total}",
                "#".repeat(filled),
                "-".repeat(BAR - filled)
            )
        }
        _ => format!("{done} done"),
    };
    line.push_str(&format!(
        "  ok {}  failed {failed}",
        done - failed.min(done)
    ));
    if in_flight > 0 {
        line.push_str(&format!("  in flight {in_flight}"));
    }
    if let Some((remaining, permitted)) = budget {
        line.push_str(&format!("  budget {remaining}/{permitted}"));
    }
    line
}

/// The line for a task: `task <id> <name>: <status> <progress>%`.
pub fn task_line(task: &Task) -> String {
    let mut line = format!("task {}", task.id.as_deref().unwrap_or("(no id)"));
    if let Some(name) = &task.name {
        line.push_str(&format!(" ({name})"));
    }
    line.push_str(": ");
    line.push_str(task.status.as_ref().map_or("unknown", |s| s.as_str()));
    if let Some(progress) = task.progress {
        line.push_str(&format!(" {progress}%"));
    }
    line
}

/// The line for a moment of a change:
/// `step <n>/<steps> <operation>: <what happened>`.
pub fn change_line(moment: &ChangeProgress<'_>) -> String {
    let what = match moment.event {
        ChangeEvent::Started => "started".to_owned(),
        ChangeEvent::Task(task) => task_line(task),
        ChangeEvent::Done => "done".to_owned(),
        _ => "under way".to_owned(),
    };
    format!(
        "step {}/{} {}: {what}",
        moment.step, moment.steps, moment.operation
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            render(&Snapshot {
                total: Some(8),
                done: 4,
                failed: 1,
                in_flight: 2,
                budget: Some((950, 1000)),
            }),
            "[############------------] 4/8  ok 3  failed 1  in flight 2  budget 950/1000"
        );
        assert_eq!(
            render(&Snapshot {
                total: None,
                done: 3,
                ..Snapshot::default()
            }),
            "3 done  ok 3  failed 0"
        );
        assert_eq!(
            render(&Snapshot {
                total: Some(0),
                ..Snapshot::default()
            }),
            "0 done  ok 0  failed 0"
        );
    }

    /// Each moment of a real change (a rename and a resize, against the
    /// stateful mock), as the line a terminal shows.
    #[tokio::test]
    async fn a_change_is_drawn_step_by_step() {
        use std::num::NonZeroU32;
        use std::sync::{Arc, Mutex};

        let mock = katapult_core_httpmock::KatapultMock::builder()
            .task_duration(Duration::from_millis(100))
            .start()
            .await;
        let client = katapult_core::Client::builder()
            .token("t")
            .base_url(mock.base_url())
            .build()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let drawn = Arc::clone(&lines);
        let options = katapult_core::ChangeOptions::default()
            .on_progress(move |moment| drawn.lock().unwrap().push(change_line(moment)));
        let change = katapult_core::DiskChange::new("disk_1")
            .name("logs")
            .size_in_gb(NonZeroU32::new(30).unwrap());
        let finished = tokio::time::timeout(
            Duration::from_secs(60),
            client.change_disk(&change, options),
        );
        finished.await.unwrap().unwrap();

        let lines = lines.lock().unwrap().clone();
        assert_eq!(
            lines[..3],
            [
                "step 1/2 update_disk: started",
                "step 1/2 update_disk: done",
                "step 2/2 resize_disk: started",
            ]
        );
        assert_eq!(
            lines[3],
            "step 2/2 resize_disk: task task_0000000000000001 (Grow disk): pending 0%"
        );
        let last = lines.len() - 1;
        assert_eq!(
            lines[last - 1],
            "step 2/2 resize_disk: task task_0000000000000001 (Grow disk): completed 100%"
        );
        assert_eq!(lines[last], "step 2/2 resize_disk: done");
    }
}
