//! The one implementation behind [`Queue`](super::Queue), [`PriorityQueue`](super::PriorityQueue)
//! and [`LifoQueue`](super::LifoQueue): a [`Core`] generic over its [`Storage`] (a `VecDeque`
//! popped at the front, a `Vec` popped at the back, a `BinaryHeap` of `Reverse` items).
//!
//! # State
//! One `crate::loom::Mutex` guards everything: the stored items, `maxsize`, the count of
//! *unfinished* items (put and not yet marked done), the shut-down flag and three
//! [`WaitList`]s (getters, putters, joiners). Every "check, then wait" is one critical section,
//! so a put cannot fall between a getter finding the queue empty and enqueueing itself. Wakers
//! are collected under the lock and woken (or dropped) after it is released.
//!
//! # Waking, as asyncio does it
//! A put notifies the first waiting getter; a get notifies the first waiting putter. A notified
//! waiter is off the FIFO; at its next poll it re-checks the queue: it takes the item (or the
//! free slot) if one is there, otherwise (another task took it first, as a `try_get` may) it
//! queues again at the back — exactly asyncio's `_wakeup_next` loop. Items are never handed to
//! a particular waiter, so a `PriorityQueue` getter always gets the smallest item present when
//! it runs.
//!
//! # Why no item is stranded
//! Invariant, at every unlock: *if some getter is queued, at least as many getters are notified
//! (and not yet resolved) as there are items*. A getter queues only when the queue is empty; each
//! put adds one item and notifies one queued getter; a notified getter either takes an item, or
//! queues again when there is none; and a notified getter dropped before its next poll passes
//! its notification to the next queued getter if an item is present (cancel safety). So an item
//! never sits in the queue while every getter sleeps. The same argument, with free slots for
//! items, holds for putters of a bounded queue.
//!
//! # Shutdown and join
//! `shutdown` sets the flag and notifies every getter and putter: putters fail with their item,
//! getters take what is left and fail once the queue is empty. `shutdown_immediate` also takes
//! the items out and counts each as done; they are dropped after unlocking (an item's `Drop` may
//! use the queue) and after the wake-ups (a panicking `Drop` must not leave waiters asleep). When the unfinished count reaches zero every joiner is notified; like asyncio's
//! `Event`, a notified joiner completes even if new items arrive before it runs.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use super::error::{PutError, QueueShutDown, TryGetError, TryPutError};
use crate::loom::{lock, Mutex};
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop::poll_proceed;

/// Where a queue keeps its items: the only thing in which the three kinds differ.
pub(crate) trait Storage: Default {
    type Item;
    /// The public type's name, for the messages of its panics.
    const QUEUE_NAME: &'static str;
    fn push(&mut self, item: Self::Item);
    /// Removes the item that `get` returns next.
    fn pop(&mut self) -> Option<Self::Item>;
    fn len(&self) -> usize;
}

/// First in, first out ([`Queue`](super::Queue)).
impl<T> Storage for VecDeque<T> {
    type Item = T;
    const QUEUE_NAME: &'static str = "Queue";
    fn push(&mut self, item: T) {
        self.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.pop_front()
    }
    fn len(&self) -> usize {
        VecDeque::len(self)
    }
}

/// Last in, first out ([`LifoQueue`](super::LifoQueue)).
impl<T> Storage for Vec<T> {
    type Item = T;
    const QUEUE_NAME: &'static str = "LifoQueue";
    fn push(&mut self, item: T) {
        Vec::push(self, item);
    }
    fn pop(&mut self) -> Option<T> {
        Vec::pop(self)
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
}

/// Smallest first ([`PriorityQueue`](super::PriorityQueue)): `BinaryHeap` is a max-heap, so the
/// items are stored reversed.
impl<T: Ord> Storage for BinaryHeap<Reverse<T>> {
    type Item = T;
    const QUEUE_NAME: &'static str = "PriorityQueue";
    fn push(&mut self, item: T) {
        BinaryHeap::push(self, Reverse(item));
    }
    fn pop(&mut self) -> Option<T> {
        BinaryHeap::pop(self).map(|Reverse(item)| item)
    }
    fn len(&self) -> usize {
        BinaryHeap::len(self)
    }
}

struct State<S> {
    items: S,
    /// 0: unbounded.
    maxsize: usize,
    /// Items put and not yet marked done by `task_done` (asyncio's `_unfinished_tasks`).
    unfinished: usize,
    shut_down: bool,
    getters: WaitList,
    putters: WaitList,
    joiners: WaitList,
}

impl<S: Storage> State<S> {
    fn is_full(&self) -> bool {
        self.maxsize > 0 && self.items.len() >= self.maxsize
    }

    /// Stores `item` (the caller checked that there is room) and notifies a getter.
    fn push(&mut self, item: S::Item) -> Option<Waker> {
        self.items.push(item);
        self.unfinished += 1;
        self.getters.notify_front()
    }

