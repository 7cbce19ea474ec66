//! The thread-local runtime context: which runtime, worker and task the current thread serves.
//!
//! - A worker thread points at its `WorkerLocal` for its whole life; the schedule function uses
//!   it to keep wakes local, and `spawn`/`Async::new` use it to find their runtime and reactor.
//! - `block_on` and blocking-pool threads *enter* a runtime: `Handle::current()` works there.
//! - While a task is polled, the current task (for `task::id()`) and its cooperative budget are
//!   set; the previous values are restored afterwards, so nesting (a task polled inside
//!   `block_on` on a blocking thread) is fine.

use std::cell::{Cell, RefCell};
use std::ptr;

use super::scheduler::{Shared, WorkerLocal};
use super::Handle;
use crate::reactor::Reactor;
use crate::task::coop::BUDGET;
use crate::task::meta::TaskMeta;
use std::sync::Arc;

/// Budget value meaning "not inside a task poll: unlimited".
const UNLIMITED: u16 = u16::MAX;

/// The per-thread state read on every poll, wake and spawn. Plain `Cell`s of `Copy` values and
/// no destructor, so that each access is one thread-local load: a thread-local with a
/// destructor checks its registration state on every access. The entered runtime's handle,
/// which has a destructor and is rarely read, lives apart in `ENTERED`.
struct Context {
    worker: Cell<*const WorkerLocal>,
    task: Cell<*const TaskMeta>,
    budget: Cell<u16>,
    /// Poll-clock ticks at the end of the last poll on this thread (or at the last reset):
    /// the start of the next poll, so that timing a poll costs one clock read, not two.
    poll_stamp: Cell<u64>,
}

impl Context {
    const fn new() -> Context {
        Context {
            worker: Cell::new(ptr::null()),
            task: Cell::new(ptr::null()),
            budget: Cell::new(UNLIMITED),
            poll_stamp: Cell::new(0),
        }
    }
}

#[cfg(not(loom))]
thread_local! {
    static CONTEXT: Context = const { Context::new() };
    /// The runtime entered by `block_on` or a blocking-pool thread (`enter_runtime`).
    static ENTERED: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

// Under loom the blocking pool's threads are loom threads sharing one OS thread: each needs a
// context of its own, or their runtime guards would overwrite each other's.
#[cfg(loom)]
loom::thread_local! {
    static CONTEXT: Context = Context::new();
    static ENTERED: RefCell<Option<Handle>> = RefCell::new(None);
}

/// Runs `f` with this thread's worker, if it is a worker thread.
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerLocal>) -> R) -> R {
    let worker = CONTEXT.try_with(|cx| cx.worker.get()).unwrap_or(ptr::null());
    // SAFETY: a worker thread sets the pointer to its `WorkerLocal`, which lives on the worker's
    // stack frame for the whole worker loop, and clears it before that frame ends
    // (`WorkerGuard`); the pointer is only dereferenced on the thread that owns it.
    f(unsafe { worker.as_ref() })
}

/// Marks the current thread as a worker while the guard lives.
pub(crate) struct WorkerGuard(());

pub(crate) fn enter_worker(worker: &WorkerLocal) -> WorkerGuard {
    CONTEXT.with(|cx| cx.worker.set(worker));
    WorkerGuard(())
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|cx| cx.worker.set(ptr::null()));
    }
}

/// Whether the current thread is a worker of any corio runtime.
pub(crate) fn is_worker_thread() -> bool {
    with_worker(|worker| worker.is_some())
}

/// Runs `f` with the runtime this thread is in: its worker's, else the entered one.
pub(crate) fn with_current_shared<R>(f: impl FnOnce(&Arc<Shared>) -> R) -> Option<R> {
    let worker = CONTEXT.try_with(|cx| cx.worker.get()).unwrap_or(ptr::null());
    // SAFETY: as in `with_worker`.
    if let Some(worker) = unsafe { worker.as_ref() } {
        return Some(f(&worker.shared));
    }
    let shared = ENTERED
        .try_with(|entered| entered.borrow().as_ref().map(|handle| handle.shared().clone()))
        .ok()
        .flatten()?;
    Some(f(&shared))
}

