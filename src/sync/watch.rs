//! A single-value channel that keeps only the latest value: receivers see the most recent one
//! and are told when it changes (intermediate values may be skipped).
//!
//! [`channel`]`(initial)` returns a [`Sender`] and a first [`Receiver`]; more receivers come from
//! [`Sender::subscribe`] and `Receiver::clone`. [`Receiver::changed`] waits for a value the
//! receiver has not seen; [`Receiver::borrow`] reads the current value in place.
//!
//! # Algorithm
//!
//! The value lives in a reader-writer lock, so that any number of receivers read it at once
//! (and one task can hold borrows from two receivers). Next to it, a `version` counter is bumped
//! by every change, always while the value's write lock is held, so that a reader holding the
//! read lock sees a version that matches the value it reads. Each receiver remembers the last
//! version it has seen; "changed" means the current version differs from it.
//!
//! A second, small lock guards the bookkeeping: live receivers, the closed flag (every sender
//! dropped) and two FIFO waiter lists: receivers waiting in `changed` and senders waiting in
//! `closed`. A receiver compares versions and parks *under that lock*; a sender bumps the version
//! first and takes that lock afterwards to notify everyone parked. So either the receiver sees
//! the new version, or it parked before the sender's notification and is woken by it: no lost
//! wake-up. Lock order: the value, then the bookkeeping.
//!
//! Notifications are broadcasts and the receiver's version is its own, so a cancelled `changed`
//! future holds nothing that another waiter needs: it only unlinks itself.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::loom::{lock, AtomicU64, AtomicUsize, Mutex, Ordering, RwLock, RwLockReadGuard, RwLockWriteGuard};
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop::poll_proceed;

/// Error types of the watch channel.
pub mod error {
    use std::fmt;

    /// There was no receiver: the value was not stored and is handed back.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().0, 1);
    /// ```
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub struct SendError<T>(pub T);

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the watch channel has no receiver")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// Every sender was dropped, and the receiver has seen the last value.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = watch::channel(0);
    ///     drop(tx);
    ///     assert!(rx.changed().await.is_err());
    /// });
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the watch channel's senders were all dropped")
        }
    }

    impl std::error::Error for RecvError {}
}

use error::{RecvError, SendError};

struct State {
    rx_count: usize,
    /// Every sender was dropped.
    closed: bool,
    /// Receivers parked in `changed`.
    rx_waiters: WaitList,
    /// Senders parked in `closed`.
    tx_waiters: WaitList,
}

struct Shared<T> {
    value: RwLock<T>,
    /// Bumped once per change, only while `value` is write-locked.
    version: AtomicU64,
    state: Mutex<State>,
    /// Live senders; the last one to drop closes the channel.
    tx_count: AtomicUsize,
}

impl<T> Shared<T> {
    fn read(&self) -> RwLockReadGuard<'_, T> {
        // Poisoning only means a `send_modify` closure panicked; the value is still a value.
        self.value.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.value.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Marks a change (the caller holds the write lock).
    fn bump_version(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
    }

