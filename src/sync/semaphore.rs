//! A FIFO-fair counting semaphore (asyncio's `Semaphore` and `BoundedSemaphore`), the base of
//! [`Mutex`](super::Mutex), [`RwLock`](super::RwLock) and [`OnceCell`](super::OnceCell).
//!
//! # Algorithm
//!
//! All the state sits in one lock (`State`): the permits nobody holds (`permits`), the permits
//! already handed to waiters that have not yet claimed them (`handed`), the permits `forget`
//! took out of circulation (`forgotten`, what a [`BoundedSemaphore`] may add back), the
//! `closed` flag, and the [`WaitList`] of waiting acquires, each with its `request`.
//!
//! - *Acquire*: if nobody waits and enough permits are free, take them and return. Otherwise
//!   queue at the back with the request and wait. Checking the FIFO first is what makes the
//!   semaphore fair: a waiter asking for many permits blocks every later request, small ones
//!   included, until it is served (tokio's semantics; asyncio's `locked()` does the same).
//! - *Release* (a permit dropped, `add_permits`) and *a queued waiter leaving*: hand permits to
//!   the waiters at the front, in order, as long as the front request fits (`hand_off`). A
//!   served waiter is taken off the FIFO as *notified*; its permits move from `permits` to
//!   `handed`, and it claims them at its next poll.
//! - *Close*: set `closed`, take back every handed-but-unclaimed permit and notify every queued
//!   waiter. From then on every waiter and every new acquire fails with [`AcquireError`]: a
//!   waiter that had been handed permits but not yet returned also fails, so the semaphore's
//!   count stays exact. No waiter is ever queued again after `close`.
//! - *Cancellation*: an acquire future dropped while queued unlinks itself (and, if it was at the
//!   front, lets the requests behind it be served); dropped while notified, it gives its handed
//!   permits back, and they go to the next waiters. No permit is ever lost.
//!
//! Invariants, under the lock: `permits + handed + Σ(permits held by live permit objects) +
//! forgotten` only changes through `add_permits`; `handed == 0` once `closed`; the front
//! waiter's request is larger than `permits` whenever the FIFO is not empty (every release runs
//! `hand_off`). Wakers are collected under the lock and woken after it is released.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::loom::SpinLock;
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop::poll_proceed;

/// A counting semaphore: a pool of permits that tasks acquire and give back (asyncio's
/// `Semaphore`).
///
/// Acquiring is FIFO-fair: waiters are served in the order they started waiting, and a waiter
/// asking for many permits (with [`acquire_many`](Self::acquire_many)) blocks later requests
/// until it is served. Permits are RAII guards: dropping a [`SemaphorePermit`] gives its permits
/// back. After [`close`](Self::close), every waiter and every new acquire fails.
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::Semaphore;
///
/// corio::run(async {
///     let semaphore = Arc::new(Semaphore::new(2));
///     let first = semaphore.acquire().await.unwrap();
///     let _second = semaphore.acquire().await.unwrap();
///     assert_eq!(semaphore.available_permits(), 0);
///     assert!(semaphore.try_acquire().is_err());
///     drop(first);
///     assert_eq!(semaphore.available_permits(), 1);
/// });
/// ```
pub struct Semaphore {
    state: SpinLock<State>,
}

struct State {
    /// Permits nobody holds or has been handed.
    permits: usize,
    /// Permits handed to notified waiters that have not claimed them yet.
    handed: usize,
    /// Permits taken out of circulation by `forget`.
    forgotten: usize,
    closed: bool,
    waiters: WaitList,
}

impl State {
    /// Serves the front waiters, in order, while their requests fit in the free permits.
    fn hand_off(&mut self, wakers: &mut Wakers) {
        while let Some(request) = self.waiters.front_request() {
            if request > self.permits {
                break;
            }
            self.permits -= request;
            self.handed += request;
            if let Some(waker) = self.waiters.notify_front() {
                wakers.push(waker);
            }
        }
    }
}

/// Wakers collected under a lock, to wake after it is released. The first one is kept inline,
/// so that the common hand-off (one waiter served) does not allocate.
#[derive(Default)]
pub(crate) struct Wakers {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Wakers {
    pub(crate) fn push(&mut self, waker: Waker) {
        match self.first {
            None => self.first = Some(waker),
            Some(_) => self.rest.push(waker),
        }
    }

