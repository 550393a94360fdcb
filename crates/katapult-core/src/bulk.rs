//! Updating many disks at once: bounded concurrency, results streamed back
//! as they finish with the index of their input, every input accounted for
//! exactly once, progress to drive a progress bar, and cancellation by
//! dropping the stream.
//!
//! Each update is an ordinary [`Client::update_disk`] call on a task of its
//! own, so it retries and waits for the rate-limit governor like any other
//! call; the governor, shared by the client's clones, paces them all from
//! the server's budget. The tasks sit in a [`JoinSet`] owned by the stream:
//! dropping the stream aborts every one of them.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::task::{Id, JoinSet};

use crate::client::Client;
use crate::error::Error;
use crate::response::{RateLimit, Response};
use crate::types;

/// The default number of updates in flight at once.
const DEFAULT_CONCURRENCY: usize = 8;

/// How [`Client::update_disks`] runs.
#[derive(Debug, Clone)]
pub struct BulkOptions {
    concurrency: usize,
}

impl BulkOptions {
    /// Eight updates in flight at once.
    pub fn new() -> Self {
        Self {
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// At most `n` updates in flight at once (0 is taken as 1). More than
    /// the token's budget per window gains nothing: the governor holds the
    /// rest until the next window.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// The outcome of one input of [`Client::update_disks`].
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkResult {
    /// The input's position, from 0.
    pub index: usize,
    /// What [`Client::update_disk`] returned for it.
    pub result: Result<Response<types::UpdateDiskResponse>, Error>,
}

/// A snapshot of a bulk update's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// How many inputs there are, when the input's `size_hint` is exact.
    pub total: Option<usize>,
    /// Inputs whose update has started.
    pub started: usize,
    /// Inputs whose result the stream has handed out.
    pub done: usize,
    /// Of `done`, those that succeeded.
    pub succeeded: usize,
    /// Of `done`, those that failed.
    pub failed: usize,
    /// The rate-limit governor's estimate of the budget now
    /// ([`Client::rate_limit_estimate`]); `None` before any answer.
    pub rate_limit_estimate: Option<RateLimit>,
}

/// The results of [`Client::update_disks`], as they finish: a
/// [`futures_core::Stream`] of [`BulkResult`], with [`next`](Self::next)
/// for callers without `StreamExt`.
///
/// Updates start as the stream is polled, at most the configured number at
/// a time, and run on Tokio tasks (poll it inside a Tokio runtime, as every
/// call of the client needs). Dropping the stream cancels every update not
/// yet handed out: requests in flight are abandoned (one may still reach
/// the API), and no new one starts.
pub struct BulkUpdates {
    client: Client,
    inputs: Box<dyn Iterator<Item = types::UpdateDiskBody> + Send>,
    /// The iterator has ended.
    exhausted: bool,
    concurrency: usize,
    total: Option<usize>,
    tasks: JoinSet<BulkResult>,
    /// The input index of every task still in the set: a task that panics
    /// or is aborted reports only its id.
    running: HashMap<Id, usize>,
    started: usize,
    succeeded: usize,
    failed: usize,
}

impl std::fmt::Debug for BulkUpdates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkUpdates")
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Updates many disks with bounded concurrency, under the client's
    /// rate-limit governor. Results stream back as they finish (not in
    /// input order), each with its input index; every input ends in exactly
    /// one [`BulkResult`]. Dropping the stream cancels the rest.
    ///
    /// Inputs are taken from the iterator lazily, as room frees up.
    ///
    /// ```no_run
    /// use katapult_core::{BulkOptions, Client};
    /// use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
    ///
    /// # async fn run(client: Client, ids: Vec<String>) {
    /// let bodies = ids.into_iter().map(|id| UpdateDiskBody {
    ///     disk: DiskLookup { id },
    ///     properties: DiskArguments { name: Some("fleet".into()), ..Default::default() },
    ///     annotations: None,
    /// });
    /// let mut updates = client.update_disks(bodies, BulkOptions::new().concurrency(16));
    /// while let Some(done) = updates.next().await {
    ///     match done.result {
    ///         Ok(response) => println!("#{}: {:?} updated", done.index, response.disk.id),
    ///         Err(error) => eprintln!("#{}: {error}", done.index),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn update_disks<I>(&self, bodies: I, options: BulkOptions) -> BulkUpdates
    where
        I: IntoIterator<Item = types::UpdateDiskBody>,
        I::IntoIter: Send + 'static,
    {
        let inputs = bodies.into_iter();
        let total = match inputs.size_hint() {
            (lower, Some(upper)) if lower == upper => Some(lower),
            _ => None,
        };
        BulkUpdates {
            client: self.clone(),
            inputs: Box::new(inputs),
            exhausted: false,
            concurrency: options.concurrency.max(1),
            total,
            tasks: JoinSet::new(),
            running: HashMap::new(),
            started: 0,
            succeeded: 0,
            failed: 0,
        }
    }
}

impl BulkUpdates {
    /// The next result, or `None` once every input has one.
    pub async fn next(&mut self) -> Option<BulkResult> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Where the bulk update stands.
    pub fn progress(&self) -> Progress {
        Progress {
            total: self.total,
            started: self.started,
            done: self.succeeded + self.failed,
            succeeded: self.succeeded,
            failed: self.failed,
            rate_limit_estimate: self.client.rate_limit_estimate(),
        }
    }