    /// Takes the next item and notifies a putter of the slot it frees.
    fn pop(&mut self) -> Option<(S::Item, Option<Waker>)> {
        let item = self.items.pop()?;
        Some((item, self.putters.notify_front()))
    }

    /// Marks every item done: wakes the joiners.
    fn notify_joiners_if_finished(&mut self, wakers: &mut Vec<Waker>) {
        if self.unfinished == 0 {
            self.joiners.notify_all(wakers);
        }
    }
}

/// The shared state of a queue of any kind.
pub(crate) struct Core<S> {
    state: Mutex<State<S>>,
}

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<S: Storage> Core<S> {
    pub(crate) fn new(maxsize: usize) -> Core<S> {
        Core {
            state: Mutex::new(State {
                items: S::default(),
                maxsize,
                unfinished: 0,
                shut_down: false,
                getters: WaitList::new(),
                putters: WaitList::new(),
                joiners: WaitList::new(),
            }),
        }
    }

    pub(crate) fn try_put(&self, item: S::Item) -> Result<(), TryPutError<S::Item>> {
        let mut state = lock(&self.state);
        if state.shut_down {
            return Err(TryPutError::ShutDown(item));
        }
        if state.is_full() {
            return Err(TryPutError::Full(item));
        }
        let getter = state.push(item);
        drop(state);
        wake(getter);
        Ok(())
    }

    pub(crate) fn try_get(&self) -> Result<S::Item, TryGetError> {
        let mut state = lock(&self.state);
        match state.pop() {
            Some((item, putter)) => {
                drop(state);
                wake(putter);
                Ok(item)
            }
            None if state.shut_down => Err(TryGetError::ShutDown),
            None => Err(TryGetError::Empty),
        }
    }

    pub(crate) fn put(&self, item: S::Item) -> Put<'_, S> {
        Put {
            core: self,
            item: Some(item),
            waiter: None,
        }
    }

    pub(crate) fn get(&self) -> Get<'_, S> {
        Get {
            core: self,
            waiter: None,
        }
    }

    pub(crate) fn join(&self) -> Join<'_, S> {
        Join {
            core: self,
            waiter: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.state).items.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        lock(&self.state).is_full()
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        match lock(&self.state).maxsize {
            0 => None,
            maxsize => Some(maxsize),
        }
    }

    pub(crate) fn task_done(&self) {
        let mut state = lock(&self.state);
        if state.unfinished == 0 {
            drop(state);
            panic!(
                "`{}::task_done` called more times than there were items put; call it once for \
                 each item taken with `get`, when its processing is finished",
                S::QUEUE_NAME
            );
        }
        state.unfinished -= 1;
        let mut wakers = Vec::new();
        state.notify_joiners_if_finished(&mut wakers);
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
    }

    pub(crate) fn shutdown(&self) {
        let mut wakers = Vec::new();
        let mut state = lock(&self.state);
        state.shut_down = true;
        state.getters.notify_all(&mut wakers);
        state.putters.notify_all(&mut wakers);
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
    }

    pub(crate) fn shutdown_immediate(&self) {
        let mut wakers = Vec::new();
        let mut state = lock(&self.state);
        state.shut_down = true;
        let discarded = std::mem::take(&mut state.items);
        // Saturating, as asyncio's `if self._unfinished_tasks > 0`: `task_done` may have been
        // called early for items still queued.
        state.unfinished = state.unfinished.saturating_sub(discarded.len());
        state.notify_joiners_if_finished(&mut wakers);
        state.getters.notify_all(&mut wakers);
        state.putters.notify_all(&mut wakers);
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
        // The items' destructors run after unlocking (they may use the queue) and after the
        // wake-ups (a panicking destructor must not leave the waiters asleep).
        drop(discarded);
    }
}

impl<S: Storage> fmt::Debug for Core<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct(S::QUEUE_NAME)
            .field("len", &state.items.len())
            .field("maxsize", &state.maxsize)
            .field("unfinished", &state.unfinished)
            .field("shut_down", &state.shut_down)
            .field("getters", &state.getters.len())
            .field("putters", &state.putters.len())
            .finish()
    }
}

/// Takes `key` out of `list` if its waiter was notified (it is then no longer queued) and returns
/// the waker to drop after unlocking; `Err` with the same if it still waits, after updating its
/// waker.
fn take_notification(
    list: &mut WaitList,
    key: WaiterKey,
    waker: &Waker,
) -> Result<Option<Waker>, Option<Waker>> {
    if list.is_notified(key) {
        Ok(list.remove(key).1)
    } else {
        Err(list.update_waker(key, waker))
    }
}

/// The future of `put`.
pub(crate) struct Put<'a, S: Storage> {
    core: &'a Core<S>,
    /// `None` once the future completed.
    item: Option<S::Item>,
    /// Set while the future is in the putters' list (queued or notified).
    waiter: Option<WaiterKey>,
}

