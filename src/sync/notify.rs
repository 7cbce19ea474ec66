//! [`Notify`]: wake one task, or all waiting tasks, without passing data (tokio's `Notify`).
//!
//! # Algorithm
//!
//! One `Mutex` guards the whole state: the stored permit (a `bool`: permits never accumulate
//! beyond one), the FIFO of waiting [`Notified`] futures (the shared `WaitList`), and a side
//! slab that records, for each queued or notified waiter, *what* it was handed:
//! - `notify_one` hands one notification to the first waiter of the FIFO, or stores the permit
//!   when the FIFO is empty;
//! - `notify_waiters` hands a notification to every queued waiter and stores no permit.
//!
//! The difference matters only for cancel safety: a `Notified` dropped after being handed a
//! `notify_one` passes it on (to the next waiter, or back to the permit), one dropped after a
//! `notify_waiters` passes nothing on (that call was for the tasks waiting *at the time*). The
//! `WaitList` node's `request` field holds the key of the waiter's record in the side slab, so
//! that `notify_one` and `notify_waiters` can find the record of the waiter they notify.
//!
//! `notify_waiters` must also wake a `Notified` that was *created* before the call but not yet
//! polled (so not yet in the FIFO). As tokio does, `Notify` counts `notify_waiters` calls; a
//! `Notified` captures the count when it is created, and completes at its first poll if the
//! count has moved since.
//!
//! # Invariants
//! - The FIFO holds only waiters that captured the current `notify_waiters` count: a waiter
//!   enqueues under the lock after checking the count, and `notify_waiters` bumps the count and
//!   empties the FIFO in one critical section.
//! - The permit is stored only while the FIFO is empty (`notify_one` hands it to a waiter if
//!   there is one; a waiter takes it instead of enqueueing).
//! - Wakers are woken, and stale ones dropped, only after the lock is released.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::loom::{lock, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop;

/// Notifies one task, or all waiting tasks, of an event; carries no data.
///
/// `Notify` is tokio's `Notify`: a task waits with [`notified().await`](Notify::notified);
/// another wakes it with [`notify_one`](Notify::notify_one) (one waiter, in FIFO order, or one
/// stored permit if nobody waits) or [`notify_waiters`](Notify::notify_waiters) (every task
/// waiting right now, no permit stored). It is `Send + Sync`; share it through an `Arc`.
///
/// Waiting is cancel-safe: a [`Notified`] dropped after it was handed a `notify_one` passes
/// that notification on to the next waiter (or back to the stored permit).
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::Notify;
///
/// corio::run(async {
///     let notify = Arc::new(Notify::new());
///     let waiter = {
///         let notify = notify.clone();
///         corio::spawn(async move {
///             notify.notified().await;
///             "woken"
///         })
///     };
///     notify.notify_one();
///     assert_eq!(waiter.await.unwrap(), "woken");
/// });
/// ```
pub struct Notify {
    state: Mutex<State>,
    /// Number of `notify_waiters` calls so far. Written only under the `state` lock; read
    /// without it by `notified()`, which captures it.
    notify_waiters_calls: AtomicUsize,
}

struct State {
    /// One stored `notify_one` for the next `notified()`.
    permit: bool,
    /// The waiting `Notified` futures, in arrival order; each node's `request` is the key of
    /// its record in `handed`.
    waiters: WaitList,
    /// What each queued or notified waiter was handed.
    handed: Slab<Handed>,
}

/// What a waiter was handed by the `Notify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handed {
    /// Nothing yet: the waiter is queued.
    Nothing,
    /// A `notify_one`: passed on if the waiter is dropped without consuming it.
    One,
    /// A `notify_waiters`: not passed on.
    All,
}

impl Notify {
    /// Creates a `Notify` with no stored permit and nobody waiting.
    ///
    /// ```
    /// let notify = corio::sync::Notify::new();
    /// notify.notify_one(); // stores the permit
    /// ```
    pub fn new() -> Notify {
        Notify {
            state: Mutex::new(State {
                permit: false,
                waiters: WaitList::new(),
                handed: Slab::new(),
            }),
            notify_waiters_calls: AtomicUsize::new(0),
        }
    }