    /// Wakes every receiver parked in `changed` (the caller has released the value's lock).
    fn notify_receivers(&self) {
        let mut wakers = Vec::new();
        lock(&self.state).rx_waiters.notify_all(&mut wakers);
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// Creates a watch channel holding `initial`. Returns the sender and a first receiver, which
/// considers `initial` as already seen.
///
/// ```
/// use corio::sync::watch;
///
/// corio::run(async {
///     let (tx, mut rx) = watch::channel("starting");
///     let watcher = corio::spawn(async move {
///         rx.changed().await.unwrap();
///         *rx.borrow_and_update()
///     });
///     tx.send("running").unwrap();
///     assert_eq!(watcher.await.unwrap(), "running");
/// });
/// ```
pub fn channel<T>(initial: T) -> (Sender<T>, Receiver<T>) {
    let sender = Sender::new(initial);
    let receiver = sender.subscribe();
    (sender, receiver)
}

/// The sending half of a watch channel. Clone it to update the value from several tasks; once
/// every sender is dropped, receivers get [`RecvError`] from `changed` (after
/// seeing the last value).
///
/// ```
/// use corio::sync::watch;
///
/// let (tx, rx) = watch::channel(1);
/// tx.send_modify(|value| *value += 1);
/// assert_eq!(*rx.borrow(), 2);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half of a watch channel: reads the latest value and waits for changes.
///
/// ```
/// use corio::sync::watch;
///
/// let (tx, mut rx) = watch::channel(0);
/// assert!(!rx.has_changed().unwrap());
/// tx.send(5).unwrap();
/// assert!(rx.has_changed().unwrap());
/// assert_eq!(*rx.borrow_and_update(), 5);
/// assert!(!rx.has_changed().unwrap());
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The last version this receiver has seen.
    seen: u64,
}

/// A borrow of the channel's current value; the sender cannot change it until the `Ref` is
/// dropped, so keep it short (and never hold it across an `.await`).
///
/// ```
/// use corio::sync::watch;
///
/// let (tx, mut rx) = watch::channel(String::from("a"));
/// tx.send_replace(String::from("b"));
/// let value = rx.borrow_and_update();
/// assert_eq!(*value, "b");
/// assert!(value.has_changed());
/// ```
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether this value was unseen by the receiver when it was borrowed (always `false` for a
    /// borrow through the sender).
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert!(rx.borrow().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T> Sender<T> {
    /// A sender holding `initial`, without receivers yet (make them with
    /// [`subscribe`](Self::subscribe)).
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let tx = watch::Sender::new(3);
    /// assert_eq!(tx.receiver_count(), 0);
    /// let rx = tx.subscribe();
    /// assert_eq!(*rx.borrow(), 3);
    /// ```
    pub fn new(initial: T) -> Sender<T> {
        let shared = Arc::new(Shared {
            value: RwLock::new(initial),
            version: AtomicU64::new(0),
            state: Mutex::new(State {
                rx_count: 0,
                closed: false,
                rx_waiters: WaitList::new(),
                tx_waiters: WaitList::new(),
            }),
            tx_count: AtomicUsize::new(1),
        });
        Sender { shared }
    }

    /// Replaces the value and notifies the receivers. Fails, handing the value back without
    /// storing it, when there is no receiver (use [`send_replace`](Self::send_replace) to store
    /// it regardless).
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// tx.send(7).unwrap();
    /// assert_eq!(*rx.borrow(), 7);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if lock(&self.shared.state).rx_count == 0 {
            return Err(SendError(value));
        }
        drop(self.send_replace(value));
        Ok(())
    }

    /// Replaces the value, notifies the receivers and returns the previous value; stores it even
    /// when there is no receiver.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let tx = watch::Sender::new(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// assert_eq!(*tx.borrow(), 2);
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let mut guard = self.shared.write();
        let old = std::mem::replace(&mut *guard, value);
        self.shared.bump_version();
        drop(guard);
        self.shared.notify_receivers();
        old
    }

    /// Modifies the value in place and notifies the receivers (even when there is none, the
    /// change is stored).
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(vec![1]);
    /// tx.send_modify(|list| list.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Modifies the value in place; notifies the receivers only if `modify` returns `true`
    /// (which it should exactly when it changed the value). Returns what `modify` returned.
    ///
    /// If `modify` panics, the receivers are not notified; whatever it changed before panicking
    /// stays.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(5);
    /// assert!(!tx.send_if_modified(|_| false));
    /// assert!(!rx.has_changed().unwrap());
    /// assert!(tx.send_if_modified(|value| {
    ///     *value = 6;
    ///     true
    /// }));
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let mut guard = self.shared.write();
        if !modify(&mut guard) {
            return false;
        }
        self.shared.bump_version();
        drop(guard);
        self.shared.notify_receivers();
        true
    }

    /// Borrows the current value (its `has_changed` is `false`). Keep the borrow short: sending
    /// waits for it to end.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel("x");
    /// assert_eq!(*tx.borrow(), "x");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            has_changed: false,
        }
    }

    /// A new receiver, which considers the current value as seen.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// let rx = tx.subscribe();
    /// assert!(!rx.has_changed().unwrap());
    /// assert_eq!(*rx.borrow(), 1);
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared, None)
    }

    /// Live receivers.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(());
    /// let _rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.state).rx_count
    }

    /// Live senders.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(());
    /// let _tx2 = tx.clone();
    /// assert_eq!(tx.sender_count(), 2);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.shared.tx_count.load(Ordering::SeqCst)
    }

    /// Whether there is no receiver (a `send` would fail).
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until there is no receiver. Cancel-safe.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// corio::run(async {
    ///     let (tx, rx) = watch::channel(0);
    ///     corio::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub async fn closed(&self) {
        SenderClosed {
            shared: &self.shared,
            waiter: None,
        }
        .await
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(());
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