    pub(crate) fn wake_all(self) {
        if let Some(waker) = self.first {
            waker.wake();
        }
        for waker in self.rest {
            waker.wake();
        }
    }
}

/// The error of [`Semaphore::acquire`] (and its variants): the semaphore was closed.
///
/// ```
/// use corio::sync::Semaphore;
///
/// corio::run(async {
///     let semaphore = Semaphore::new(1);
///     semaphore.close();
///     let error = semaphore.acquire().await.unwrap_err();
///     assert_eq!(error.to_string(), "the semaphore is closed");
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore is closed")
    }
}

impl std::error::Error for AcquireError {}

/// The error of [`Semaphore::try_acquire`] (and its variants).
///
/// ```
/// use corio::sync::{Semaphore, TryAcquireError};
///
/// let semaphore = Semaphore::new(1);
/// let _permit = semaphore.try_acquire().unwrap();
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// semaphore.close();
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::Closed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are free right now, or earlier waiters are queued for them.
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("the semaphore is closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

impl Semaphore {
    /// The largest number of permits a semaphore can hold: `usize::MAX >> 3`, as tokio's, so
    /// that adding permits can be checked without overflowing.
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let semaphore = corio::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Semaphore::MAX_PERMITS,
            "`Semaphore::new`: {permits} permits exceed Semaphore::MAX_PERMITS ({}); use fewer permits",
            Semaphore::MAX_PERMITS
        );
        Semaphore {
            state: SpinLock::new(State {
                permits,
                handed: 0,
                forgotten: 0,
                closed: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// The number of permits free right now.
    ///
    /// Permits already handed to a queued waiter that has not run yet are not counted; free
    /// permits that a waiter at the front of the queue is still gathering (it asked for more)
    /// are.
    ///
    /// ```
    /// let semaphore = corio::sync::Semaphore::new(2);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.lock().permits
    }

    /// Adds `n` permits, serving queued waiters first, in order.
    ///
    /// Adding permits to a closed semaphore is allowed (they count in
    /// [`available_permits`](Self::available_permits)) but nobody can acquire them.
    ///
    /// # Panics
    /// If the free permits would exceed [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let semaphore = corio::sync::Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        let mut wakers = Wakers::default();
        let mut state = self.state.lock();
        let total = state.permits + state.handed;
        if n > Semaphore::MAX_PERMITS - total {
            drop(state);
            panic!(
                "`Semaphore::add_permits`: adding {n} permits to {total} would exceed \
                 Semaphore::MAX_PERMITS ({}); add fewer permits",
                Semaphore::MAX_PERMITS
            );
        }
        state.permits += n;
        state.hand_off(&mut wakers);
        drop(state);
        wakers.wake_all();
    }

    /// Waits for one permit.
    ///
    /// Fails once the semaphore is [closed](Self::close). Cancel-safe: if the future is dropped
    /// after the permit was handed to it, the permit goes to the next waiter.
    ///
    /// ```
    /// corio::run(async {
    ///     let semaphore = corio::sync::Semaphore::new(1);
    ///     let permit = semaphore.acquire().await.unwrap();
    ///     assert_eq!(permit.num_permits(), 1);
    /// });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_raw(1).await?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Waits for `n` permits, taken all at once.
    ///
    /// While it waits at the front of the queue, later requests (even for one permit) wait
    /// behind it. If `n` is more than the semaphore has in total, it waits until
    /// [`add_permits`](Self::add_permits) brings enough (or the semaphore closes), as tokio's
    /// does, blocking the queue meanwhile. Asking for `0` permits returns at once. Cancel-safe:
    /// permits handed to a dropped future all go back.
    ///
    /// ```
    /// corio::run(async {
    ///     let semaphore = corio::sync::Semaphore::new(5);
    ///     let permit = semaphore.acquire_many(3).await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 2);
    ///     drop(permit);
    ///     assert_eq!(semaphore.available_permits(), 5);
    /// });
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_raw(n as usize).await?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n as usize,
        })
    }

    /// Takes one permit if one is free and nobody is queued before us.
    ///
    /// ```
    /// let semaphore = corio::sync::Semaphore::new(1);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert!(semaphore.try_acquire().is_err());
    /// drop(permit);
    /// assert!(semaphore.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_raw(1)?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Takes `n` permits if they are free and nobody is queued before us.
    ///
    /// ```
    /// let semaphore = corio::sync::Semaphore::new(3);
    /// assert!(semaphore.try_acquire_many(4).is_err());
    /// let permit = semaphore.try_acquire_many(3).unwrap();
    /// assert_eq!(permit.num_permits(), 3);
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_raw(n as usize)?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n as usize,
        })
    }

    /// Waits for one permit, returned as a guard that owns a handle to the semaphore (so it can
    /// move into a spawned task).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// corio::run(async {
    ///     let semaphore = Arc::new(corio::sync::Semaphore::new(1));
    ///     let permit = semaphore.clone().acquire_owned().await.unwrap();
    ///     corio::spawn(async move { drop(permit) }).await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_raw(1).await?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Waits for `n` permits (as [`acquire_many`](Self::acquire_many)), returned as an owned
    /// guard.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// corio::run(async {
    ///     let semaphore = Arc::new(corio::sync::Semaphore::new(4));
    ///     let permit = semaphore.clone().acquire_many_owned(4).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 4);
    /// });
    /// ```
    pub async fn acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_raw(n as usize).await?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n as usize,
        })
    }

    /// Takes one permit if possible, as an owned guard.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(corio::sync::Semaphore::new(1));
    /// let _permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(semaphore.clone().try_acquire_owned().is_err());
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_raw(1)?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Takes `n` permits if possible, as an owned guard.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(corio::sync::Semaphore::new(2));
    /// let permit = semaphore.clone().try_acquire_many_owned(2).unwrap();
    /// assert_eq!(permit.num_permits(), 2);
    /// ```
    pub fn try_acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_raw(n as usize)?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n as usize,
        })
    }

    /// Closes the semaphore: every queued waiter, every waiter handed permits that it has not
    /// returned with yet, and every later acquire fail with [`AcquireError`]. Permits already
    /// held stay valid and still come back when dropped.
    ///
    /// ```
    /// corio::run(async {
    ///     let semaphore = corio::sync::Semaphore::new(0);
    ///     semaphore.close();
    ///     assert!(semaphore.is_closed());
    ///     assert!(semaphore.acquire().await.is_err());
    /// });
    /// ```
    pub fn close(&self) {
        let mut wakers = Vec::new();
        let mut state = self.state.lock();
        state.closed = true;
        // The notified waiters will fail too: their permits return to the pool now.
        state.permits += state.handed;
        state.handed = 0;
        state.waiters.notify_all(&mut wakers);
        drop(state);
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// let semaphore = corio::sync::Semaphore::new(1);
    /// assert!(!semaphore.is_closed());
    /// semaphore.close();
    /// assert!(semaphore.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.state.lock().closed
    }

    /// The future behind every acquire: waits for `n` permits and takes them, without making a
    /// guard (the caller makes its own).
    pub(crate) fn acquire_raw(&self, n: usize) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            request: n,
            state: AcquireState::Idle,
        }
    }

    /// Takes `n` permits if free and nobody is queued, without making a guard.
    pub(crate) fn try_acquire_raw(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut state = self.state.lock();
        if state.closed {
            Err(TryAcquireError::Closed)
        } else if n == 0 || (state.waiters.is_empty() && state.permits >= n) {
            state.permits -= n;
            Ok(())
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// Gives `n` permits back (a guard was dropped) and serves the waiters they satisfy.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut wakers = Wakers::default();
        let mut state = self.state.lock();
        state.permits += n;
        state.hand_off(&mut wakers);
        drop(state);
        wakers.wake_all();
    }

    /// Records `n` permits taken out of circulation by `forget`.
    fn forget_permits(&self, n: usize) {
        if n > 0 {
            let mut state = self.state.lock();
            state.forgotten = state.forgotten.saturating_add(n);
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Semaphore")
            .field("permits", &state.permits)
            .field("waiters", &state.waiters.len())
            .field("closed", &state.closed)
            .finish()
    }
}

enum AcquireState {
    /// Not polled yet.
    Idle,
    /// Queued, or notified and not yet polled.
    Waiting(WaiterKey),
    /// Returned `Ready`.
    Done,
}

/// The future of an acquire: `request` permits from `semaphore`. See the module doc for the
/// protocol; its `Drop` is the cancel safety.
pub(crate) struct Acquire<'a> {
    semaphore: &'a Semaphore,
    request: usize,
    state: AcquireState,
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = &mut *self;
        let mut state = this.semaphore.state.lock();
        match this.state {
            AcquireState::Idle => {
                if state.closed {
                    this.state = AcquireState::Done;
                    return Poll::Ready(Err(AcquireError(())));
                }
                if this.request == 0 || (state.waiters.is_empty() && state.permits >= this.request) {
                    state.permits -= this.request;
                    this.state = AcquireState::Done;
                    return Poll::Ready(Ok(()));
                }
                let key = state.waiters.push_back(this.request, cx.waker().clone());
                this.state = AcquireState::Waiting(key);
                Poll::Pending
            }
            AcquireState::Waiting(key) => {
                if state.waiters.is_notified(key) {
                    let (_, stale_waker) = state.waiters.remove(key);
                    this.state = AcquireState::Done;
                    let result = if state.closed {
                        // `close` took the handed permits back (if any): this acquire fails.
                        Err(AcquireError(()))
                    } else {
                        state.handed -= this.request;
                        Ok(())
                    };
                    drop(state);
                    drop(stale_waker);
                    Poll::Ready(result)
                } else {
                    let old_waker = state.waiters.update_waker(key, cx.waker());
                    drop(state);
                    drop(old_waker);
                    Poll::Pending
                }
            }
            AcquireState::Done => panic!("a semaphore acquire future was polled after it completed"),
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let AcquireState::Waiting(key) = self.state else {
            return;
        };
        let mut wakers = Wakers::default();
        let mut state = self.semaphore.state.lock();
        let (notified, waker) = state.waiters.remove(key);
        if notified && !state.closed {
            // Handed permits nobody will claim: give them back.
            state.handed -= self.request;
            state.permits += self.request;
        }
        // Returned permits, or a front waiter leaving, may let the next waiters through.
        state.hand_off(&mut wakers);
        drop(state);
        drop(waker);
        wakers.wake_all();
    }
}

