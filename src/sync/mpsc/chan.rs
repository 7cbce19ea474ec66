//! The shared core of the bounded and unbounded channels: one queue, its accounting and its
//! waiters, behind one lock. See the module documentation of `mpsc` for the invariants.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicUsize, Ordering, SpinGuard, SpinLock};
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop::poll_proceed;

/// Initial queue allocation of a bounded channel, at most: large bounds grow on demand instead
/// of reserving memory for messages that may never be sent.
const INITIAL_QUEUE_CAPACITY: usize = 1024;

pub(super) struct Chan<T> {
    state: SpinLock<State<T>>,
    /// Messages in flight at most: queued messages plus reserved slots. `usize::MAX` for the
    /// unbounded channel, which then never runs out.
    bound: usize,
    /// Live sender handles (bounded or unbounded, not weak). The receiver sees the end of the
    /// stream once it reaches zero and the queue is drained.
    tx_count: AtomicUsize,
}

struct State<T> {
    queue: VecDeque<T>,
    /// Slots held outside the queue: by live permits, and by send/reserve waiters that were
    /// notified but have not run yet (each notified waiter holds exactly one).
    reserved: usize,
    /// Live `Permit`/`OwnedPermit` values: they may still send after the receiver closed, so the
    /// receiver reports the end only once they are gone.
    permits: usize,
    /// Senders waiting for a slot, FIFO. Invariant: while it is not empty the channel is full
    /// (`queue.len() + reserved == bound`), because every freed slot goes to its head.
    send_waiters: WaitList,
    /// Senders waiting in `closed()`.
    closed_waiters: WaitList,
    /// The receiver's task, parked in `recv`.
    rx_waker: Option<Waker>,
    /// The receiver closed or was dropped: sending fails from now on.
    rx_closed: bool,
    /// The receiver was dropped: messages sent through outstanding permits are dropped at once.
    rx_dropped: bool,
    /// Every sender was dropped: once the queue is drained, `recv` returns `None`.
    tx_closed: bool,
}

impl<T> Chan<T> {
    pub(super) fn new(bound: usize) -> Chan<T> {
        Chan {
            state: SpinLock::new(State {
                queue: VecDeque::with_capacity(bound.min(INITIAL_QUEUE_CAPACITY)),
                reserved: 0,
                permits: 0,
                send_waiters: WaitList::new(),
                closed_waiters: WaitList::new(),
                rx_waker: None,
                rx_closed: false,
                rx_dropped: false,
                tx_closed: false,
            }),
            bound,
            tx_count: AtomicUsize::new(1),
        }
    }