    /// Starts updates until the bound is reached or the input ends.
    fn fill(&mut self) {
        while !self.exhausted && self.tasks.len() < self.concurrency {
            let Some(body) = self.inputs.next() else {
                self.exhausted = true;
                break;
            };
            let index = self.started;
            let client = self.client.clone();
            let handle = self.tasks.spawn(async move {
                let result = client.update_disk(body).await;
                BulkResult { index, result }
            });
            self.running.insert(handle.id(), index);
            self.started += 1;
        }
    }

    /// Counts one result as it is handed out.
    fn finished(&mut self, done: BulkResult) -> BulkResult {
        if done.result.is_ok() {
            self.succeeded += 1;
        } else {
            self.failed += 1;
        }
        done
    }
}

impl Stream for BulkUpdates {
    type Item = BulkResult;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BulkResult>> {
        let this = self.get_mut();
        this.fill();
        loop {
            return match this.tasks.poll_join_next_with_id(cx) {
                Poll::Ready(Some(Ok((id, done)))) => {
                    this.running.remove(&id);
                    let result = this.finished(done);
                    this.fill();
                    Poll::Ready(Some(result))
                }
                Poll::Ready(Some(Err(error))) => {
                    // Only a panic gets here: the set aborts its tasks only
                    // when the stream itself is dropped.
                    let Some(index) = this.running.remove(&error.id()) else {
                        continue;
                    };
                    // It may have sent its request: say the update may
                    // have been applied.
                    let failure = Error::internal(
                        &format!(
                            "the task updating input {index} ended without a result ({error})"
                        ),
                        true,
                    );
                    let result = this.finished(BulkResult {
                        index,
                        result: Err(failure),
                    });
                    this.fill();
                    Poll::Ready(Some(result))
                }
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let pending = self.tasks.len();
        let (lower, upper) = if self.exhausted {
            (0, Some(0))
        } else {
            self.inputs.size_hint()
        };
        (
            pending.saturating_add(lower),
            upper.and_then(|upper| upper.checked_add(pending)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_can_move_between_tasks_and_be_polled_unpinned() {
        fn stream<S: Stream<Item = BulkResult> + Send + Unpin + 'static>() {}
        stream::<BulkUpdates>();
    }

    #[test]
    fn concurrency_is_at_least_one() {
        assert_eq!(BulkOptions::default().concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(BulkOptions::new().concurrency(0).concurrency, 1);
        assert_eq!(BulkOptions::new().concurrency(64).concurrency, 64);
    }
}
