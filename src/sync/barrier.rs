//! [`Barrier`]: `parties` tasks wait for each other (asyncio's `Barrier`).
//!
//! # Algorithm
//!
//! One `Mutex` guards the state: the FIFO of the tasks waiting in the current round (the shared
//! `WaitList`, in arrival order), a side slab holding each waiter's *outcome*, and the broken
//! flag. The `WaitList` node's `request` field holds the key of the waiter's outcome record, so
//! that whoever ends the round can fill in the outcome of the waiter it notifies.
//!
//! - A task arriving when `parties - 1` tasks wait is the round's *leader*: under the lock it
//!   notifies every queued waiter in FIFO order, giving them the indices `0..parties - 1` in
//!   arrival order, takes `parties - 1` itself, and returns without waiting. The next round
//!   starts empty at once: released waiters carry their outcome in their record, so there is
//!   no "draining" phase during which new arrivals must be held back.
//! - Any other task enqueues and waits for its outcome.
//! - A waiter dropped before its round completes unlinks itself: it leaves the round, which
//!   then needs another party. Indices are handed out when the round completes, not on
//!   arrival, so they stay distinct and dense (`0..parties`) even when a waiter leaves.
//! - `abort` marks the barrier broken and fails every queued waiter; while broken, `wait`
//!   fails at once. `reset` fails every queued waiter and clears the broken mark.
//!
//! # Invariants
//! - At most `parties - 1` tasks are queued: the arrival that would make `parties` ends the
//!   round instead of enqueueing.
//! - While the barrier is broken nobody is queued.
//! - Wakers are woken, and stale ones dropped, only after the lock is released.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::loom::{lock, Mutex, MutexGuard};
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop;

/// Lets `parties` tasks wait until all of them have reached the same point: asyncio's
/// `Barrier`.
///
/// Each [`wait().await`](Barrier::wait) blocks until `parties` tasks are waiting; then all of
/// them are released together with distinct indices `0..parties` (in arrival order), and
/// exactly one of them, the last to arrive, is the leader. The barrier is then ready for the
/// next round. [`abort`](Barrier::abort) breaks it: waiting and future tasks get
/// [`BrokenBarrierError`] until [`reset`](Barrier::reset). It is `Send + Sync`; share it
/// through an `Arc`.
///
/// Waiting is cancel-safe: a task whose `wait` future is dropped before the round completes
/// leaves the barrier, and the round waits for another party.
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::Barrier;
///
/// corio::run(async {
///     let barrier = Arc::new(Barrier::new(3));
///     let tasks: Vec<_> = (0..3)
///         .map(|_| {
///             let barrier = barrier.clone();
///             corio::spawn(async move { barrier.wait().await.unwrap() })
///         })
///         .collect();
///     let mut leaders = 0;
///     for task in tasks {
///         leaders += task.await.unwrap().is_leader() as usize;
///     }
///     assert_eq!(leaders, 1);
/// });
/// ```
pub struct Barrier {
    parties: usize,
    state: Mutex<State>,
}

struct State {
    /// The tasks waiting in the current round, in arrival order; each node's `request` is the
    /// key of its record in `outcomes`.
    waiters: WaitList,
    /// The outcome of each queued or released waiter: `None` while it waits.
    outcomes: Slab<Option<Result<BarrierWaitResult, BrokenBarrierError>>>,
    broken: bool,
}

impl State {
    /// Notifies every queued waiter with the outcome `outcome(index)`, index counting from 0 in
    /// arrival order; returns their wakers, to wake after the lock is released.
    fn release_all(
        &mut self,
        mut outcome: impl FnMut(usize) -> Result<BarrierWaitResult, BrokenBarrierError>,
    ) -> Vec<Waker> {
        let mut wakers = Vec::with_capacity(self.waiters.len());
        let mut index = 0;
        while let Some(record) = self.waiters.front_request() {
            self.outcomes[record] = Some(outcome(index));
            index += 1;
            if let Some(waker) = self.waiters.notify_front() {
                wakers.push(waker);
            }
        }
        wakers
    }
}

