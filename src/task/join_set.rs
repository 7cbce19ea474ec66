//! `JoinSet`: a set of owned tasks, joined in completion order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::FuturesUnordered;

use super::{JoinError, JoinHandle};

/// A set of tasks spawned on the current runtime and owned together, awaited in the order
/// they complete (asyncio's `as_completed` over tasks you own). Dropping the set aborts every
/// task still in it.
///
/// Completion tracking is `futures_util`'s `FuturesUnordered`: only the handles whose task
/// completed are polled again, so joining n tasks costs O(n), not O(n²).
///
/// ```
/// use corio::task::JoinSet;
///
/// corio::run(async {
///     let mut set = JoinSet::new();
///     for i in 0..5u64 {
///         set.spawn(async move {
///             corio::time::sleep(std::time::Duration::from_millis(5 * (5 - i))).await;
///             i
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(result) = set.join_next().await {
///         order.push(result.unwrap());
///     }
///     assert_eq!(order, vec![4, 3, 2, 1, 0]); // completion order
/// });
/// ```
pub struct JoinSet<T> {
    tasks: FuturesUnordered<JoinHandle<T>>,
}

impl<T: Send + 'static> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            tasks: FuturesUnordered::new(),
        }
    }

    /// Spawns `future` on the current runtime as a member of the set.
    ///
    /// # Panics
    /// Outside a corio runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> super::AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        let handle = super::spawn(future);
        let abort = handle.abort_handle();
        self.tasks.push(handle);
        abort
    }

    /// Spawns a blocking closure on the blocking pool as a member of the set.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> super::AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let handle = super::spawn_blocking(f);
        let abort = handle.abort_handle();
        self.tasks.push(handle);
        abort
    }

    /// Waits for the next task to complete and removes it from the set; `None` when the set is
    /// empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Polls for the next completed task.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        Pin::new(&mut self.tasks).poll_next(cx)
    }

    /// Requests cancellation of every task in the set; they stay in the set until joined.
    pub fn abort_all(&mut self) {
        for task in self.tasks.iter() {
            task.abort();
        }
    }

    /// Aborts every task and waits until all of them have ended.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Removes every task from the set without aborting them (they keep running, detached).
    pub fn detach_all(&mut self) {
        self.tasks = FuturesUnordered::new();
    }

    /// Number of tasks in the set (running or completed but not yet joined).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl<T: Send + 'static> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        for task in self.tasks.iter() {
            task.abort();
        }
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.tasks.len()).finish()
    }
}
