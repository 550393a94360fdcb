//! Progress on stderr, drawn only when stderr is a terminal (a script
//! reading stderr gets nothing from it): the bulk bar, and the state of a
//! task being waited for.
//!
//! A single line redrawn in place with `\r`: counts, a bar and the rate-limit
//! budget. Written here rather than taken from a crate (indicatif and its
//! terminal stack) because one line of text is all it needs.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use katapult_core::types::Task;

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
}
