//! Updating or changing many disks at once: bounded concurrency, results
//! streamed back as they finish with the index of their input, every input
//! accounted for exactly once, progress to drive a progress bar, and
//! cancellation by dropping the stream.
//!
//! Each input is an ordinary call ([`Client::update_disk`],
//! [`Client::change_disk`]) on a task of its own, so it retries and waits
//! for the rate-limit governor like any other call; the governor, shared by
//! the client's clones, paces them all from the server's budget. The tasks
//! sit in a [`JoinSet`] owned by the stream: dropping the stream aborts
//! every one of them.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::task::{Id, JoinSet};

use crate::change::{ChangeOptions, ChangeReport, DiskChange};
use crate::client::Client;
use crate::error::Error;
use crate::response::{RateLimit, Response};
use crate::types;

/// The default number of updates in flight at once.
const DEFAULT_CONCURRENCY: usize = 8;

/// How [`Client::update_disks`] and [`Client::change_disks`] run.
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

/// The outcome of one input of [`Client::update_disks`] (or, as
/// `BulkResult<ChangeReport>`, of [`Client::change_disks`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkResult<T = Response<types::UpdateDiskResponse>> {
    /// The input's position, from 0.
    pub index: usize,
    /// What the call ([`Client::update_disk`], [`Client::change_disk`])
    /// returned for it.
    pub result: Result<T, Error>,
}

/// The results of [`Client::change_disks`], as they finish.
pub type BulkChanges = BulkUpdates<ChangeReport>;

/// One input's call, not yet started.
type Call<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send>>;

/// A snapshot of a bulk update's (or change's) progress.
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
pub struct BulkUpdates<T = Response<types::UpdateDiskResponse>> {
    client: Client,
    /// Each input's call, made as the iterator is advanced.
    inputs: Box<dyn Iterator<Item = Call<T>> + Send>,
    /// The iterator has ended.
    exhausted: bool,
    concurrency: usize,
    total: Option<usize>,
    tasks: JoinSet<BulkResult<T>>,
    /// The input index of every task still in the set: a task that panics
    /// or is aborted reports only its id.
    running: HashMap<Id, usize>,
    started: usize,
    succeeded: usize,
    failed: usize,
}

impl<T: Send + 'static> std::fmt::Debug for BulkUpdates<T> {
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
        let client = self.clone();
        self.bulk(
            bodies.into_iter().map(move |body| {
                let client = client.clone();
                Box::pin(async move { client.update_disk(body).await }) as Call<_>
            }),
            options,
        )
    }

    /// Changes many disks with bounded concurrency, under the client's
    /// rate-limit governor: each input is one [`Client::change_disk`] with
    /// `change` options, and ends in exactly one [`BulkResult`] holding its
    /// report or its error. Dropping the stream cancels the rest.
    ///
    /// ```no_run
    /// use std::num::NonZeroU32;
    /// use katapult_core::{BulkOptions, ChangeOptions, Client, DiskChange};
    ///
    /// # async fn run(client: Client, ids: Vec<String>) {
    /// let changes = ids.into_iter().map(|id| {
    ///     DiskChange::new(id).name("fleet").size_in_gb(NonZeroU32::new(40).unwrap())
    /// });
    /// let mut changes = client.change_disks(changes, BulkOptions::new(), ChangeOptions::default());
    /// while let Some(done) = changes.next().await {
    ///     match done.result {
    ///         Ok(report) => println!("#{}: {} steps", done.index, report.steps.len()),
    ///         Err(error) => eprintln!("#{}: {error}", done.index),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn change_disks<I>(
        &self,
        changes: I,
        options: BulkOptions,
        change: ChangeOptions,
    ) -> BulkChanges
    where
        I: IntoIterator<Item = DiskChange>,
        I::IntoIter: Send + 'static,
    {
        let client = self.clone();
        self.bulk(
            changes.into_iter().map(move |wanted| {
                let (client, options) = (client.clone(), change.clone());
                Box::pin(async move { client.change_disk(&wanted, options).await }) as Call<_>
            }),
            options,
        )
    }

    fn bulk<T, I>(&self, calls: I, options: BulkOptions) -> BulkUpdates<T>
    where
        I: Iterator<Item = Call<T>> + Send + 'static,
    {
        let total = match calls.size_hint() {
            (lower, Some(upper)) if lower == upper => Some(lower),
            _ => None,
        };
        BulkUpdates {
            client: self.clone(),
            inputs: Box::new(calls),
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

impl<T: Send + 'static> BulkUpdates<T> {
    /// The next result, or `None` once every input has one.
    pub async fn next(&mut self) -> Option<BulkResult<T>> {
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
            let Some(call) = self.inputs.next() else {
                self.exhausted = true;
                break;
            };
            let index = self.started;
            let handle = self.tasks.spawn(async move {
                let result = call.await;
                BulkResult { index, result }
            });
            self.running.insert(handle.id(), index);
            self.started += 1;
        }
    }

    /// Counts one result as it is handed out.
    fn finished(&mut self, done: BulkResult<T>) -> BulkResult<T> {
        if done.result.is_ok() {
            self.succeeded += 1;
        } else {
            self.failed += 1;
        }
        done
    }
}

impl<T: Send + 'static> Stream for BulkUpdates<T> {
    type Item = BulkResult<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BulkResult<T>>> {
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
                        &format!("the task for input {index} ended without a result ({error})"),
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
        fn changes<S: Stream<Item = BulkResult<ChangeReport>> + Send + Unpin + 'static>() {}
        changes::<BulkChanges>();
    }

    #[test]
    fn concurrency_is_at_least_one() {
        assert_eq!(BulkOptions::default().concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(BulkOptions::new().concurrency(0).concurrency, 1);
        assert_eq!(BulkOptions::new().concurrency(64).concurrency, 64);
    }
}