/// Permits acquired from a [`Semaphore`], given back when dropped.
///
/// ```
/// corio::run(async {
///     let semaphore = corio::sync::Semaphore::new(1);
///     {
///         let _permit = semaphore.acquire().await.unwrap();
///         assert_eq!(semaphore.available_permits(), 0);
///     }
///     assert_eq!(semaphore.available_permits(), 1);
/// });
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// Keeps the permits out of the semaphore for good: they are not given back on drop.
    ///
    /// ```
    /// let semaphore = corio::sync::Semaphore::new(2);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.semaphore.forget_permits(self.permits);
        self.permits = 0;
    }

    /// How many permits this guard holds.
    ///
    /// ```
    /// let semaphore = corio::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// Permits acquired from an `Arc<Semaphore>`, given back when dropped. Unlike
/// [`SemaphorePermit`] it borrows nothing, so it can move into a spawned task.
///
/// ```
/// use std::sync::Arc;
///
/// corio::run(async {
///     let semaphore = Arc::new(corio::sync::Semaphore::new(1));
///     let permit = semaphore.clone().acquire_owned().await.unwrap();
///     assert!(Arc::ptr_eq(permit.semaphore(), &semaphore));
/// });
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good: they are not given back on drop.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(corio::sync::Semaphore::new(1));
    /// semaphore.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.semaphore.forget_permits(self.permits);
        self.permits = 0;
    }

    /// How many permits this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(corio::sync::Semaphore::new(3));
    /// assert_eq!(semaphore.try_acquire_many_owned(3).unwrap().num_permits(), 3);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore the permits came from.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(corio::sync::Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert_eq!(permit.semaphore().available_permits(), 0);
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.release(self.permits);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// A semaphore that never holds more permits than it started with (asyncio's
/// `BoundedSemaphore`).
///
/// It acquires exactly as [`Semaphore`] does and hands out the same permit guards. Permits
/// only come back by dropping guards, so they can never exceed the bound; the one way to add
/// permits, [`add_permits`](Self::add_permits), may only restore permits that were
/// [forgotten](SemaphorePermit::forget), and returns [`BoundExceededError`] otherwise (where
/// asyncio raises `ValueError`).
///
/// ```
/// use corio::sync::BoundedSemaphore;
///
/// corio::run(async {
///     let semaphore = BoundedSemaphore::new(2);
///     assert!(semaphore.add_permits(1).is_err());
///     semaphore.acquire().await.unwrap().forget();
///     assert_eq!(semaphore.available_permits(), 1);
///     semaphore.add_permits(1).unwrap();
///     assert_eq!(semaphore.available_permits(), 2);
/// });
/// ```
pub struct BoundedSemaphore {
    semaphore: Arc<Semaphore>,
    bound: usize,
}