impl Barrier {
    /// Creates a barrier that releases its waiters once `parties` tasks wait.
    ///
    /// # Panics
    /// If `parties` is 0: no round could ever complete.
    ///
    /// ```
    /// let barrier = corio::sync::Barrier::new(4);
    /// assert_eq!(barrier.parties(), 4);
    /// ```
    #[track_caller]
    pub fn new(parties: usize) -> Barrier {
        assert!(
            parties > 0,
            "`Barrier::new(0)`: a barrier needs at least one party; pass the number of tasks that \
             wait for each other (>= 1)"
        );
        Barrier {
            parties,
            state: Mutex::new(State {
                waiters: WaitList::new(),
                outcomes: Slab::new(),
                broken: false,
            }),
        }
    }

    /// Waits until `parties` tasks wait on the barrier, then returns this task's
    /// [`BarrierWaitResult`]; fails with [`BrokenBarrierError`] if the barrier is broken now, or
    /// is aborted or reset while this task waits.
    ///
    /// Cancel-safe: dropping the future before the round completes takes this task out of the
    /// round ([`n_waiting`](Barrier::n_waiting) goes back down).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     let barrier = Arc::new(Barrier::new(2));
    ///     let other = {
    ///         let barrier = barrier.clone();
    ///         corio::spawn(async move { barrier.wait().await.unwrap().index() })
    ///     };
    ///     let mine = barrier.wait().await.unwrap().index();
    ///     let theirs = other.await.unwrap();
    ///     assert_eq!(mine + theirs, 1); // indices 0 and 1, in arrival order
    /// });
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            state: WaitState::Init,
        }
    }

    /// Breaks the barrier: every waiting task, and every task that waits later, gets
    /// [`BrokenBarrierError`] until [`reset`](Barrier::reset) is called.
    ///
    /// ```
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     let barrier = Barrier::new(2);
    ///     barrier.abort();
    ///     assert!(barrier.is_broken());
    ///     assert!(barrier.wait().await.is_err());
    /// });
    /// ```
    pub fn abort(&self) {
        let wakers = {
            let mut state = self.lock_state();
            state.broken = true;
            state.release_all(|_| Err(BrokenBarrierError { _private: () }))
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Returns the barrier to its initial, empty state: tasks waiting now get
    /// [`BrokenBarrierError`] (as asyncio's `reset` does), and a broken barrier works again.
    ///
    /// ```
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     let barrier = Barrier::new(1);
    ///     barrier.abort();
    ///     barrier.reset();
    ///     assert!(!barrier.is_broken());
    ///     assert!(barrier.wait().await.unwrap().is_leader());
    /// });
    /// ```
    pub fn reset(&self) {
        let wakers = {
            let mut state = self.lock_state();
            state.broken = false;
            state.release_all(|_| Err(BrokenBarrierError { _private: () }))
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// The number of tasks a round needs.
    ///
    /// ```
    /// assert_eq!(corio::sync::Barrier::new(3).parties(), 3);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of tasks waiting in the current round.
    ///
    /// ```
    /// use std::pin::pin;
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     let barrier = Barrier::new(2);
    ///     let mut first = pin!(barrier.wait());
    ///     // Poll once, without waiting: the task joins the round.
    ///     assert!(futures::poll!(first.as_mut()).is_pending());
    ///     assert_eq!(barrier.n_waiting(), 1);
    ///     let second = barrier.wait().await.unwrap(); // completes the round
    ///     assert_eq!(barrier.n_waiting(), 0);
    ///     assert!(second.is_leader());
    /// });
    /// ```
    pub fn n_waiting(&self) -> usize {
        self.lock_state().waiters.len()
    }

    /// Whether the barrier is broken (by [`abort`](Barrier::abort), until
    /// [`reset`](Barrier::reset)).
    ///
    /// ```
    /// let barrier = corio::sync::Barrier::new(2);
    /// assert!(!barrier.is_broken());
    /// barrier.abort();
    /// assert!(barrier.is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        self.lock_state().broken
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock_state();
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &state.waiters.len())
            .field("broken", &state.broken)
            .finish()
    }
}

/// What [`Barrier::wait`] returns to each task of a completed round.
///
/// ```
/// use corio::sync::Barrier;
///
/// corio::run(async {
///     let result = Barrier::new(1).wait().await.unwrap();
///     assert_eq!(result.index(), 0);
///     assert!(result.is_leader());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    index: usize,
    is_leader: bool,
}