    /// Returns a future that completes when this `Notify` is notified.
    ///
    /// The future completes at once if a permit is stored (consuming it), or if
    /// [`notify_waiters`](Notify::notify_waiters) was called since `notified()` returned, even
    /// if the future had not been polled yet. Otherwise it joins the FIFO of waiters at its
    /// first poll (or at [`Notified::enable`]).
    ///
    /// ```
    /// use corio::sync::Notify;
    ///
    /// corio::run(async {
    ///     let notify = Notify::new();
    ///     let notified = notify.notified();
    ///     notify.notify_waiters(); // `notified` existed: it is woken, though never polled
    ///     notified.await;
    /// });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            notify_waiters_calls: self.notify_waiters_calls.load(Ordering::SeqCst),
            state: WaiterState::Init,
        }
    }

    /// Wakes the first waiting task (FIFO order); if no task waits, stores a permit so that the
    /// next [`notified()`](Notify::notified) completes at once.
    ///
    /// At most one permit is stored: several calls with nobody waiting release one future
    /// `notified()`, not several.
    ///
    /// ```
    /// use corio::sync::Notify;
    ///
    /// corio::run(async {
    ///     let notify = Notify::new();
    ///     notify.notify_one();
    ///     notify.notify_one(); // still one permit
    ///     notify.notified().await; // takes it
    /// });
    /// ```
    pub fn notify_one(&self) {
        let waker = self.lock_state().notify_one();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every task waiting right now, and every [`Notified`] created before this call;
    /// stores no permit, so a later `notified()` waits for the next notification.
    ///
    /// ```
    /// use std::pin::pin;
    /// use corio::sync::Notify;
    ///
    /// corio::run(async {
    ///     let notify = Notify::new();
    ///     let first = notify.notified();
    ///     let second = notify.notified();
    ///     notify.notify_waiters(); // wakes both: they were created before the call
    ///     first.await;
    ///     second.await;
    ///     // No permit was stored: a new `notified()` waits for the next notification.
    ///     let mut later = pin!(notify.notified());
    ///     assert!(!later.as_mut().enable());
    /// });
    /// ```
    pub fn notify_waiters(&self) {
        let mut wakers = Vec::new();
        {
            let mut state = self.lock_state();
            // SeqCst: `notified()` reads the count without the lock; a `Notified` created after
            // this bump must see it, and one that saw the old value is woken below or at its
            // first poll.
            self.notify_waiters_calls.fetch_add(1, Ordering::SeqCst);
            let State { waiters, handed, .. } = &mut *state;
            while let Some(record) = waiters.front_request() {
                handed[record] = Handed::All;
                if let Some(waker) = waiters.notify_front() {
                    wakers.push(waker);
                }
            }
        }
        for waker in wakers {
            waker.wake();
        }
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl State {
    /// Hands one notification to the first waiter, returning its waker to wake after the lock
    /// is released, or stores the permit if nobody waits.
    fn notify_one(&mut self) -> Option<Waker> {
        match self.waiters.front_request() {
            Some(record) => {
                self.handed[record] = Handed::One;
                self.waiters.notify_front()
            }
            None => {
                self.permit = true;
                None
            }
        }
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock_state();
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

/// The future returned by [`Notify::notified`]; completes when notified.
///
/// Dropping it is cancel-safe: if it had been handed a [`Notify::notify_one`] and not yet
/// completed, the notification goes to the next waiter (or back to the stored permit).
///
/// ```
/// use corio::sync::Notify;
///
/// corio::run(async {
///     let notify = Notify::new();
///     notify.notify_one();
///     let notified: corio::sync::Notified<'_> = notify.notified();
///     notified.await;
/// });
/// ```
#[must_use = "futures do nothing unless polled; `.await` it"]
pub struct Notified<'a> {
    notify: &'a Notify,
    /// The `notify_waiters` count when this future was created.
    notify_waiters_calls: usize,
    state: WaiterState,
}

#[derive(Debug, Clone, Copy)]
enum WaiterState {
    /// Not yet registered.
    Init,
    /// In the waiter list under `key`, with its record in `handed` under `record`.
    Waiting { key: WaiterKey, record: usize },
    /// Completed.
    Done,
}

impl Notified<'_> {
    /// Registers this future as a waiter without polling it, so that a later
    /// [`notify_one`](Notify::notify_one) or [`notify_waiters`](Notify::notify_waiters) counts
    /// it as waiting (it takes its place in the FIFO now). Returns `true` if it is already
    /// notified (a stored permit was taken, or `notify_waiters` ran since its creation): the
    /// next poll completes. Calling it again, or after a poll, only reports the state.
    ///
    /// ```
    /// use std::pin::pin;
    /// use corio::sync::Notify;
    ///
    /// corio::run(async {
    ///     let notify = Notify::new();
    ///     let mut notified = pin!(notify.notified());
    ///     assert!(!notified.as_mut().enable()); // queued, not yet notified
    ///     notify.notify_one(); // handed to the queued future, not stored as a permit
    ///     assert!(notified.as_mut().enable());
    ///     notified.await;
    /// });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().poll_notified(None).is_ready()
    }

    /// Advances the waiter: registers it, or checks whether it was notified. `waker` is `None`
    /// for `enable`, which parks a no-op waker until the first real poll.
    fn poll_notified(&mut self, waker: Option<&Waker>) -> Poll<()> {
        let notify = self.notify;
        match self.state {
            WaiterState::Done => Poll::Ready(()),
            WaiterState::Init => {
                let mut state = notify.lock_state();
                // Relaxed: the count is written only under the lock we hold.
                let calls_now = notify.notify_waiters_calls.load(Ordering::Relaxed);
                if calls_now != self.notify_waiters_calls || state.permit {
                    if calls_now == self.notify_waiters_calls {
                        state.permit = false;
                    }
                    self.state = WaiterState::Done;
                    return Poll::Ready(());
                }
                let record = state.handed.insert(Handed::Nothing);
                let waker = waker.unwrap_or(Waker::noop()).clone();
                let key = state.waiters.push_back(record, waker);
                self.state = WaiterState::Waiting { key, record };
                Poll::Pending
            }
            WaiterState::Waiting { key, record } => {
                let mut state = notify.lock_state();
                if state.waiters.is_notified(key) {
                    let (_, stale) = state.waiters.remove(key);
                    state.handed.remove(record);
                    drop(state);
                    drop(stale);
                    self.state = WaiterState::Done;
                    return Poll::Ready(());
                }
                let stale = waker.and_then(|waker| state.waiters.update_waker(key, waker));
                drop(state);
                drop(stale);
                Poll::Pending
            }
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(coop::poll_proceed(cx));
        self.get_mut().poll_notified(Some(cx.waker()))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let WaiterState::Waiting { key, record } = self.state else {
            return;
        };
        let mut state = self.notify.lock_state();
        let (_, own_waker) = state.waiters.remove(key);
        // A `notify_one` this future will not consume goes to the next waiter, or back to the
        // permit; a `notify_waiters` was meant for the tasks waiting at the time, and stops here.
        let next = match state.handed.remove(record) {
            Handed::One => state.notify_one(),
            Handed::Nothing | Handed::All => None,
        };
        drop(state);
        drop(own_waker);
        if let Some(next) = next {
            next.wake();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
