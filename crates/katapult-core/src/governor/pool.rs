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
//! The file also holds `Permitted` and the server's clock, so a process that
//! joins a running pool (a CLI command started beside others, say) paces
//! from its first request instead of sending that one blind to learn them.
//! The clock is kept as the server's time minus this machine's wall clock,
//! which all processes on the machine share; each converts it to and from
//! its own monotonic clock, and narrows it with its own answers from then on.
//!
//! The lock is the operating system's advisory file lock, taken while the
//! governor's own mutex is held: a few microseconds, never across an await.
//! A process that dies leaves no lock behind, because the system drops it
//! with the handle. It may leave requests counted in flight, but only in its
//! window, which the next one clears.
//!
//! The pool can slow pacing, never stop a request. A lock not had within
//! [`LOCK_WAIT`] (the governor then leaves the file alone for
//! [`LOCK_PAUSE`]), a file that cannot be read or written, or a record that
//! does not parse is logged (once per client). The governor then decides on
//! its own view, as a client without a pool does.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::budget::{State, Window};
use super::clock::Offset;

/// How long a decision waits for another process to let go of the file. A
/// holder keeps it for microseconds, so a wait this long means a stopped
/// process (a debugger, `SIGSTOP`), and pacing goes on without the pool.
const LOCK_WAIT: Duration = Duration::from_millis(100);

/// How long a governor that waited [`LOCK_WAIT`] in vain paces on its own
/// view before it tries the lock again: a stopped holder stays stopped for
/// a while, and each decision must not wait for it again.
const LOCK_PAUSE: Duration = Duration::from_secs(1);

/// How the file begins: a file that holds anything else is never written.
const MARK: &str = "# katapult-core rate-limit pool";

/// The first line of the file, for whoever opens it.
const HEADER: &str = "# katapult-core rate-limit pool: the processes using this file pace one \
                      API token's budget together. Safe to delete when none of them runs.";

/// An open pool file.
#[derive(Debug)]
pub(crate) struct Pool {
    file: File,
    path: PathBuf,
    window_secs: u64,
    /// The wall-clock time (Unix seconds) of the governor's local zero, by
    /// which its clock converts to the file's.
    epoch_wall: f64,
    /// Whether a problem with the file was logged already.
    warned: AtomicBool,
    /// Until when the lock is not tried, after one that did not come.
    paused_until: Mutex<Option<Instant>>,
}

/// The pooled part of a governor's state, as the file holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Record {
    window_secs: u64,
    window: Window,
    share: f64,
    share_seen: bool,
    probe_claim: u64,
    permitted: Option<u32>,
    /// The server's clock: its time minus the wall clock's, as an interval.
    clock: Option<(f64, f64)>,
}

impl Pool {
    /// Opens the file at `path`, creating it if it is missing, for a
    /// governor whose window is `window_secs` long. A file that holds
    /// something else is refused, not overwritten: a path mistyped, or a
    /// link planted in a shared folder, must not cost a file its contents.
    pub(crate) fn open(path: &Path, window_secs: u64) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut text = String::new();
        let read = (&file).take(MARK.len() as u64).read_to_string(&mut text);
        if read.is_err() || !(text.is_empty() || text == MARK) {
            return Err(std::io::Error::other(format!(
                "it holds something else (a pool file begins with {MARK:?}), and katapult-core \
                 does not overwrite it"
            )));
        }
        Ok(Self {
            file,
            path: path.to_owned(),
            window_secs,
            epoch_wall: 0.0,
            warned: AtomicBool::new(false),
            paused_until: Mutex::new(None),
        })
    }

    /// The pool for a governor whose local zero is `epoch_wall` (Unix
    /// seconds by the wall clock).
    pub(crate) fn anchored(self, epoch_wall: f64) -> Self {
        Self { epoch_wall, ..self }
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
        if !(text.is_empty() || text.starts_with(MARK)) {
            // Replaced since it was opened: not ours to write.
            self.warn("it no longer holds a pool record, and katapult-core does not overwrite it");
            let _ = self.file.unlock();
            return false;
        }
        match Record::parse(&text) {
            Some(record) if record.window_secs == self.window_secs => {
                record.apply(state, self.epoch_wall);
            }
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
        let text = Record::of(state, self.window_secs, self.epoch_wall).to_text();
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
        let mut paused = self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if paused.is_some_and(|until| started < until) {
            return Err("its lock was not had a moment ago".to_owned());
        }
        loop {
            match self.file.try_lock() {
                Ok(()) => return Ok(()),
                // A holder keeps it for microseconds: yield at first, then
                // sleep rather than spin.
                Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                    match started.elapsed() < Duration::from_millis(1) {
                        true => std::thread::yield_now(),
                        false => std::thread::sleep(Duration::from_millis(1)),
                    }
                }
                Err(TryLockError::WouldBlock) => {
                    *paused = Some(Instant::now() + LOCK_PAUSE);
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
    fn of(state: &State, window_secs: u64, epoch_wall: f64) -> Self {
        Self {
            window_secs,
            window: state.window,
            share: state.share,
            share_seen: state.share_seen,
            probe_claim: state.probe_claim,
            permitted: state.permitted,
            clock: state
                .clock
                .map(|clock| (clock.lo - epoch_wall, clock.hi - epoch_wall)),
        }
    }

    /// Puts the pooled accounting into `state`; and, to a governor that
    /// has heard nothing yet, what the others learnt.
    fn apply(self, state: &mut State, epoch_wall: f64) {
        state.window = self.window;
        state.share = self.share;
        state.share_seen = self.share_seen;
        state.probe_claim = self.probe_claim;
        if let (None, Some((lo, hi)), Some(permitted)) = (state.clock, self.clock, self.permitted) {
            state.clock = Some(Offset {
                lo: lo + epoch_wall,
                hi: hi + epoch_wall,
            });
            state.permitted = Some(permitted);
            state.heard = true;
        }
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
        let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
        format!(
            "{HEADER}\nwindow_secs={} index={index} remaining={} in_flight={in_flight} \
             sent={sent} counted={counted} share={} share_seen={} probe_claim={} permitted={} \
             clock={}\n",
            self.window_secs,
            or_dash(remaining.map(|remaining| remaining.to_string())),
            self.share,
            self.share_seen,
            self.probe_claim,
            or_dash(self.permitted.map(|permitted| permitted.to_string())),
            or_dash(self.clock.map(|(lo, hi)| format!("{lo},{hi}"))),
        )
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
            permitted: match next("permitted")? {
                "-" => None,
                value => Some(value.parse().ok()?),
            },
            clock: match next("clock")? {
                "-" => None,
                value => {
                    let (lo, hi) = value.split_once(',')?;
                    let (lo, hi): (f64, f64) = (lo.parse().ok()?, hi.parse().ok()?);
                    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                        return None;
                    }
                    Some((lo, hi))
                }
            },
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
            permitted: Some(25),
            clock: Some((-0.25, 0.5)),
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
            permitted: None,
            clock: None,
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
            text.replace("clock=-0.25,0.5", "clock=0.5,-0.25"),
            text.replace("clock=-0.25,0.5", "clock=NaN,0.5"),
            "garbage".to_owned(),
            String::new(),
        ] {
            assert_eq!(Record::parse(&broken), None, "{broken}");
        }
    }
}