impl BarrierWaitResult {
    /// This task's index in its round: distinct for each task of the round, in `0..parties`,
    /// in arrival order.
    ///
    /// ```
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     assert_eq!(Barrier::new(1).wait().await.unwrap().index(), 0);
    /// });
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// Whether this task is the round's leader: exactly one task per round is, the last to
    /// arrive (index `parties - 1`).
    ///
    /// ```
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     assert!(Barrier::new(1).wait().await.unwrap().is_leader());
    /// });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.is_leader
    }
}

/// The error of [`Barrier::wait`] when the barrier is broken ([`Barrier::abort`]) or reset
/// ([`Barrier::reset`]) while the task waits: asyncio's `BrokenBarrierError`.
///
/// ```
/// use corio::sync::{Barrier, BrokenBarrierError};
///
/// corio::run(async {
///     let barrier = Barrier::new(2);
///     barrier.abort();
///     let error: BrokenBarrierError = barrier.wait().await.unwrap_err();
///     assert_eq!(error.to_string(), "barrier is broken: it was aborted or reset");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBarrierError {
    _private: (),
}

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("barrier is broken: it was aborted or reset")
    }
}

impl Error for BrokenBarrierError {}

/// The future returned by [`Barrier::wait`].
///
/// ```
/// use corio::sync::{Barrier, BarrierWait};
///
/// corio::run(async {
///     let barrier = Barrier::new(1);
///     let wait: BarrierWait<'_> = barrier.wait();
///     assert!(wait.await.is_ok());
/// });
/// ```
#[must_use = "futures do nothing unless polled; `.await` it"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    state: WaitState,
}

#[derive(Debug, Clone, Copy)]
enum WaitState {
    /// Not yet arrived.
    Init,
    /// Queued under `key`, with its outcome record under `record`.
    Waiting { key: WaiterKey, record: usize },
    /// Returned its outcome.
    Done,
}

impl Future for BarrierWait<'_> {
    type Output = Result<BarrierWaitResult, BrokenBarrierError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        std::task::ready!(coop::poll_proceed(cx));
        let this = self.get_mut();
        let barrier = this.barrier;
        match this.state {
            WaitState::Done => panic!("`BarrierWait` polled after it completed; call `Barrier::wait` again"),
            WaitState::Init => {
                let mut state = barrier.lock_state();
                if state.broken {
                    this.state = WaitState::Done;
                    return Poll::Ready(Err(BrokenBarrierError { _private: () }));
                }
                let index = state.waiters.len();
                if index + 1 == barrier.parties {
                    let wakers = state.release_all(|index| {
                        Ok(BarrierWaitResult {
                            index,
                            is_leader: false,
                        })
                    });
                    drop(state);
                    for waker in wakers {
                        waker.wake();
                    }
                    this.state = WaitState::Done;
                    return Poll::Ready(Ok(BarrierWaitResult {
                        index,
                        is_leader: true,
                    }));
                }
                let record = state.outcomes.insert(None);
                let key = state.waiters.push_back(record, cx.waker().clone());
                this.state = WaitState::Waiting { key, record };
                Poll::Pending
            }
            WaitState::Waiting { key, record } => {
                let mut state = barrier.lock_state();
                if state.waiters.is_notified(key) {
                    let (_, stale) = state.waiters.remove(key);
                    let outcome = state
                        .outcomes
                        .remove(record)
                        .expect("a notified waiter has its outcome");
                    drop(state);
                    drop(stale);
                    this.state = WaitState::Done;
                    return Poll::Ready(outcome);
                }
                let stale = state.waiters.update_waker(key, cx.waker());
                drop(state);
                drop(stale);
                Poll::Pending
            }
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let WaitState::Waiting { key, record } = self.state {
            // Queued: leave the round. Released: the round completed without us seeing it;
            // the others' outcomes do not depend on ours, so there is nothing to hand back.
            let mut state = self.barrier.lock_state();
            let (_, own_waker) = state.waiters.remove(key);
            state.outcomes.remove(record);
            drop(state);
            drop(own_waker);
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