    fn lock(&self) -> SpinGuard<'_, State<T>> {
        self.state.lock()
    }

    pub(super) fn bound(&self) -> usize {
        self.bound
    }

    // ---- sender handles ------------------------------------------------------------------

    pub(super) fn add_sender(&self) {
        // Relaxed: a handle is cloned from a live one, which keeps the count above zero; the
        // count publishes no data (as `Arc::clone`).
        self.tx_count.fetch_add(1, Ordering::Relaxed);
    }

    /// Turns a weak handle into a strong one unless every sender is gone already.
    pub(super) fn try_add_sender(&self) -> bool {
        let mut count = self.tx_count.load(Ordering::SeqCst);
        while count != 0 {
            match self
                .tx_count
                .compare_exchange_weak(count, count + 1, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return true,
                Err(actual) => count = actual,
            }
        }
        false
    }

    pub(super) fn drop_sender(&self) {
        if self.tx_count.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        let mut state = self.lock();
        state.tx_closed = true;
        let waker = state.rx_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(super) fn sender_count(&self) -> usize {
        self.tx_count.load(Ordering::SeqCst)
    }

    // ---- sending -------------------------------------------------------------------------

    /// Sends without waiting: `Err((value, true))` when closed, `Err((value, false))` when full
    /// (or when earlier senders wait for the next slot: they go first).
    pub(super) fn try_send(&self, value: T) -> Result<(), (T, bool)> {
        let mut state = self.lock();
        if state.rx_closed {
            return Err((value, true));
        }
        if !state.send_waiters.is_empty() || state.queue.len() + state.reserved >= self.bound {
            return Err((value, false));
        }
        state.queue.push_back(value);
        let waker = state.rx_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Takes a free slot as a permit without waiting.
    pub(super) fn try_reserve(&self) -> Result<(), bool> {
        let mut state = self.lock();
        if state.rx_closed {
            return Err(true);
        }
        if !state.send_waiters.is_empty() || state.queue.len() + state.reserved >= self.bound {
            return Err(false);
        }
        state.reserved += 1;
        state.permits += 1;
        Ok(())
    }

    /// Sends through a permit (its slot is already counted in `reserved`). Returns the value if
    /// the receiver is gone, for the caller to drop outside the lock.
    pub(super) fn send_with_permit(&self, value: T) -> Option<T> {
        let mut state = self.lock();
        state.permits -= 1;
        state.reserved -= 1;
        if state.rx_dropped {
            return Some(value);
        }
        state.queue.push_back(value);
        let waker = state.rx_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        None
    }

    /// Gives an unused permit's slot back.
    pub(super) fn release_permit(&self) {
        let mut state = self.lock();
        state.permits -= 1;
        let next_sender = self.release_slot(&mut state);
        // The receiver of a closed channel waits for the last permit before reporting the end.
        let receiver = if state.rx_closed && state.permits == 0 {
            state.rx_waker.take()
        } else {
            None
        };
        drop(state);
        for waker in [next_sender, receiver].into_iter().flatten() {
            waker.wake();
        }
    }

    /// Frees one reserved slot and hands it to the first waiting sender, if any. Returns that
    /// sender's waker, to wake after unlocking.
    fn release_slot(&self, state: &mut State<T>) -> Option<Waker> {
        state.reserved -= 1;
        self.hand_free_slot(state)
    }

    /// Hands one free slot, if there is one, to the first waiting sender.
    fn hand_free_slot(&self, state: &mut State<T>) -> Option<Waker> {
        if state.send_waiters.is_empty()
            || state.rx_closed
            || state.queue.len() + state.reserved >= self.bound
        {
            return None;
        }
        state.reserved += 1;
        state.send_waiters.notify_front()
    }

    /// Sends on the unbounded channel: never waits.
    pub(super) fn send_unbounded(&self, value: T) -> Result<(), T> {
        let mut state = self.lock();
        if state.rx_closed {
            return Err(value);
        }
        state.queue.push_back(value);
        let waker = state.rx_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Free slots right now.
    pub(super) fn capacity(&self) -> usize {
        let state = self.lock();
        if state.rx_closed {
            return 0;
        }
        self.bound.saturating_sub(state.queue.len() + state.reserved)
    }

    pub(super) fn is_closed(&self) -> bool {
        self.lock().rx_closed
    }

    // ---- receiving -----------------------------------------------------------------------

    /// Whether the receiver has seen the last message: nothing queued and nothing can be sent
    /// any more (every sender dropped, or the receiver closed and no permit is left).
    fn is_finished(state: &State<T>) -> bool {
        state.queue.is_empty() && (state.tx_closed || (state.rx_closed && state.permits == 0))
    }

    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = self.lock();
        if let Some(value) = state.queue.pop_front() {
            let next_sender = self.hand_free_slot(&mut state);
            drop(state);
            if let Some(waker) = next_sender {
                waker.wake();
            }
            return Poll::Ready(Some(value));
        }
        if Self::is_finished(&state) {
            return Poll::Ready(None);
        }
        let old = replace_waker(&mut state.rx_waker, cx.waker());
        drop(state);
        drop(old);
        Poll::Pending
    }

    /// Moves up to `limit` messages into `buffer` under one lock; returns how many.
    pub(super) fn poll_recv_many(
        &self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = self.lock();
        if !state.queue.is_empty() {
            let count = limit.min(state.queue.len());
            buffer.reserve(count);
            buffer.extend(state.queue.drain(..count));
            let mut next_senders = Vec::new();
            while let Some(waker) = self.hand_free_slot(&mut state) {
                next_senders.push(waker);
            }
            drop(state);
            next_senders.into_iter().for_each(Waker::wake);
            return Poll::Ready(count);
        }
        if Self::is_finished(&state) {
            return Poll::Ready(0);
        }
        let old = replace_waker(&mut state.rx_waker, cx.waker());
        drop(state);
        drop(old);
        Poll::Pending
    }

    /// `Err(true)`: disconnected; `Err(false)`: empty.
    pub(super) fn try_recv(&self) -> Result<T, bool> {
        let mut state = self.lock();
        if let Some(value) = state.queue.pop_front() {
            let next_sender = self.hand_free_slot(&mut state);
            drop(state);
            if let Some(waker) = next_sender {
                waker.wake();
            }
            return Ok(value);
        }
        Err(Self::is_finished(&state))
    }

    pub(super) fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// Closes the channel from the receiving side: sending fails from now on, and every waiting
    /// sender is woken (to fail). With `dropped`, the queued messages are dropped too.
    pub(super) fn close_rx(&self, dropped: bool) {
        let mut state = self.lock();
        let mut wakers = Vec::new();
        if !state.rx_closed {
            state.rx_closed = true;
            // Each notified waiter holds one slot (it gives it back when it runs or is dropped),
            // whether it was notified for a slot or, as here, for the close.
            while !state.send_waiters.is_empty() {
                state.reserved += 1;
                wakers.extend(state.send_waiters.notify_front());
            }
            state.closed_waiters.notify_all(&mut wakers);
        }
        let (messages, rx_waker) = if dropped {
            state.rx_dropped = true;
            (std::mem::take(&mut state.queue), state.rx_waker.take())
        } else {
            (VecDeque::new(), None)
        };
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
        drop(rx_waker);
        drop(messages);
    }

    // ---- waiting for the close -----------------------------------------------------------

    fn poll_closed(&self, waiter: &mut Option<WaiterKey>, cx: &mut Context<'_>) -> Poll<()> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = self.lock();
        if state.rx_closed {
            let old = waiter.take().and_then(|key| state.closed_waiters.remove(key).1);
            drop(state);
            drop(old);
            return Poll::Ready(());
        }
        let old = match *waiter {
            Some(key) => state.closed_waiters.update_waker(key, cx.waker()),
            None => {
                *waiter = Some(state.closed_waiters.push_back(0, cx.waker().clone()));
                None
            }
        };
        drop(state);
        drop(old);
        Poll::Pending
    }

    fn cancel_closed(&self, key: WaiterKey) {
        let old = self.lock().closed_waiters.remove(key).1;
        drop(old);
    }

    /// Waits until the receiver is closed or dropped.
    pub(super) async fn closed(&self) {
        WaitClosed {
            chan: self,
            waiter: None,
        }
        .await
    }

    // ---- waiting for a slot --------------------------------------------------------------

    /// Waits for a slot; on success the slot is consumed by sending `value`, or, without a
    /// value, kept as a permit. Hands the value back if the receiver closed.
    pub(super) async fn acquire(&self, value: Option<T>) -> Result<(), Option<T>> {
        Acquire {
            chan: self,
            waiter: None,
            value,
        }
        .await
    }
}

fn replace_waker(slot: &mut Option<Waker>, waker: &Waker) -> Option<Waker> {
    match slot {
        Some(current) if current.will_wake(waker) => None,
        _ => slot.replace(waker.clone()),
    }
}

/// A sender waiting for a slot (`send`, `reserve`). Cancel-safe: dropped while queued, it
/// unlinks itself; dropped after being handed a slot, it passes the slot to the next waiter.
struct Acquire<'a, T> {
    chan: &'a Chan<T>,
    waiter: Option<WaiterKey>,
    /// The message to send once a slot is free; `None` to keep the slot as a permit.
    value: Option<T>,
}