/// The handle of the runtime this thread is in.
pub(crate) fn current_handle() -> Option<Handle> {
    with_current_shared(|shared| Handle::from_shared(shared.clone()))
}

/// Makes `handle` the current runtime of this thread until the guard drops.
pub(crate) struct EnterGuard {
    previous: Option<Handle>,
}

pub(crate) fn enter_runtime(handle: Handle) -> EnterGuard {
    let previous = ENTERED.with(|entered| entered.replace(Some(handle)));
    EnterGuard { previous }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = ENTERED.try_with(|entered| entered.replace(previous));
    }
}

/// The reactor a new I/O source should register with: this worker's own, or, off-worker, the
/// next one round-robin.
pub(crate) fn reactor_for_new_source() -> Option<Arc<Reactor>> {
    with_worker(|worker| worker.map(|worker| worker.shared.remotes[worker.index].reactor.clone()))
        .or_else(|| with_current_shared(|shared| shared.next_reactor()))
}

/// Marks `meta`'s task as running on this thread, with a fresh budget, until the guard drops.
pub(crate) struct TaskGuard {
    previous_task: *const TaskMeta,
    previous_budget: u16,
}

pub(crate) fn enter_task(meta: &TaskMeta) -> TaskGuard {
    CONTEXT.with(|cx| TaskGuard {
        previous_task: cx.task.replace(meta),
        previous_budget: cx.budget.replace(BUDGET as u16),
    })
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|cx| {
            cx.task.set(self.previous_task);
            cx.budget.set(self.previous_budget);
        });
    }
}

/// Runs `f` with the task being polled on this thread.
pub(crate) fn with_current_task<R>(f: impl FnOnce(&TaskMeta) -> R) -> Option<R> {
    let task = CONTEXT.try_with(|cx| cx.task.get()).unwrap_or(ptr::null());
    // SAFETY: the pointer is set by `enter_task` for the duration of a poll of that task, during
    // which the task's allocation (and metadata) is alive, and reset when the poll ends.
    unsafe { task.as_ref() }.map(f)
}

/// Spends one unit of budget; false when it is exhausted.
pub(crate) fn spend_budget() -> bool {
    CONTEXT
        .try_with(|cx| match cx.budget.get() {
            UNLIMITED => true,
            0 => false,
            left => {
                cx.budget.set(left - 1);
                true
            }
        })
        .unwrap_or(true)
}

/// Leaves any task context until the guard drops: no current task, unlimited budget. Used by
/// `block_on`, whose future is not a task even when it runs inside a blocking job.
pub(crate) fn exit_task() -> TaskGuard {
    CONTEXT.with(|cx| TaskGuard {
        previous_task: cx.task.replace(ptr::null()),
        previous_budget: cx.budget.replace(UNLIMITED),
    })
}

/// Marks "now" as the start of the next task poll on this thread: called where a thread
/// starts polling after a gap that is not scheduling overhead (a worker waking from a park, a
/// blocking thread starting a job), so that the gap is not counted as poll time.
pub(crate) fn reset_poll_clock() {
    let now = crate::task::clock::now();
    let _ = CONTEXT.try_with(|cx| cx.poll_stamp.set(now));
}

/// Ends the timing of a poll: returns the ticks since the previous stamp (the end of the
/// previous poll on this thread, or the last reset), and stamps now. Between two polls the
/// worker's own scheduling work is counted too: a few hundred nanoseconds, the price of one
/// clock read per poll instead of two.
pub(crate) fn poll_clock_lap() -> u64 {
    let now = crate::task::clock::now();
    CONTEXT
        .try_with(|cx| now.wrapping_sub(cx.poll_stamp.replace(now)))
        .unwrap_or(0)
}
