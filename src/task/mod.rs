//! Tasks: spawning, joining, cancelling, and what a task knows about itself.
//!
//! asyncio's `create_task` is [`spawn`]; its `Task` object is the [`JoinHandle`]; `Task.cancel()`
//! is [`JoinHandle::abort`]; `asyncio.sleep(0)` is [`yield_now`]; `to_thread` /
//! `run_in_executor` is [`spawn_blocking`].

pub(crate) mod coop;
pub(crate) mod harness;
mod join;
pub(crate) mod meta;
pub(crate) mod registry;
mod yield_now;

use std::future::Future;
use std::panic::Location;

pub use join::{AbortHandle, JoinError, JoinHandle};
pub use meta::Id;
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
