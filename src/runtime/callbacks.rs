//! Loop callbacks: asyncio's `call_soon`, `call_later` and `call_at`.
//!
//! Callbacks run in one FIFO queue per runtime, drained by a single task at a time, so they run
//! one after another in submission order (asyncio runs them on its one loop thread). The
//! draining task exists only while there is something to run. A due `call_later` callback joins
//! the same queue. A panicking callback does not stop the others: it is caught, reported on
//! stderr, and the queue goes on (asyncio logs the exception and continues).

use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use super::scheduler::Shared;
use crate::loom::{lock, AtomicBool, Mutex, Ordering};
use crate::task::AbortHandle;

type Callback = Box<dyn FnOnce() + Send + 'static>;

/// Callbacks run by one drain before it yields to other tasks.
const CALLBACKS_PER_YIELD: usize = 64;

#[derive(Default)]
pub(crate) struct CallbackQueue {
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    queue: VecDeque<Callback>,
    /// A drain task is scheduled or running.
    draining: bool,
}

/// Queues `callback` to run soon, in submission order.
pub(crate) fn call_soon(shared: &Arc<Shared>, callback: Callback) {
    let start_drain = {
        let mut state = lock(&shared.callbacks.state);
        state.queue.push_back(callback);
        !std::mem::replace(&mut state.draining, true)
    };
    if start_drain {
        let drain_shared = shared.clone();
        drop(shared.spawn(
            drain(drain_shared),
            Some("corio::call_soon".into()),
            std::panic::Location::caller(),
        ));
    }
}

async fn drain(shared: Arc<Shared>) {
    loop {
        for _ in 0..CALLBACKS_PER_YIELD {
            let callback = {
                let mut state = lock(&shared.callbacks.state);
                match state.queue.pop_front() {
                    Some(callback) => callback,
                    None => {
                        state.draining = false;
                        return;
                    }
                }
            };
            if let Err(payload) = catch_unwind(AssertUnwindSafe(callback)) {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string panic payload".into());
                eprintln!("corio: a call_soon/call_later callback panicked: {message}");
            }
        }
        crate::task::yield_now().await;
    }
}

/// A scheduled `call_later`/`call_at` callback (asyncio's `TimerHandle`). Dropping it does not
/// cancel the callback; [`cancel`](TimerHandle::cancel) does.
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let (tx, rx) = std::sync::mpsc::channel();
///     let handle = corio::Handle::current();
///     let kept = handle.call_later(Duration::from_millis(5), move || tx.send("ran").unwrap());
///     let cancelled = handle.call_later(Duration::from_millis(5), || panic!("never runs"));
///     cancelled.cancel();
///     assert!(cancelled.is_cancelled() && !kept.is_cancelled());
///     let ran = corio::spawn_blocking(move || rx.recv().unwrap()).await.unwrap();
///     assert_eq!(ran, "ran");
/// });
/// ```
pub struct TimerHandle {
    inner: Arc<TimerInner>,
    timer: AbortHandle,
}

struct TimerInner {
    when: Instant,
    cancelled: AtomicBool,
    /// Taken by whoever gets there first: the timer when it fires, or `cancel`.
    callback: Mutex<Option<Callback>>,
}

/// Schedules `callback` to run at `when`.
pub(crate) fn call_at(shared: &Arc<Shared>, when: Instant, callback: Callback) -> TimerHandle {
    let inner = Arc::new(TimerInner {
        when,
        cancelled: AtomicBool::new(false),
        callback: Mutex::new(Some(callback)),
    });
    let timer_inner = inner.clone();
    let timer_shared = shared.clone();
    let task = shared.spawn(
        async move {
            crate::time::sleep_until(timer_inner.when).await;
            // The callback stays in the handle until it actually runs, so that `cancel` still
            // stops a callback that is due but waiting in the queue.
            call_soon(
                &timer_shared,
                Box::new(move || {
                    let callback = lock(&timer_inner.callback).take();
                    if let Some(callback) = callback {
                        callback();
                    }
                }),
            );
        },
        Some("corio::call_later".into()),
        std::panic::Location::caller(),
    );
    let timer = task.abort_handle();
    TimerHandle { inner, timer }
}

impl TimerHandle {
    /// Cancels the callback. After this returns it will not start; if it is already running,
    /// it runs to the end.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let callback = lock(&self.inner.callback).take();
        drop(callback);
        self.timer.abort();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// When the callback is due.
    pub fn when(&self) -> Instant {
        self.inner.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.inner.when)
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
