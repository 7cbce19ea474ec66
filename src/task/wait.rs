//! asyncio's waiting helpers: `wait`, `as_completed`, `gather`, `try_gather`.
//!
//! `as_completed`, `gather` and `try_gather` are thin layers over `futures_util`
//! (`FuturesUnordered`, `join_all`, `try_join_all`): the futures run concurrently inside the
//! calling task. `wait` works on task handles and keeps the unfinished ones running.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::FuturesUnordered;

use super::{JoinError, JoinHandle};

/// When [`wait`] returns (asyncio's `return_when`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any task has finished.
    FirstCompleted,
    /// As soon as any task has failed (panicked or was cancelled), or when all have finished.
    FirstException,
    /// When every task has finished.
    AllCompleted,
}

/// Waits for tasks (asyncio's `asyncio.wait`): returns the results of the tasks that finished,
/// in completion order, and the handles of those still running, which keep running and can be
/// awaited later.
///
/// ```
/// use corio::task::{wait, ReturnWhen};
///
/// corio::run(async {
///     let (release, released) = std::sync::mpsc::channel::<()>();
///     let quick = corio::spawn(async { "quick" });
///     let slow = corio::spawn_blocking(move || {
///         released.recv().unwrap();
///         "slow"
///     });
///     let (done, pending) = wait([quick, slow], ReturnWhen::FirstCompleted).await;
///     assert_eq!(done.len(), 1);
///     assert_eq!(*done[0].as_ref().unwrap(), "quick");
///     release.send(()).unwrap(); // the slow one is still running, and can finish
///     for handle in pending {
///         assert_eq!(handle.await.unwrap(), "slow");
///     }
/// });
/// ```
pub async fn wait<T, I>(
    handles: I,
    return_when: ReturnWhen,
) -> (Vec<Result<T, JoinError>>, Vec<JoinHandle<T>>)
where
    I: IntoIterator<Item = JoinHandle<T>>,
{
    Wait {
        handles: handles.into_iter().map(Some).collect(),
        done: Vec::new(),
        return_when,
    }
    .await
}

struct Wait<T> {
    handles: Vec<Option<JoinHandle<T>>>,
    done: Vec<Result<T, JoinError>>,
    return_when: ReturnWhen,
}

impl<T> Unpin for Wait<T> {}

impl<T> Future for Wait<T> {
    type Output = (Vec<Result<T, JoinError>>, Vec<JoinHandle<T>>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut failed = false;
        for slot in &mut this.handles {
            if let Some(handle) = slot {
                if let Poll::Ready(result) = Pin::new(handle).poll(cx) {
                    failed |= result.is_err();
                    this.done.push(result);
                    *slot = None;
                }
            }
        }
        let all_done = this.handles.iter().all(Option::is_none);
        let ready = all_done
            || match this.return_when {
                ReturnWhen::FirstCompleted => !this.done.is_empty(),
                ReturnWhen::FirstException => failed || this.done.iter().any(Result::is_err),
                ReturnWhen::AllCompleted => false,
            };
        if !ready {
            return Poll::Pending;
        }
        let done = std::mem::take(&mut this.done);
        let pending = this.handles.drain(..).flatten().collect();
        Poll::Ready((done, pending))
    }
}

/// Yields the outputs of `futures` as they complete (asyncio's `asyncio.as_completed`).
///
/// ```
/// use futures_util::StreamExt;
/// use std::time::Duration;
///
/// corio::run(async {
///     let futures = [30u64, 10, 20].map(|ms| async move {
///         corio::time::sleep(Duration::from_millis(ms)).await;
///         ms
///     });
///     let order: Vec<u64> = corio::task::as_completed(futures).collect().await;
///     assert_eq!(order, vec![10, 20, 30]);
/// });
/// ```
pub fn as_completed<I>(futures: I) -> AsCompleted<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    AsCompleted {
        futures: futures.into_iter().collect(),
    }
}

/// The stream returned by [`as_completed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<F> {
    futures: FuturesUnordered<F>,
}

impl<F: Future> Stream for AsCompleted<F> {
    type Item = F::Output;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        Pin::new(&mut self.futures).poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.futures.len(), Some(self.futures.len()))
    }
}

impl<F> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.futures.len())
            .finish()
    }
}

/// Runs `futures` concurrently and returns all their outputs, in the order given (asyncio's
/// `asyncio.gather`).
///
/// ```
/// corio::run(async {
///     let squares = corio::task::gather((1..=4u32).map(|i| async move { i * i })).await;
///     assert_eq!(squares, vec![1, 4, 9, 16]);
/// });
/// ```
pub async fn gather<I>(futures: I) -> Vec<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future,
{
    futures_util::future::join_all(futures).await
}

/// Like [`gather`] for fallible futures: all the values in order, or the first error (the
/// other futures are then dropped, cancelled) — asyncio's `gather(return_exceptions=False)`.
///
/// ```
/// corio::run(async {
///     let all = corio::task::try_gather((1..=3u32).map(|i| async move { Ok::<_, String>(i) })).await;
///     assert_eq!(all, Ok(vec![1, 2, 3]));
///     let failed = corio::task::try_gather((1..=3u32).map(|i| async move {
///         if i == 2 { Err(format!("{i} failed")) } else { Ok(i) }
///     }))
///     .await;
///     assert_eq!(failed, Err("2 failed".to_string()));
/// });
/// ```
pub async fn try_gather<I, T, E>(futures: I) -> Result<Vec<T>, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>>,
{
    futures_util::future::try_join_all(futures).await
}
