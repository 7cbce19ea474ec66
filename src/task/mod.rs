//! Tasks: spawning, joining, cancelling, and what a task knows about itself.
//!
//! asyncio's `create_task` is [`spawn`]; its `Task` object is the [`JoinHandle`]; `Task.cancel()`
//! is [`JoinHandle::abort`]; `asyncio.sleep(0)` is [`yield_now`]; `to_thread` /
//! `run_in_executor` is [`spawn_blocking`]. Structured concurrency: [`TaskGroup`] (asyncio's
//! `TaskGroup` and `ExceptionGroup`), [`JoinSet`], [`wait`], [`as_completed`], [`gather`],
//! [`try_gather`], [`shield`]; task-local values: [`task_local!`](crate::task_local).

pub(crate) mod clock;
pub(crate) mod coop;
mod dump;
mod group;
pub(crate) mod harness;
mod join;
mod join_set;
mod local;
pub(crate) mod meta;
pub(crate) mod registry;
mod wait;
mod yield_now;

use std::future::Future;
use std::panic::Location;

pub use dump::{TaskDump, TaskInfo, TaskState};
pub use group::{Failure, GroupError, TaskGroup};
pub use join::{AbortHandle, JoinError, JoinHandle};
pub use join_set::JoinSet;
pub use local::{AccessError, LocalKey, TaskLocalFuture};
pub use meta::Id;
pub use wait::{as_completed, gather, try_gather, wait, AsCompleted, ReturnWhen};
pub use yield_now::yield_now;

use crate::runtime::{context, Handle};

/// Spawns a task on the current runtime (asyncio's `create_task`).
///
/// The task starts running in the background at once, on any worker; the returned
/// [`JoinHandle`] awaits its result. Dropping the handle detaches the task.
///
/// # Panics
/// When called outside a corio runtime; use [`Handle::spawn`] with a handle from there.
///
/// ```
/// corio::run(async {
///     let tasks: Vec<_> = (0..10).map(|i| corio::spawn(async move { i * 2 })).collect();
///     let mut sum = 0;
///     for task in tasks {
///         sum += task.await.unwrap();
///     }
///     assert_eq!(sum, 90);
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    context::with_current_shared(|shared| shared.spawn(future, None, location))
        .unwrap_or_else(|| panic!("`corio::spawn` called outside a corio runtime; use `Handle::spawn`, or call it inside `corio::run` / `Runtime::block_on`"))
}

/// Runs a blocking closure on the runtime's blocking thread pool (asyncio's `to_thread`).
///
/// Use it for code that blocks: file system calls, CPU-heavy work, legacy libraries. Threads
/// are created on demand up to `max_blocking_threads` and exit after `thread_keep_alive` idle.
/// A blocking task cannot be interrupted once it has started; `abort` only cancels it before.
///
/// # Panics
/// When called outside a corio runtime.
///
/// ```
/// corio::run(async {
///     let sum = corio::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap();
///     assert_eq!(sum, 5050);
/// });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let location = Location::caller();
    context::with_current_shared(|shared| shared.spawn_blocking(f, None, location))
        .unwrap_or_else(|| panic!("`corio::spawn_blocking` called outside a corio runtime; use `Handle::spawn_blocking`, or call it inside `corio::run` / `Runtime::block_on`"))
}

/// Runs `future` as a task of its own that the caller's cancellation cannot reach (asyncio's
/// `asyncio.shield`): dropping or aborting whatever awaits the returned handle only detaches
/// from the work, which runs to completion.
///
/// ```
/// corio::run(async {
///     let (done_tx, done_rx) = std::sync::mpsc::channel();
///     let shielded = corio::task::shield(async move {
///         corio::time::sleep(std::time::Duration::from_millis(10)).await;
///         done_tx.send("finished anyway").unwrap();
///     });
///     let waiter = corio::spawn(async move { shielded.await });
///     waiter.abort(); // cancels the waiter, not the shielded work
///     let answer = corio::spawn_blocking(move || done_rx.recv().unwrap()).await.unwrap();
///     assert_eq!(answer, "finished anyway");
/// });
/// ```
///
/// # Panics
/// Outside a corio runtime.
#[track_caller]
pub fn shield<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn(future)
}

/// Configures a task before spawning it: asyncio's `create_task(coro, name=...)`.
///
/// ```
/// corio::run(async {
///     let handle = corio::task::Builder::new()
///         .name("worker-1")
///         .spawn(async { corio::task::name() });
///     assert_eq!(handle.await.unwrap().as_deref(), Some("worker-1"));
/// });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder with no name set.
    pub fn new() -> Builder<'a> {
        Builder { name: None }
    }

    /// Names the task, for `task::name()`, task dumps and debug reports.
    pub fn name(self, name: &'a str) -> Builder<'a> {
        Builder { name: Some(name) }
    }

    /// Spawns the task on the current runtime. Panics outside a runtime, like [`spawn`].
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let location = Location::caller();
        let name = self.name.map(Box::from);
        context::with_current_shared(|shared| shared.spawn(future, name, location))
            .unwrap_or_else(|| panic!("`task::Builder::spawn` called outside a corio runtime; use `Builder::spawn_on` with a `Handle`"))
    }

    /// Spawns the task on the runtime of `handle`.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle
            .shared()
            .spawn(future, self.name.map(Box::from), Location::caller())
    }

    /// Runs the blocking closure on the current runtime's blocking pool, named.
    #[track_caller]
    pub fn spawn_blocking<F, R>(self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let location = Location::caller();
        let name = self.name.map(Box::from);
        context::with_current_shared(|shared| shared.spawn_blocking(f, name, location))
            .unwrap_or_else(|| panic!("`task::Builder::spawn_blocking` called outside a corio runtime"))
    }
}

/// The id of the task being polled (asyncio's `current_task()`).
///
/// # Panics
/// When called outside a task (for example directly in `block_on`); use [`try_id`].
pub fn id() -> Id {
    try_id().expect("`corio::task::id()` called outside a task; use `corio::task::try_id()`")
}

/// The id of the task being polled, or `None` outside a task.
///
/// ```
/// corio::run(async {
///     assert_eq!(corio::task::try_id(), None); // block_on's future is not a task
///     let id = corio::spawn(async { corio::task::try_id() }).await.unwrap();
///     assert!(id.is_some());
/// });
/// ```
pub fn try_id() -> Option<Id> {
    context::with_current_task(|meta| meta.id)
}

/// The name of the task being polled, if it was given one (asyncio's `Task.get_name()`).
pub fn name() -> Option<String> {
    context::with_current_task(|meta| meta.name.as_deref().map(String::from)).flatten()
}