// The message is moved, never pinned: the future may move freely whatever `T` is.
impl<T> Unpin for Acquire<'_, T> {}

impl<T> Future for Acquire<'_, T> {
    type Output = Result<(), Option<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = self.get_mut();
        let chan = this.chan;
        let mut state = chan.lock();
        let mut old_waker = None;
        let got_slot = match this.waiter {
            Some(key) if state.send_waiters.is_notified(key) => {
                // Notified: we hold one reserved slot (handed to us, or counted for the close).
                old_waker = state.send_waiters.remove(key).1;
                this.waiter = None;
                true
            }
            Some(key) => {
                old_waker = state.send_waiters.update_waker(key, cx.waker());
                false
            }
            None if state.rx_closed => {
                drop(state);
                return Poll::Ready(Err(this.value.take()));
            }
            None if state.send_waiters.is_empty() && state.queue.len() + state.reserved < chan.bound => {
                state.reserved += 1;
                true
            }
            None => {
                this.waiter = Some(state.send_waiters.push_back(1, cx.waker().clone()));
                false
            }
        };
        if !got_slot {
            drop(state);
            drop(old_waker);
            return Poll::Pending;
        }
        // We hold one reserved slot.
        let mut rx_waker = None;
        let result = if state.rx_closed {
            // Closed after the slot was handed over: nothing may be sent; no sender waits any
            // more (the close woke them all), so the slot just goes.
            state.reserved -= 1;
            Err(this.value.take())
        } else {
            match this.value.take() {
                Some(value) => {
                    state.reserved -= 1;
                    state.queue.push_back(value);
                    rx_waker = state.rx_waker.take();
                }
                None => state.permits += 1,
            }
            Ok(())
        };
        drop(state);
        drop(old_waker);
        if let Some(waker) = rx_waker {
            waker.wake();
        }
        Poll::Ready(result)
    }
}

impl<T> Drop for Acquire<'_, T> {
    fn drop(&mut self) {
        let Some(key) = self.waiter.take() else { return };
        let mut state = self.chan.lock();
        let (notified, old_waker) = state.send_waiters.remove(key);
        // Handed a slot that we will never use: it goes to the next waiter.
        let next_sender = if notified {
            self.chan.release_slot(&mut state)
        } else {
            None
        };
        drop(state);
        drop(old_waker);
        if let Some(waker) = next_sender {
            waker.wake();
        }
    }
}

/// A sender waiting for the receiver to close. Cancel-safe: it unlinks itself on drop.
struct WaitClosed<'a, T> {
    chan: &'a Chan<T>,
    waiter: Option<WaiterKey>,
}

impl<T> Future for WaitClosed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.chan.poll_closed(&mut this.waiter, cx)
    }
}

impl<T> Drop for WaitClosed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            self.chan.cancel_closed(key);
        }
    }
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Chan")
            .field("queued", &state.queue.len())
            .field("bound", &self.bound)
            .field("reserved", &state.reserved)
            .field("waiting_senders", &state.send_waiters.len())
            .field("rx_closed", &state.rx_closed)
            .field("tx_closed", &state.tx_closed)
            .finish()
    }
}
