//! An async condition variable for [`Mutex`](super::Mutex) (asyncio's `Condition`).
//!
//! # Algorithm
//!
//! The condition variable is a [`WaitList`] behind its own small lock. `wait(guard)` runs in
//! three steps:
//!
//! 1. *register*: push a waiter on the list **while the mutex guard is still held** — so a
//!    `notify` issued by a task that takes the mutex right after we release it always finds us
//!    (no lost wake-up between unlock and wait);
//! 2. *unlock and wait*: drop the guard and wait until a `notify` takes our waiter off the list
//!    (the waiter is registered with a no-op waker, replaced by the task's waker at the first
//!    poll, which happens before the task can be woken by anything else);
//! 3. *relock*: `mutex.lock().await` (FIFO, like every lock).
//!
//! Notifications reach only the tasks waiting when `notify` runs, as asyncio's do: with nobody
//! waiting, a notification is a no-op. Cancel safety: a waiter dropped in step 2 after being
//! notified passes the notification to the next waiter (asyncio's `Condition.wait` does the
//! same); once in step 3 the notification has been used, and dropping just abandons the relock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::mutex::MutexGuard;
use super::semaphore::Wakers;
use crate::loom::{lock, Mutex};
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop::poll_proceed;

/// An async condition variable, used with [`corio::sync::Mutex`](super::Mutex) (asyncio's
/// `Condition`).
///
/// A task holding the mutex calls [`wait`](Self::wait) to release it and sleep until another
/// task calls [`notify_one`](Self::notify_one), [`notify`](Self::notify) or
/// [`notify_all`](Self::notify_all); it then gets the mutex back. Notifications only reach
/// tasks already waiting. As with every condition variable, check the condition in a loop, or
/// use [`wait_for`](Self::wait_for).
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::{Condvar, Mutex};
///
/// corio::run(async {
///     let shared = Arc::new((Mutex::new(false), Condvar::new()));
///     let waiter = {
///         let shared = shared.clone();
///         corio::spawn(async move {
///             let (ready, condvar) = &*shared;
///             let guard = condvar.wait_for(ready.lock().await, |ready| *ready).await;
///             assert!(*guard);
///         })
///     };
///     let (ready, condvar) = &*shared;
///     *ready.lock().await = true;
///     condvar.notify_all();
///     waiter.await.unwrap();
/// });
/// ```
pub struct Condvar {
    waiters: Mutex<WaitList>,
}

