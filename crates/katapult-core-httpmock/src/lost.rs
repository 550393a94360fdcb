//! Answers the mock loses on purpose, so a test can see what a client does
//! when a write's answer never comes (a timeout after sending): the write
//! is applied or not, and the answer is held back until the client has
//! given up on it. Also the count of requests per operation, so a test can
//! tell whether a write was sent again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use katapult_core::DiskOperation;

/// How long a lost answer is held back: longer than any per-attempt
/// timeout a test gives its client, short enough that a held connection
/// does not outlive a bounded test by much.
pub(crate) const HOLD: Duration = Duration::from_secs(30);

/// What the mock does with a write whose answer it loses:
/// [`KatapultMock::lose_answer`](crate::KatapultMock::lose_answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostAnswer {
    /// The write is applied as if it had been answered (a write with a
    /// task starts its task), then its answer is lost: what a client sees
    /// when the server did the work and the way back failed.
    Applied,
    /// The write is not applied and its answer is lost: what a client sees
    /// when the request never reached the server's work, or failed there
    /// without a word.
    NotApplied,
}

/// The answers to lose, in the order the test asked, and the requests of
/// each write operation so far.
#[derive(Clone, Default)]
pub(crate) struct Losses(Arc<Mutex<Inner>>);

#[derive(Default)]
struct Inner {
    pending: VecDeque<(DiskOperation, LostAnswer)>,
    sent: Vec<(DiskOperation, usize)>,
}

impl Losses {
    pub(crate) fn lose(&self, operation: DiskOperation, how: LostAnswer) {
        self.lock().pending.push_back((operation, how));
    }

    /// Counts the request, and takes the first loss the test asked for its
    /// operation, if any.
    pub(crate) fn take(&self, operation: Option<DiskOperation>) -> Option<LostAnswer> {
        let operation = operation?;
        let mut inner = self.lock();
        match inner.sent.iter_mut().find(|(known, _)| *known == operation) {
            Some((_, count)) => *count += 1,
            None => inner.sent.push((operation, 1)),
        }
        let index = inner
            .pending
            .iter()
            .position(|(known, _)| *known == operation)?;
        inner.pending.remove(index).map(|(_, how)| how)
    }

    pub(crate) fn sent(&self, operation: DiskOperation) -> usize {
        self.lock()
            .sent
            .iter()
            .find(|(known, _)| *known == operation)
            .map_or(0, |(_, count)| *count)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Counters and a queue: consistent whatever panicked mid-way.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
