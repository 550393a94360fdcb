//! The pool file: processes on one token that pace as one client.
//!
//! Each governor reads the server's count of the window, but that count
//! leaves out what the other processes on the token have in flight. Each
//! process claiming its share of what is left, the processes together claim
//! up to all of it twice over (BENCHMARKS.md, "A fleet of disk changes").
//! A pool file closes that gap. The window's accounting lives in one small
//! file: the requests charged and in flight, the lowest `Remaining`, the
//! answers counted, the pool's share of the token, and which process probes
//! the next boundary. Every governor using the file locks it for each
//! decision and each answer, so the processes count as one client.
//!
//! The lock is the operating system's advisory file lock, taken while the
//! governor's own mutex is held: a few microseconds, never across an await.
//! A process that dies leaves no lock behind, because the system drops it
//! with the handle. It may leave requests counted in flight, but only in its
//! window, which the next one clears.
//!
//! The pool can slow pacing, never stop a request. A lock not had within
//! [`LOCK_WAIT`], a file that cannot be read or written, or a record that
//! does not parse is logged (once per client). The governor then decides on
//! its own view, as a client without a pool does.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::budget::{State, Window};

/// How long a decision waits for another process to let go of the file. A
/// holder keeps it for microseconds, so a wait this long means a stopped
/// process (a debugger, `SIGSTOP`), and pacing goes on without the pool.
const LOCK_WAIT: Duration = Duration::from_millis(100);

/// The first line of the file, for whoever opens it.
const HEADER: &str = "# katapult-core rate-limit pool: the processes using this file pace one \
                      API token's budget together. Safe to delete when none of them runs.";

/// An open pool file.
#[derive(Debug)]
pub(crate) struct Pool {
    file: File,
    path: PathBuf,
    window_secs: u64,
    /// Whether a problem with the file was logged already.
    warned: AtomicBool,
}

/// The pooled part of a governor's state, as the file holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Record {
    window_secs: u64,
    window: Window,
    share: f64,
    share_seen: bool,
    probe_claim: u64,
}

impl Pool {
    /// Opens the file at `path`, creating it if it is missing, for a
    /// governor whose window is `window_secs` long.
    pub(crate) fn open(path: &Path, window_secs: u64) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        Ok(Self {
            file,
            path: path.to_owned(),
            window_secs,
            warned: AtomicBool::new(false),
        })
    }

    /// Locks the file and puts the pool's accounting into `state`. `false`:
    /// the file is not locked (the problem is logged) and `state` is left
    /// as it was.
    pub(super) fn load(&self, state: &mut State) -> bool {
        if let Err(problem) = self.lock() {
            self.warn(&problem);
            return false;
        }
        let mut text = String::new();
        let read = (&self.file)
            .seek(SeekFrom::Start(0))
            .and_then(|_| (&self.file).read_to_string(&mut text));
        if let Err(error) = read {
            self.warn(&format!("it cannot be read: {error}"));
            // Not written back either: what is there stays for the others.
            let _ = self.file.unlock();
            return false;
        }
        match Record::parse(&text) {
            Some(record) if record.window_secs == self.window_secs => record.apply(state),
            Some(record) => self.warn(&format!(
                "it is used with a rate-limit window of {} s, and this client's is {} s; \
                 this client's accounting replaces it",
                record.window_secs, self.window_secs
            )),
            // A new file is empty: nothing to say.
            None if text.trim().is_empty() => {}
            None => {
                self.warn("it does not hold a pool record; this client's accounting replaces it")
            }
        }
        true
    }

    /// Writes `state`'s accounting to the file and lets go of the lock
    /// [`load`](Self::load) took.
    pub(super) fn store(&self, state: &State) {
        let text = Record::of(state, self.window_secs).to_text();
        let written = (&self.file)
            .seek(SeekFrom::Start(0))
            .and_then(|_| (&self.file).write_all(text.as_bytes()))
            .and_then(|()| self.file.set_len(text.len() as u64));
        if let Err(error) = written {
            self.warn(&format!("it cannot be written: {error}"));
        }
        let _ = self.file.unlock();
    }

    fn lock(&self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            match self.file.try_lock() {
                Ok(()) => return Ok(()),
                Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                    std::thread::yield_now();
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(format!(
                        "another process has held its lock for over {} ms",
                        LOCK_WAIT.as_millis()
                    ));
                }
                Err(TryLockError::Error(error)) => {
                    return Err(format!("it cannot be locked: {error}"));
                }
            }
        }
    }

    fn warn(&self, problem: &str) {
        if self.warned.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::warn!(
            path = %self.path.display(),
            problem,
            "katapult-core's rate-limit pool file is not usable as it is (logged once per \
             client); this client paces on its own view of the budget meanwhile. Check that \
             only katapult clients with the same token and window use the file"
        );
    }
}