// The item is moved out by value, never pinned: the future may move freely.
impl<S: Storage> Unpin for Put<'_, S> {}

impl<S: Storage> Future for Put<'_, S> {
    type Output = Result<(), PutError<S::Item>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        ready!(poll_proceed(cx));
        let this = self.get_mut();
        let Some(item) = this.item.take() else {
            panic!("`{}::put` future polled after completion", S::QUEUE_NAME)
        };
        let mut state = lock(&this.core.state);
        let mut stale_waker = None;
        if let Some(key) = this.waiter {
            match take_notification(&mut state.putters, key, cx.waker()) {
                Ok(waker) => {
                    this.waiter = None;
                    stale_waker = waker;
                }
                Err(waker) => {
                    this.item = Some(item);
                    drop(state);
                    drop(waker);
                    return Poll::Pending;
                }
            }
        }
        if state.shut_down {
            drop(state);
            return Poll::Ready(Err(PutError(item)));
        }
        if state.is_full() {
            this.item = Some(item);
            this.waiter = Some(state.putters.push_back(0, cx.waker().clone()));
            drop(state);
            drop(stale_waker);
            return Poll::Pending;
        }
        let getter = state.push(item);
        drop(state);
        drop(stale_waker);
        wake(getter);
        Poll::Ready(Ok(()))
    }
}

impl<S: Storage> Drop for Put<'_, S> {
    fn drop(&mut self) {
        let Some(key) = self.waiter else { return };
        let mut state = lock(&self.core.state);
        let (notified, waker) = state.putters.remove(key);
        // Notified of a free slot it will not use: the next putter gets the notification.
        let next = if notified && !state.is_full() {
            state.putters.notify_front()
        } else {
            None
        };
        drop(state);
        drop(waker);
        wake(next);
    }
}

/// The future of `get`.
pub(crate) struct Get<'a, S: Storage> {
    core: &'a Core<S>,
    /// Set while the future is in the getters' list (queued or notified).
    waiter: Option<WaiterKey>,
}

impl<S: Storage> Future for Get<'_, S> {
    type Output = Result<S::Item, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        ready!(poll_proceed(cx));
        let core = self.core;
        let mut state = lock(&core.state);
        let mut stale_waker = None;
        if let Some(key) = self.waiter {
            match take_notification(&mut state.getters, key, cx.waker()) {
                Ok(waker) => {
                    self.waiter = None;
                    stale_waker = waker;
                }
                Err(waker) => {
                    drop(state);
                    drop(waker);
                    return Poll::Pending;
                }
            }
        }
        let (result, putter) = match state.pop() {
            Some((item, putter)) => (Poll::Ready(Ok(item)), putter),
            None if state.shut_down => (Poll::Ready(Err(QueueShutDown)), None),
            None => {
                self.waiter = Some(state.getters.push_back(0, cx.waker().clone()));
                (Poll::Pending, None)
            }
        };
        drop(state);
        drop(stale_waker);
        wake(putter);
        result
    }
}

impl<S: Storage> Drop for Get<'_, S> {
    fn drop(&mut self) {
        let Some(key) = self.waiter else { return };
        let mut state = lock(&self.core.state);
        let (notified, waker) = state.getters.remove(key);
        // Notified of an item it will not take: the next getter gets the notification.
        let next = if notified && state.items.len() > 0 {
            state.getters.notify_front()
        } else {
            None
        };
        drop(state);
        drop(waker);
        wake(next);
    }
}

/// The future of `join`.
pub(crate) struct Join<'a, S: Storage> {
    core: &'a Core<S>,
    /// Set while the future is in the joiners' list (queued or notified).
    waiter: Option<WaiterKey>,
}

impl<S: Storage> Future for Join<'_, S> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        ready!(poll_proceed(cx));
        let core = self.core;
        let mut state = lock(&core.state);
        if let Some(key) = self.waiter {
            return match take_notification(&mut state.joiners, key, cx.waker()) {
                Ok(waker) => {
                    self.waiter = None;
                    drop(state);
                    drop(waker);
                    Poll::Ready(())
                }
                Err(waker) => {
                    drop(state);
                    drop(waker);
                    Poll::Pending
                }
            };
        }
        if state.unfinished == 0 {
            return Poll::Ready(());
        }
        self.waiter = Some(state.joiners.push_back(0, cx.waker().clone()));
        Poll::Pending
    }
}

impl<S: Storage> Drop for Join<'_, S> {
    fn drop(&mut self) {
        let Some(key) = self.waiter else { return };
        // Every joiner is notified at once when the count reaches zero: there is nothing to pass
        // on, only the slot to free.
        let waker = lock(&self.core.state).joiners.remove(key).1;
        drop(waker);
    }
}