/// The error of [`BoundedSemaphore::add_permits`]: the permits would exceed the bound.
///
/// ```
/// let semaphore = corio::sync::BoundedSemaphore::new(1);
/// let error = semaphore.add_permits(1).unwrap_err();
/// assert_eq!((error.requested(), error.room(), error.bound()), (1, 0, 1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundExceededError {
    requested: usize,
    room: usize,
    bound: usize,
}

impl BoundExceededError {
    /// How many permits the call tried to add.
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(1);
    /// assert_eq!(semaphore.add_permits(3).unwrap_err().requested(), 3);
    /// ```
    pub fn requested(&self) -> usize {
        self.requested
    }

    /// How many permits could have been added (those forgotten so far).
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(2);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.add_permits(2).unwrap_err().room(), 1);
    /// ```
    pub fn room(&self) -> usize {
        self.room
    }

    /// The semaphore's bound: its initial number of permits.
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(4);
    /// assert_eq!(semaphore.add_permits(1).unwrap_err().bound(), 4);
    /// ```
    pub fn bound(&self) -> usize {
        self.bound
    }
}

impl fmt::Display for BoundExceededError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BoundedSemaphore released too many times: adding {} permits would exceed its bound of {} \
             (only {} were forgotten and may be added back)",
            self.requested, self.bound, self.room
        )
    }
}