fn new_receiver<T>(shared: &Arc<Shared<T>>, seen: Option<u64>) -> Receiver<T> {
    lock(&shared.state).rx_count += 1;
    let seen = seen.unwrap_or_else(|| shared.version());
    Receiver {
        shared: shared.clone(),
        seen,
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        // Relaxed: cloned from a live sender, so the count cannot drop to zero meanwhile; it
        // publishes no data (as `Arc::clone`).
        self.shared.tx_count.fetch_add(1, Ordering::Relaxed);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.tx_count.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        let mut state = lock(&self.shared.state);
        state.closed = true;
        let mut wakers = Vec::new();
        state.rx_waiters.notify_all(&mut wakers);
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen. Keep the borrow short: sending waits
    /// for it to end.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// assert!(rx.has_changed().unwrap(), "`borrow` does not mark the value seen");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.read();
        // Read under the value's lock: the version matches the value we hold.
        let has_changed = self.shared.version() != self.seen;
        Ref { guard, has_changed }
    }

    /// Borrows the current value and marks it seen.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, mut rx) = watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 2);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let version = self.shared.version();
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether the value changed since this receiver last saw it. Fails once every sender is
    /// dropped.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        if lock(&self.shared.state).closed {
            return Err(RecvError(()));
        }
        Ok(self.shared.version() != self.seen)
    }

    /// Makes the current value count as unseen, so that [`changed`](Self::changed) returns at
    /// once.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (_tx, mut rx) = watch::channel(0);
    /// rx.mark_changed();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn mark_changed(&mut self) {
        self.seen = self.shared.version().wrapping_sub(1);
    }

    /// Makes the current value count as seen.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (tx, mut rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// rx.mark_unchanged();
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version();
    }

    /// Waits for a value this receiver has not seen, and marks it seen. Returns at once if there
    /// is one already. Fails once every sender is dropped and the last value has been seen.
    ///
    /// Cancel-safe: dropping the future marks nothing seen.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = watch::channel(0);
    ///     corio::spawn(async move {
    ///         for i in 1..=3 {
    ///             tx.send(i).unwrap();
    ///         }
    ///     });
    ///     // Intermediate values may be skipped, but the last one is always seen.
    ///     while rx.changed().await.is_ok() {
    ///         if *rx.borrow() == 3 {
    ///             break;
    ///         }
    ///     }
    ///     assert_eq!(*rx.borrow(), 3);
    /// });
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        Changed {
            shared: &self.shared,
            seen: &mut self.seen,
            waiter: None,
        }
        .await
    }

    /// Waits until the value satisfies `condition`, and returns a borrow of that value (marked
    /// seen). Checks the current value first. Fails once every sender is dropped and the last
    /// value does not satisfy it.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = watch::channel(0);
    ///     corio::spawn(async move {
    ///         for i in 1..=10 {
    ///             tx.send(i).unwrap();
    ///         }
    ///     });
    ///     let value = rx.wait_for(|value| *value >= 10).await.unwrap();
    ///     assert_eq!(*value, 10);
    /// });
    /// ```
    pub async fn wait_for(&mut self, mut condition: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        loop {
            // Read before the value: if every sender was gone already, this value is the last.
            let closed = lock(&self.shared.state).closed;
            {
                // In its own scope, so that the guard is visibly gone before the `.await` (and
                // the future stays `Send`).
                let guard = self.shared.read();
                let version = self.shared.version();
                let has_changed = version != self.seen;
                self.seen = version;
                if condition(&guard) {
                    return Ok(Ref { guard, has_changed });
                }
            }
            if closed {
                return Err(RecvError(()));
            }
            Changed {
                shared: &self.shared,
                seen: &mut self.seen,
                waiter: None,
            }
            .await?;
        }
    }

    /// Whether both receivers belong to the same channel.
    ///
    /// ```
    /// use corio::sync::watch;
    ///
    /// let (_tx, rx) = watch::channel(());
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    /// A receiver that has seen what this one has seen.
    fn clone(&self) -> Receiver<T> {
        new_receiver(&self.shared, Some(self.seen))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.rx_count -= 1;
        let mut wakers = Vec::new();
        if state.rx_count == 0 {
            state.tx_waiters.notify_all(&mut wakers);
        }
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// A receiver waiting for an unseen version. Cancel-safe: it only unlinks itself on drop.
struct Changed<'a, T> {
    shared: &'a Shared<T>,
    seen: &'a mut u64,
    waiter: Option<WaiterKey>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = self.get_mut();
        let mut state = lock(&this.shared.state);
        let version = this.shared.version();
        let ready = if version != *this.seen {
            *this.seen = version;
            Some(Ok(()))
        } else if state.closed {
            Some(Err(RecvError(())))
        } else {
            None
        };
        let old = match (ready.is_some(), this.waiter) {
            (true, Some(key)) => {
                this.waiter = None;
                state.rx_waiters.remove(key).1
            }
            (true, None) => None,
            // Notified, but the version is one we had seen already: queue again.
            (false, Some(key)) if state.rx_waiters.is_notified(key) => {
                let old = state.rx_waiters.remove(key).1;
                this.waiter = Some(state.rx_waiters.push_back(0, cx.waker().clone()));
                old
            }
            (false, Some(key)) => state.rx_waiters.update_waker(key, cx.waker()),
            (false, None) => {
                this.waiter = Some(state.rx_waiters.push_back(0, cx.waker().clone()));
                None
            }
        };
        drop(state);
        drop(old);
        match ready {
            Some(result) => Poll::Ready(result),
            None => Poll::Pending,
        }
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            let old = lock(&self.shared.state).rx_waiters.remove(key).1;
            drop(old);
        }
    }
}

