//! [`Event`]: a flag that tasks can wait for (asyncio's `Event`).
//!
//! # Algorithm
//!
//! The flag is an `AtomicBool`, so that [`Event::is_set`] and the "already set" path of
//! [`Event::wait`] take no lock. Every *write* of the flag happens under the `Mutex` that also
//! guards the FIFO of waiting tasks (the shared `WaitList`):
//! - `set` raises the flag and notifies every queued waiter in one critical section;
//! - a waiter checks the flag and enqueues in one critical section.
//!
//! So a waiter either sees the flag raised or is in the list when `set` runs: no wake-up is
//! lost. Waking happens at `set` time, as in asyncio: a waiter notified by `set` completes even
//! if `clear` runs before it is polled again (its notification lives in its list node, not in
//! the flag).
//!
//! # Invariants
//! - While the flag is raised the FIFO is empty (`set` empties it; nobody enqueues while the
//!   flag is raised).
//! - Wakers are woken, and stale ones dropped, only after the lock is released.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{lock, AtomicBool, Mutex, Ordering};
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop;

/// A flag that tasks can wait for: asyncio's `Event`.
///
/// [`set`](Event::set) raises the flag and wakes every waiting task; [`clear`](Event::clear)
/// lowers it; [`wait().await`](Event::wait) returns at once while the flag is raised, and
/// otherwise waits for the next `set`. It is `Send + Sync`; share it through an `Arc`.
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::Event;
///
/// corio::run(async {
///     let ready = Arc::new(Event::new());
///     let waiter = {
///         let ready = ready.clone();
///         corio::spawn(async move {
///             ready.wait().await;
///             "started"
///         })
///     };
///     ready.set();
///     assert_eq!(waiter.await.unwrap(), "started");
/// });
/// ```
pub struct Event {
    /// Whether the event is set. Written only under `waiters`' lock; read without it.
    flag: AtomicBool,
    waiters: Mutex<WaitList>,
}

impl Event {
    /// Creates an event that is not set.
    ///
    /// ```
    /// let event = corio::sync::Event::new();
    /// assert!(!event.is_set());
    /// ```
    pub fn new() -> Event {
        Event {
            flag: AtomicBool::new(false),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Sets the event: every task waiting in [`wait`](Event::wait) is woken, and later waits
    /// return at once until [`clear`](Event::clear) is called. Setting a set event does nothing.
    ///
    /// ```
    /// use corio::sync::Event;
    ///
    /// corio::run(async {
    ///     let event = Event::new();
    ///     event.set();
    ///     assert!(event.is_set());
    ///     event.wait().await; // returns at once
    /// });
    /// ```
    pub fn set(&self) {
        let mut wakers = Vec::new();
        {
            let mut waiters = lock(&self.waiters);
            // Relaxed: every write of the flag happens under the lock we hold.
            if self.flag.load(Ordering::Relaxed) {
                return;
            }
            // Release: a task that sees the flag on the lock-free path of `wait` or `is_set`
            // also sees what the setter wrote before `set`.
            self.flag.store(true, Ordering::Release);
            waiters.notify_all(&mut wakers);
        }
        for waker in wakers {
            waker.wake();
        }
    }

    /// Clears the event: later [`wait`](Event::wait)s block until the next
    /// [`set`](Event::set). Tasks already woken by a `set` still complete.
    ///
    /// ```
    /// use corio::sync::Event;
    ///
    /// let event = Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        let _waiters = lock(&self.waiters);
        // Relaxed: the lock orders this write with `set` and with waiters' checks; a lowered
        // flag publishes nothing.
        self.flag.store(false, Ordering::Relaxed);
    }

    /// Whether the event is set.
    ///
    /// ```
    /// let event = corio::sync::Event::new();
    /// assert!(!event.is_set());
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        // Acquire: pairs with the Release in `set`, so that what the setter wrote is visible.
        self.flag.load(Ordering::Acquire)
    }

    /// Waits until the event is set: returns at once if it is set now, otherwise when the next
    /// [`set`](Event::set) runs (even if [`clear`](Event::clear) follows right after).
    ///
    /// Cancel-safe: dropping the future only removes the task from the waiters.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use corio::sync::Event;
    ///
    /// corio::run(async {
    ///     let event = Arc::new(Event::new());
    ///     let setter = {
    ///         let event = event.clone();
    ///         corio::spawn(async move { event.set() })
    ///     };
    ///     event.wait().await;
    ///     setter.await.unwrap();
    /// });
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            state: WaitState::Init,
        }
    }
}

impl Default for Event {
    fn default() -> Event {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event").field("is_set", &self.is_set()).finish()
    }
}

/// The future returned by [`Event::wait`]; completes once the event is set.
///
/// ```
/// use corio::sync::{Event, EventWait};
///
/// corio::run(async {
///     let event = Event::new();
///     event.set();
///     let wait: EventWait<'_> = event.wait();
///     wait.await;
/// });
/// ```
#[must_use = "futures do nothing unless polled; `.await` it"]
pub struct EventWait<'a> {
    event: &'a Event,
    state: WaitState,
}

#[derive(Debug, Clone, Copy)]
enum WaitState {
    Init,
    Waiting(WaiterKey),
    Done,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(coop::poll_proceed(cx));
        let this = self.get_mut();
        let event = this.event;
        match this.state {
            WaitState::Done => Poll::Ready(()),
            WaitState::Init => {
                if event.is_set() {
                    this.state = WaitState::Done;
                    return Poll::Ready(());
                }
                let mut waiters = lock(&event.waiters);
                // Acquire: as in `is_set`; under the lock a set flag cannot be missed.
                if event.flag.load(Ordering::Acquire) {
                    this.state = WaitState::Done;
                    return Poll::Ready(());
                }
                this.state = WaitState::Waiting(waiters.push_back(0, cx.waker().clone()));
                Poll::Pending
            }
            WaitState::Waiting(key) => {
                let mut waiters = lock(&event.waiters);
                if waiters.is_notified(key) {
                    let (_, stale) = waiters.remove(key);
                    drop(waiters);
                    drop(stale);
                    this.state = WaitState::Done;
                    return Poll::Ready(());
                }
                let stale = waiters.update_waker(key, cx.waker());
                drop(waiters);
                drop(stale);
                Poll::Pending
            }
        }
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let WaitState::Waiting(key) = self.state {
            // `set` wakes every waiter, so a notified one has nothing to pass on.
            let (_, own_waker) = lock(&self.event.waiters).remove(key);
            drop(own_waker);
        }
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