impl Record {
    fn of(state: &State, window_secs: u64) -> Self {
        Self {
            window_secs,
            window: state.window,
            share: state.share,
            share_seen: state.share_seen,
            probe_claim: state.probe_claim,
        }
    }

    fn apply(self, state: &mut State) {
        state.window = self.window;
        state.share = self.share;
        state.share_seen = self.share_seen;
        state.probe_claim = self.probe_claim;
    }

    /// The header, then one line of `name=value` fields.
    fn to_text(self) -> String {
        let Window {
            index,
            remaining,
            in_flight,
            sent,
            counted,
        } = self.window;
        let mut text = format!(
            "{HEADER}\nwindow_secs={} index={index} remaining=",
            self.window_secs
        );
        match remaining {
            Some(remaining) => write!(text, "{remaining}"),
            None => write!(text, "-"),
        }
        .and_then(|()| {
            writeln!(
                text,
                " in_flight={in_flight} sent={sent} counted={counted} share={} share_seen={} \
                 probe_claim={}",
                self.share, self.share_seen, self.probe_claim
            )
        })
        .unwrap_or_default();
        text
    }

    /// The record in `text`, if it holds exactly one with every field.
    fn parse(text: &str) -> Option<Self> {
        let line = text.lines().find(|line| !line.starts_with('#'))?;
        let mut fields = line.split_whitespace().map(|field| field.split_once('='));
        let mut next = |name: &str| match fields.next() {
            Some(Some((key, value))) if key == name => Some(value),
            _ => None,
        };
        let window_secs = next("window_secs")?.parse().ok()?;
        let index = next("index")?.parse().ok()?;
        let remaining = match next("remaining")? {
            "-" => None,
            value => Some(value.parse().ok()?),
        };
        let window = Window {
            index,
            remaining,
            in_flight: next("in_flight")?.parse().ok()?,
            sent: next("sent")?.parse().ok()?,
            counted: next("counted")?.parse().ok()?,
        };
        let share: f64 = next("share")?.parse().ok()?;
        let record = Self {
            window_secs,
            window,
            share: share.clamp(0.0, 1.0),
            share_seen: next("share_seen")?.parse().ok()?,
            probe_claim: next("probe_claim")?.parse().ok()?,
        };
        fields.next().is_none().then_some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            window_secs: 2,
            window: Window {
                index: 887_766,
                remaining: Some(3),
                in_flight: 2,
                sent: 20,
                counted: 18,
            },
            share: 0.75,
            share_seen: true,
            probe_claim: 887_767,
        }
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let record = record();
        let text = record.to_text();
        assert!(
            text.starts_with("# katapult-core rate-limit pool"),
            "{text}"
        );
        assert_eq!(Record::parse(&text), Some(record));
        let unknown = Record {
            window: Window {
                remaining: None,
                ..record.window
            },
            ..record
        };
        assert_eq!(Record::parse(&unknown.to_text()), Some(unknown));
    }

    #[test]
    fn a_record_missing_a_field_or_with_one_more_is_none() {
        let text = record().to_text();
        for broken in [
            text.replace(" sent=20", ""),
            text.replace("counted=18", "counted=x"),
            text.replace("share_seen=true", "share_seen=true extra=1"),
            text.replace("index=", "idx="),
            "garbage".to_owned(),
            String::new(),
        ] {
            assert_eq!(Record::parse(&broken), None, "{broken}");
        }
    }
}
