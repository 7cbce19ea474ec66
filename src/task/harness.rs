//! The future every task really runs: the user's future wrapped with what the runtime needs
//! around each poll.
//!
//! Around each poll it sets the current task (for `task::id()`), refills the cooperative
//! budget, counts the poll, and catches a panic so that it becomes the task's result instead of
//! unwinding through the worker. Before each poll it checks whether `abort()` was requested; if
//! so it drops the user's future right there and completes as cancelled. When the wrapper itself
//! is dropped — on completion, on cancellation, or at runtime shutdown — it unregisters the task.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::meta::{TaskMeta, STATE_IDLE, STATE_RUNNING};
use crate::loom::Ordering;
use crate::runtime::context;

/// How a task ended, when it did not return a value.
pub(crate) enum TaskFailure {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
}

/// The output of every task cell.
pub(crate) type TaskOutput<T> = Result<T, TaskFailure>;

pin_project! {
    pub(crate) struct TaskFuture<F> {
        #[pin]
        future: Option<F>,
        meta: NonNull<TaskMeta>,
    }

    impl<F> PinnedDrop for TaskFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            // SAFETY: see `TaskFuture::new`: the metadata outlives the future.
            let meta = unsafe { this.meta.as_ref() };
            meta.mark_ended();
            // Drop the user's future before unregistering, so that "unregistered" implies
            // "future dropped". A panicking destructor must not unwind into the worker.
            let _ = catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
            meta.shared.unregister_task(meta);
        }
    }
}

// SAFETY: `meta` points at `TaskMeta`, which is `Sync`; the future itself is `Send` (required
// by `new`'s bound) and the pointer is only used to read the metadata.
unsafe impl<F: Send> Send for TaskFuture<F> {}

impl<F: Future> TaskFuture<F> {
    /// # Safety
    /// `meta` must be the metadata of the `async_task` allocation that will own this future:
    /// async-task drops the metadata only after the future, so the pointer is valid for the
    /// future's whole life.
    pub(crate) unsafe fn new(future: F, meta: &TaskMeta) -> TaskFuture<F> {
        TaskFuture {
            future: Some(future),
            meta: NonNull::from(meta),
        }
    }
}

impl<F: Future> Future for TaskFuture<F> {
    type Output = TaskOutput<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // SAFETY: see `TaskFuture::new`.
        let meta = unsafe { this.meta.as_ref() };
        // A task polled after shutdown closed the registry (a worker that had not yet seen the
        // flag, or `shutdown_background`) is cancelled like an aborted one: if it went idle
        // instead, nothing would ever wake it, and its registry entry would keep the runtime
        // alive through its metadata.
        if meta.abort_requested() || meta.shared.registry.is_closed() {
            meta.mark_ended();
            let _ = catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
            return Poll::Ready(Err(TaskFailure::Cancelled));
        }
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            // async-task never polls a completed future; a dropped one only after an abort,
            // which returned above.
            return Poll::Ready(Err(TaskFailure::Cancelled));
        };
        // Only one thread polls a task at a time, so a relaxed load + store is a correct and
        // cheaper increment than an atomic read-modify-write.
        meta.polls
            .store(meta.polls.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        meta.state.store(STATE_RUNNING, Ordering::Relaxed);
        let _entered = context::enter_task(meta);
        let result = catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        let ticks = meta.poll_ticks.load(Ordering::Relaxed) + context::poll_clock_lap();
        meta.poll_ticks.store(ticks, Ordering::Relaxed);
        // Idle until woken: a wake during this poll reschedules the task right after it returns
        // (async-task defers it), which marks it scheduled again.
        meta.state.store(STATE_IDLE, Ordering::Relaxed);
        match result {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => {
                meta.mark_ended();
                Poll::Ready(Ok(value))
            }
            Err(payload) => {
                meta.mark_ended();
                let _ = catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
                meta.shared.task_panicked();
                Poll::Ready(Err(TaskFailure::Panic(payload)))
            }
        }
    }
}