impl Condvar {
    /// A condition variable with nobody waiting.
    ///
    /// ```
    /// let condvar = corio::sync::Condvar::new();
    /// condvar.notify_one(); // nobody waits: a no-op
    /// ```
    pub fn new() -> Condvar {
        Condvar {
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Releases the mutex behind `guard`, waits for a notification, then locks the mutex again
    /// and returns the new guard.
    ///
    /// The task is registered as a waiter before the mutex is released, so a notification sent
    /// by whoever takes the mutex next is never missed. Wake-ups may be spurious from the
    /// caller's point of view (another task may have changed the data again first): re-check the
    /// condition, or use [`wait_for`](Self::wait_for). Cancel-safe: if the future is dropped
    /// after it was notified but before it relocks, the notification passes to the next waiter.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use corio::sync::{Condvar, Mutex};
    ///
    /// corio::run(async {
    ///     let shared = Arc::new((Mutex::new(0), Condvar::new()));
    ///     let producer = {
    ///         let shared = shared.clone();
    ///         corio::spawn(async move {
    ///             let (value, condvar) = &*shared;
    ///             *value.lock().await = 7;
    ///             condvar.notify_one();
    ///         })
    ///     };
    ///     let (value, condvar) = &*shared;
    ///     let mut guard = value.lock().await;
    ///     while *guard == 0 {
    ///         guard = condvar.wait(guard).await;
    ///     }
    ///     assert_eq!(*guard, 7);
    ///     drop(guard);
    ///     producer.await.unwrap();
    /// });
    /// ```
    pub async fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex = MutexGuard::mutex(&guard);
        let notified = self.register();
        drop(guard);
        notified.await;
        mutex.lock().await
    }

    /// Waits until `predicate` returns `true` for the data: checks it first, and after every
    /// wake-up, with the mutex held; returns the guard for which it held.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use corio::sync::{Condvar, Mutex};
    ///
    /// corio::run(async {
    ///     let shared = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    ///     let producer = {
    ///         let shared = shared.clone();
    ///         corio::spawn(async move {
    ///             let (items, condvar) = &*shared;
    ///             for item in 0..3 {
    ///                 items.lock().await.push(item);
    ///                 condvar.notify_one();
    ///             }
    ///         })
    ///     };
    ///     let (items, condvar) = &*shared;
    ///     let guard = condvar.wait_for(items.lock().await, |items| items.len() == 3).await;
    ///     assert_eq!(*guard, [0, 1, 2]);
    ///     drop(guard);
    ///     producer.await.unwrap();
    /// });
    /// ```
    pub async fn wait_for<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut predicate: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while !predicate(&mut guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes the longest-waiting task, if any.
    ///
    /// ```
    /// let condvar = corio::sync::Condvar::new();
    /// condvar.notify_one();
    /// ```
    pub fn notify_one(&self) {
        let mut waiters = lock(&self.waiters);
        let waker = waiters.notify_front();
        drop(waiters);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes up to `n` waiting tasks, longest-waiting first (asyncio's `notify(n)`).
    ///
    /// ```
    /// let condvar = corio::sync::Condvar::new();
    /// condvar.notify(2);
    /// ```
    pub fn notify(&self, n: usize) {
        let mut wakers = Wakers::default();
        let mut waiters = lock(&self.waiters);
        for _ in 0..n {
            match waiters.notify_front() {
                Some(waker) => wakers.push(waker),
                None => break,
            }
        }
        drop(waiters);
        wakers.wake_all();
    }

    /// Wakes every waiting task.
    ///
    /// ```
    /// let condvar = corio::sync::Condvar::new();
    /// condvar.notify_all();
    /// ```
    pub fn notify_all(&self) {
        let mut wakers = Vec::new();
        lock(&self.waiters).notify_all(&mut wakers);
        for waker in wakers {
            waker.wake();
        }
    }

    /// Queues a waiter (step 1 of `wait`), with a no-op waker until its first poll.
    fn register(&self) -> Notified<'_> {
        let key = lock(&self.waiters).push_back(0, Waker::noop().clone());
        Notified {
            condvar: self,
            key: Some(key),
        }
    }
}

impl Default for Condvar {
    fn default() -> Condvar {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar")
            .field("waiters", &lock(&self.waiters).len())
            .finish()
    }
}

/// Step 2 of `wait`: a registered waiter, ready once notified. Its `Drop` is the cancel safety.
struct Notified<'a> {
    condvar: &'a Condvar,
    /// `None` once the notification was consumed.
    key: Option<WaiterKey>,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let Some(key) = self.key else {
            return Poll::Ready(());
        };
        let mut waiters = lock(&self.condvar.waiters);
        if waiters.is_notified(key) {
            let (_, stale_waker) = waiters.remove(key);
            drop(waiters);
            drop(stale_waker);
            self.key = None;
            Poll::Ready(())
        } else {
            let old_waker = waiters.update_waker(key, cx.waker());
            drop(waiters);
            drop(old_waker);
            Poll::Pending
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut waiters = lock(&self.condvar.waiters);
        let (notified, waker) = waiters.remove(key);
        // A notification we will not use goes to the next waiter.
        let next = if notified { waiters.notify_front() } else { None };
        drop(waiters);
        drop(waker);
        if let Some(next) = next {
            next.wake();
        }
    }
}