/// A sender waiting for every receiver to go. Cancel-safe: it only unlinks itself on drop.
struct SenderClosed<'a, T> {
    shared: &'a Shared<T>,
    waiter: Option<WaiterKey>,
}

impl<T> Future for SenderClosed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = self.get_mut();
        let mut state = lock(&this.shared.state);
        if state.rx_count == 0 {
            let old = this.waiter.take().and_then(|key| state.tx_waiters.remove(key).1);
            drop(state);
            drop(old);
            return Poll::Ready(());
        }
        let old = match this.waiter {
            // A receiver was subscribed again after the notification: queue again.
            Some(key) if state.tx_waiters.is_notified(key) => {
                let old = state.tx_waiters.remove(key).1;
                this.waiter = Some(state.tx_waiters.push_back(0, cx.waker().clone()));
                old
            }
            Some(key) => state.tx_waiters.update_waker(key, cx.waker()),
            None => {
                this.waiter = Some(state.tx_waiters.push_back(0, cx.waker().clone()));
                None
            }
        };
        drop(state);
        drop(old);
        Poll::Pending
    }
}

impl<T> Drop for SenderClosed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            let old = lock(&self.shared.state).tx_waiters.remove(key).1;
            drop(old);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender")
            .field("value", &*self.shared.read())
            .finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver")
            .field("value", &*self.shared.read())
            .field("seen", &self.seen)
            .finish()
    }
}
