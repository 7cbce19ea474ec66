use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::time::{Duration, Instant};

use super::context;
use super::metrics::RuntimeMetrics;
use super::scheduler::Shared;
use crate::task::JoinHandle;
use std::sync::Arc;

/// A cheap, cloneable reference to a runtime (asyncio's `get_running_loop()`), usable from any
/// thread: spawn onto the runtime from outside it, or `block_on` it from a plain thread
/// (asyncio's `run_coroutine_threadsafe`).
///
/// ```
/// let runtime = corio::Runtime::new().unwrap();
/// let handle = runtime.handle().clone();
/// let from_thread = std::thread::spawn(move || {
///     handle.block_on(async { corio::spawn(async { 5 }).await.unwrap() })
/// });
/// assert_eq!(from_thread.join().unwrap(), 5);
/// ```
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Handle {
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Handle {
        Handle { shared }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The handle of the runtime this thread runs in (a worker, `block_on`, a blocking job).
    ///
    /// # Panics
    /// Outside a corio runtime; use [`Handle::try_current`].
    ///
    /// ```
    /// corio::run(async {
    ///     let handle = corio::Handle::current();
    ///     assert_eq!(handle.spawn(async { 1 }).await.unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        Handle::try_current().unwrap_or_else(|_| {
            panic!("`Handle::current()` called outside a corio runtime; use `Handle::try_current()` or run inside `corio::run`")
        })
    }

    /// The current runtime's handle, or an error outside any runtime.
    ///
    /// ```
    /// assert!(corio::Handle::try_current().is_err());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::current_handle().ok_or(TryCurrentError(()))
    }

    /// Spawns a task on this runtime; see [`crate::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future, None, Location::caller())
    }

    /// Runs a blocking closure on this runtime's blocking pool; see [`crate::spawn_blocking`].
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared.spawn_blocking(f, None, Location::caller())
    }

    /// Runs `future` to completion on the current thread with this runtime entered.
    ///
    /// # Panics
    /// When called on a worker thread of a corio runtime (blocking a worker can deadlock the
    /// runtime; `.await` the future instead), and when the runtime shut down because a task
    /// panicked under `UnhandledPanic::ShutdownRuntime`.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        super::block_on::block_on(self, future)
    }

    /// Runs `f` soon, on a worker, after the callbacks submitted before it (asyncio's
    /// `loop.call_soon` and `call_soon_threadsafe`: callable from any thread). Callbacks run one
    /// at a time in submission order; they should be short (spawn a task for long work).
    ///
    /// ```
    /// corio::run(async {
    ///     let (tx, rx) = std::sync::mpsc::channel();
    ///     let handle = corio::Handle::current();
    ///     for i in 0..3 {
    ///         let tx = tx.clone();
    ///         handle.call_soon(move || tx.send(i).unwrap());
    ///     }
    ///     let got: Vec<i32> = corio::spawn_blocking(move || rx.iter().take(3).collect()).await.unwrap();
    ///     assert_eq!(got, vec![0, 1, 2]);
    /// });
    /// ```
    pub fn call_soon(&self, f: impl FnOnce() + Send + 'static) {
        super::callbacks::call_soon(&self.shared, Box::new(f));
    }

    /// Runs `f` once `delay` has passed, never earlier (asyncio's `loop.call_later`).
    #[track_caller]
    pub fn call_later(&self, delay: Duration, f: impl FnOnce() + Send + 'static) -> super::TimerHandle {
        self.call_at(crate::time::deadline_after(delay), f)
    }

    /// Runs `f` at `when`, never earlier (asyncio's `loop.call_at`).
    #[track_caller]
    pub fn call_at(&self, when: Instant, f: impl FnOnce() + Send + 'static) -> super::TimerHandle {
        super::callbacks::call_at(&self.shared, when, Box::new(f))
    }

    /// Enters the runtime on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::enter_runtime(self.clone()),
            _handle: PhantomData,
        }
    }

    /// A snapshot of every live task (asyncio's call-graph introspection); see
    /// [`TaskDump`](crate::task::TaskDump). Synchronous, callable from any thread.
    pub fn dump(&self) -> crate::task::TaskDump {
        crate::task::TaskDump::capture(&self.shared)
    }

    /// A snapshot of the runtime's counters.
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::collect(&self.shared)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.shared.remotes.len())
            .finish_non_exhaustive()
    }
}

/// The runtime stays entered on this thread while this guard lives; see [`Handle::enter`].
pub struct EnterGuard<'a> {
    _guard: context::EnterGuard,
    _handle: PhantomData<&'a Handle>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// [`Handle::try_current`] was called outside a corio runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no corio runtime is running on this thread")
    }
}

impl std::error::Error for TryCurrentError {}