impl std::error::Error for BoundExceededError {}

impl BoundedSemaphore {
    /// A bounded semaphore with `permits` permits, which is also its bound.
    ///
    /// # Panics
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(3);
    /// assert_eq!(semaphore.bound(), 3);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            semaphore: Arc::new(Semaphore::new(permits)),
            bound: permits,
        }
    }

    /// The bound: the initial number of permits.
    ///
    /// ```
    /// assert_eq!(corio::sync::BoundedSemaphore::new(5).bound(), 5);
    /// ```
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Adds back `n` permits that were [forgotten](SemaphorePermit::forget), serving queued
    /// waiters first. Fails, adding nothing, if that would take the semaphore beyond its bound.
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(1);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert!(semaphore.add_permits(1).is_ok());
    /// assert!(semaphore.add_permits(1).is_err());
    /// ```
    pub fn add_permits(&self, n: usize) -> Result<(), BoundExceededError> {
        let mut wakers = Wakers::default();
        let mut state = self.semaphore.state.lock();
        if n > state.forgotten {
            return Err(BoundExceededError {
                requested: n,
                room: state.forgotten,
                bound: self.bound,
            });
        }
        state.forgotten -= n;
        state.permits += n;
        state.hand_off(&mut wakers);
        drop(state);
        wakers.wake_all();
        Ok(())
    }

    /// The number of permits free right now (see [`Semaphore::available_permits`]).
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(2);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.semaphore.available_permits()
    }

    /// Waits for one permit (see [`Semaphore::acquire`]).
    ///
    /// ```
    /// corio::run(async {
    ///     let semaphore = corio::sync::BoundedSemaphore::new(1);
    ///     let _permit = semaphore.acquire().await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 0);
    /// });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.semaphore.acquire().await
    }

    /// Waits for `n` permits (see [`Semaphore::acquire_many`]).
    ///
    /// ```
    /// corio::run(async {
    ///     let semaphore = corio::sync::BoundedSemaphore::new(3);
    ///     let permit = semaphore.acquire_many(3).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 3);
    /// });
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.semaphore.acquire_many(n).await
    }

    /// Takes one permit if possible (see [`Semaphore::try_acquire`]).
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(1);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert!(semaphore.try_acquire().is_err());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.semaphore.try_acquire()
    }

    /// Takes `n` permits if possible (see [`Semaphore::try_acquire_many`]).
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(2);
    /// assert!(semaphore.try_acquire_many(2).is_ok());
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.semaphore.try_acquire_many(n)
    }

    /// Waits for one permit, as an owned guard (see [`Semaphore::acquire_owned`]).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// corio::run(async {
    ///     let semaphore = Arc::new(corio::sync::BoundedSemaphore::new(1));
    ///     let permit = semaphore.clone().acquire_owned().await.unwrap();
    ///     corio::spawn(async move { drop(permit) }).await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.semaphore.clone().acquire_owned().await
    }

    /// Waits for `n` permits, as an owned guard (see [`Semaphore::acquire_many_owned`]).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// corio::run(async {
    ///     let semaphore = Arc::new(corio::sync::BoundedSemaphore::new(2));
    ///     let permit = semaphore.clone().acquire_many_owned(2).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 2);
    /// });
    /// ```
    pub async fn acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.semaphore.clone().acquire_many_owned(n).await
    }

    /// Closes the semaphore (see [`Semaphore::close`]).
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(1);
    /// semaphore.close();
    /// assert!(semaphore.try_acquire().is_err());
    /// ```
    pub fn close(&self) {
        self.semaphore.close()
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(1);
    /// semaphore.close();
    /// assert!(semaphore.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.semaphore.is_closed()
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.semaphore.state.lock();
        f.debug_struct("BoundedSemaphore")
            .field("permits", &state.permits)
            .field("bound", &self.bound)
            .field("waiters", &state.waiters.len())
            .field("closed", &state.closed)
            .finish()
    }
}
