//! `JoinHandle`, `AbortHandle` and `JoinError`: the owner's side of a task.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use async_task::FallibleTask;

use super::coop;
use super::harness::{TaskFailure, TaskOutput};
use super::meta::{Id, TaskMeta};

/// An owned permission to await a task's result, like asyncio's `Task` object.
///
/// Awaiting it gives `Ok(value)`, or a [`JoinError`] when the task panicked or was cancelled
/// (by [`abort`](JoinHandle::abort) or by runtime shutdown). Dropping a `JoinHandle` *detaches*
/// the task: it keeps running and its result is discarded.
///
/// ```
/// corio::run(async {
///     let handle = corio::spawn(async { 6 * 7 });
///     assert_eq!(handle.await.unwrap(), 42);
/// });
/// ```
pub struct JoinHandle<T> {
    task: Option<FallibleTask<TaskOutput<T>, TaskMeta>>,
    meta: NonNull<TaskMeta>,
}

// SAFETY: `meta` points into the task allocation that `task` keeps alive; `TaskMeta` is `Sync`.
// The output `T` crosses threads, hence the `T: Send` bound, as for `std::thread::JoinHandle`.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: as above; `&JoinHandle` only reads the metadata and `FallibleTask::is_finished`.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: async_task::Task<TaskOutput<T>, TaskMeta>) -> JoinHandle<T> {
        let meta = NonNull::from(task.metadata());
        JoinHandle {
            task: Some(task.fallible()),
            meta,
        }
    }

    fn meta(&self) -> &TaskMeta {
        // SAFETY: the metadata lives as long as the task allocation, which `self.task` keeps
        // alive until `self` is dropped (it is only taken in `drop`).
        unsafe { self.meta.as_ref() }
    }

    /// Requests cancellation of the task (asyncio's `Task.cancel()`).
    ///
    /// The task's future is dropped at its next scheduling point: right away if it is idle,
    /// after its current poll if it is running. Awaiting the handle then gives a `JoinError`
    /// for which `is_cancelled()` is true, unless the task completed first. A blocking task
    /// (`spawn_blocking`) is cancelled only if it has not started yet.
    ///
    /// ```
    /// corio::run(async {
    ///     let handle = corio::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        abort_task(self.meta());
    }

    /// A handle that can abort the task without owning its result.
    pub fn abort_handle(&self) -> AbortHandle {
        let meta = self.meta();
        AbortHandle {
            inner: meta.shared.registry.waker(meta).map(|waker| (waker, self.meta)),
        }
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|task| task.is_finished())
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.meta().id
    }
}

fn abort_task(meta: &TaskMeta) {
    meta.request_abort();
    // Waking the task makes it run its wrapper, which sees the request and drops the future.
    // No waker means the future already ended (or a blocking task that will see the flag).
    if let Some(waker) = meta.shared.registry.waker(meta) {
        waker.wake();
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        std::task::ready!(coop::poll_proceed(cx));
        // Record who waits for this task, for dumps (asyncio's call graph).
        if let Some(awaiter) = crate::runtime::context::with_current_task(|meta| meta.id.as_u64()) {
            self.meta()
                .awaited_by
                .store(awaiter, crate::loom::Ordering::Relaxed);
        }
        let id = self.id();
        let task = self
            .task
            .as_mut()
            .expect("`JoinHandle` polled after it completed");
        let output = std::task::ready!(Pin::new(task).poll(cx));
        Poll::Ready(match output {
            Some(Ok(value)) => Ok(value),
            Some(Err(TaskFailure::Panic(payload))) => Err(JoinError::panic(id, payload)),
            // `None`: the runtime dropped the task without running it to completion (shutdown).
            Some(Err(TaskFailure::Cancelled)) | None => Err(JoinError::cancelled(id)),
        })
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id()).finish()
    }
}

/// A handle that aborts a task without awaiting it. Cloneable and shareable.
///
/// ```
/// corio::run(async {
///     let handle = corio::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle();
///     abort.abort();
///     assert!(handle.await.unwrap_err().is_cancelled());
/// });
/// ```
#[derive(Clone)]
pub struct AbortHandle {
    /// `None` when the task had already ended when the handle was made. The waker keeps the
    /// task allocation, and so the metadata behind the pointer, alive.
    inner: Option<(Waker, NonNull<TaskMeta>)>,
}

// SAFETY: the pointer targets `TaskMeta` (which is `Sync`) inside an allocation kept alive by
// the `Waker`, which is `Send + Sync`.
unsafe impl Send for AbortHandle {}
// SAFETY: as above.
unsafe impl Sync for AbortHandle {}

impl AbortHandle {
    /// Requests cancellation of the task; see [`JoinHandle::abort`].
    pub fn abort(&self) {
        if let Some((_, meta)) = &self.inner {
            // SAFETY: see the `inner` field.
            abort_task(unsafe { meta.as_ref() });
        }
    }

    /// Whether the task's future has ended.
    pub fn is_finished(&self) -> bool {
        match &self.inner {
            // SAFETY: see the `inner` field.
            Some((_, meta)) => unsafe { meta.as_ref() }.has_ended(),
            None => true,
        }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").finish_non_exhaustive()
    }
}

/// Why a task did not produce a value: it panicked, or it was cancelled.
///
/// asyncio's `CancelledError`, or the exception a task raised.
pub struct JoinError {
    id: Id,
    repr: Repr,
}

enum Repr {
    Cancelled,
    // The Mutex makes the error `Sync` (the payload is only `Send`) without unsafe code.
    Panic(Mutex<Box<dyn Any + Send + 'static>>),
}

impl JoinError {
    fn cancelled(id: Id) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            id,
            repr: Repr::Panic(Mutex::new(payload)),
        }
    }

    /// Whether the task was cancelled (aborted, or dropped at runtime shutdown).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to resume it with `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// When the error is not a panic; check with [`is_panic`](JoinError::is_panic) or use
    /// [`try_into_panic`](JoinError::try_into_panic).
    ///
    /// ```
    /// corio::run(async {
    ///     let err = corio::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     let payload = err.into_panic();
    ///     assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "boom");
    /// });
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a cancellation; check `is_panic()` first")
    }

    /// The panic payload, or the error itself when the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(payload) => Ok(payload.into_inner().unwrap_or_else(|poison| poison.into_inner())),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    pub fn id(&self) -> Id {
        self.id
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(payload) => {
                let payload = payload.lock().unwrap_or_else(|poison| poison.into_inner());
                match panic_message(&**payload) {
                    Some(message) => write!(f, "task {} panicked with message {:?}", self.id, message),
                    None => write!(f, "task {} panicked", self.id),
                }
            }
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Panic(_) => write!(f, "JoinError::Panic({:?}, {})", self.id, self),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for io::Error {
    fn from(error: JoinError) -> io::Error {
        let kind = if error.is_cancelled() {
            io::ErrorKind::Interrupted
        } else {
            io::ErrorKind::Other
        };
        io::Error::new(kind, error.to_string())
    }
}
