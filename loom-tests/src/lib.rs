//! Loom models of corio's concurrency protocols, and the helpers they share.
//!
//! The models live in `tests/`, one file per area, and check corio's real code: the crate is
//! built with `RUSTFLAGS="--cfg loom"`, which switches its atomics and locks (the `src/loom.rs`
//! facade) to loom's and exposes the protocol types through `corio::__loom`.
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p corio-loom-tests --target-dir target/loom
//! ```
//!
//! Without `--cfg loom` the test files compile to nothing.
//!
//! What the suite covers, by file (each model's doc states its property and its race):
//! - `idle.rs`: the searching/idle protocol; `unpark.rs`: unparking a worker on its way into
//!   `Poller::wait` (idle set, `parked` flag, helper re-notify; the poller's sticky
//!   notification is modelled, not checked);
//! - `lifo.rs`: the LIFO slot, owner vs thieves;
//! - `join.rs`: `JoinHandle` completion vs `abort` vs drop, on real tasks (`ModelRuntime`);
//! - `blocking.rs`: the blocking pool's idle/wake, keep-alive expiry and shutdown, on loom
//!   threads;
//! - `timers.rs`, `reactor.rs`: timer cancel vs fire, source readiness;
//! - `locks.rs`, `events.rs`, `channels.rs`, `queue.rs`: every `corio::sync` and `corio::queue`
//!   primitive on its wake and cancel paths; `user_model.rs`: the README's user example;
//! - `teeth.rs`: deliberately broken variants (`corio::__loom::inject_fault`) that loom must
//!   reject, each next to its healthy model; they run as expected failures
//!   (`#[should_panic(expected = ...)]`) in the same `cargo test`.

#[cfg(loom)]
mod helpers {
    use std::future::Future;
    use std::pin::{pin, Pin};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use loom::sync::{Condvar, Mutex};

    /// A waker that sets a flag under a loom lock and signals a loom condvar, so that a wake-up
    /// that never comes shows as a deadlock in the model.
    #[derive(Default)]
    struct Signal {
        woken: Mutex<bool>,
        condvar: Condvar,
    }

    impl Wake for Signal {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            *self.woken.lock().unwrap() = true;
            self.condvar.notify_one();
        }
    }

    /// Drives `future` to completion on the current loom thread, sleeping until it is woken. A
    /// wake-up lost by the code under test leaves the thread asleep forever, which loom reports
    /// as a deadlock.
    pub fn block_on<F: Future>(future: F) -> F::Output {
        let signal = Arc::new(Signal::default());
        let waker = Waker::from(signal.clone());
        let mut future = pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                return output;
            }
            let mut woken = signal.woken.lock().unwrap();
            while !*woken {
                woken = signal.condvar.wait(woken).unwrap();
            }
            *woken = false;
        }
    }

    /// Polls `future` once with a waker that does nothing.
    pub fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }
}

#[cfg(loom)]
pub use helpers::{block_on, poll_once};
