//! `block_on`: drive one future on the calling thread, parking it between polls.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use crossbeam_utils::sync::{Parker, Unparker};

use super::{context, Handle};

struct ThreadWaker(Unparker);

impl Wake for ThreadWaker {
    fn wake(self: StdArc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.unpark();
    }
}

/// Unregisters the block_on waker however `block_on` exits.
struct WaiterGuard<'a> {
    handle: &'a Handle,
    key: usize,
}

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        self.handle.shared().remove_block_on_waiter(self.key);
    }
}

#[track_caller]
pub(crate) fn block_on<F: Future>(handle: &Handle, future: F) -> F::Output {
    if context::is_worker_thread() {
        panic!(
            "`block_on` called on a worker thread of a corio runtime: it would block the worker \
             and can deadlock the runtime; `.await` the future instead, or run the blocking part \
             in `spawn_blocking`"
        );
    }
    let _runtime = context::enter_runtime(handle.clone());
    // Outside any task: unlimited budget, no current task (also when nested in a blocking job).
    let _no_task = context::exit_task();
    let parker = Parker::new();
    let waker = Waker::from(StdArc::new(ThreadWaker(parker.unparker().clone())));
    let shared = handle.shared();
    let _waiter = WaiterGuard {
        handle,
        key: shared.add_block_on_waiter(waker.clone()),
    };
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if shared.panicked_shutdown.load(crate::loom::Ordering::SeqCst) {
            panic!(
                "the corio runtime shut down because a spawned task panicked \
                 (`UnhandledPanic::ShutdownRuntime`)"
            );
        }
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        parker.park();
    }
}
