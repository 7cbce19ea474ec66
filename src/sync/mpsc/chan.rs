//! The shared core of the bounded and unbounded channels: a lock-free message queue, slot
//! counters split between the senders' and the receiver's cache lines, a FIFO of senders
//! waiting for a slot, and the parked receiver's waker. See the module documentation of `mpsc`
//! for the algorithm and its invariants.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use concurrent_queue::{ConcurrentQueue, PushError};
use crossbeam_utils::CachePadded;

use super::receiver_waker::ReceiverWaker;
use crate::loom::{fence, AtomicBool, AtomicUsize, Ordering, SpinLock};
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop::poll_proceed;

/// Bit 0 of `taken`: the receiver closed or was dropped. Set once, never cleared; no slot is
/// taken after it (every take is a compare-and-swap of `taken`).
const CLOSED: usize = 1;
/// One slot in `taken` and `released`, which count above the flag bit. Both counters wrap
/// together; only their difference means anything.
const ONE_SLOT: usize = 2;

/// The largest bound: slots in use, times `ONE_SLOT`, stay below half the counter range, so
/// that a difference read from a stale `taken` shows as negative. Also the bound of the
/// unbounded channel, which counts its messages the same way but can never fill up (each one
/// takes memory).
pub(super) const MAX_BOUND: usize = usize::MAX / 8;

/// Bounded channels up to this capacity keep their messages in one array allocated up front
/// (a push is one compare-and-swap and no allocation); larger ones, and the unbounded channel,
/// in a linked list of small blocks that grows with the messages actually queued. 1,024 slots
/// of a word each is what the channel reserved before it had a lock-free queue.
const ARRAY_QUEUE_MAX: usize = 1024;

pub(super) struct Chan<T> {
    /// The queued messages, in the order their pushes completed. Only the receiver pops, except
    /// that whoever sees the receiver dropped drains what is left (the queue allows any number
    /// of consumers, so the two may overlap).
    queue: ConcurrentQueue<T>,
    /// What the senders write on every send.
    senders: CachePadded<SenderSide>,
    /// Slots ever given back, × `ONE_SLOT`: by the receiver after each pop (mostly), by permits
    /// dropped unused and by waiters that give up a slot they were served.
    released: CachePadded<AtomicUsize>,
    /// Senders waiting for a slot.
    waiters: CachePadded<Waiters>,
    bound: usize,
    receiver: ReceiverWaker,
    /// Live sender handles (bounded or unbounded, not weak).
    tx_count: AtomicUsize,
    /// Every sender was dropped: once the queue is drained, `recv` returns `None`.
    tx_closed: AtomicBool,
    /// The receiver was dropped: a message pushed from now on is dropped by its sender.
    rx_dropped: AtomicBool,
    /// Senders waiting in `closed()`.
    closed_waiters: SpinLock<WaitList>,
}

/// The senders' cache line.
struct SenderSide {
    /// Slots ever taken, × `ONE_SLOT`, `| CLOSED`. A sender takes a slot before it pushes, the
    /// receiver gives it back after it pops: `taken - released` is the slots in use (queued,
    /// in flight, held by permits or served to waiters) and never exceeds the bound.
    taken: AtomicUsize,
    /// A value `released` had: a lower bound of it, so a sender that finds room by it has room.
    /// Senders read the receiver's line only when this copy says full.
    released_seen: AtomicUsize,
}

/// The FIFO of senders waiting for a slot, with the flag that sends every release to it and
/// the count of served tickets.
struct Waiters {
    /// Senders queue. Written under the lock (true while `queue` is not empty), read by every
    /// release after it counted its slot (with a SeqCst fence on both sides: either the release
    /// sees the flag and serves the queue, or the sender that raised it sees the slot).
    queued: AtomicBool,
    /// How many tickets have been served: the waiter holding ticket `t` owns a slot once
    /// `granted > t`. It lets a woken sender claim its slot without the lock.
    granted: AtomicUsize,
    list: SpinLock<SendWaiters>,
}

struct SendWaiters {
    /// Ascending tickets; a waiter leaves when it is served, cancelled or the channel closes.
    queue: VecDeque<(usize, Waker)>,
    next_ticket: usize,
}

impl SendWaiters {
    fn position(&self, ticket: usize) -> Option<usize> {
        self.queue.binary_search_by_key(&ticket, |(t, _)| *t).ok()
    }
}

/// Where a queued sender stands.
enum Waiting {
    Served,
    /// Still queued; its waker is current.
    Queued,
    /// The receiver closed the channel before serving it.
    Closed,
}

/// Why a slot could not be taken at once.
#[derive(Debug, PartialEq, Eq)]
enum NoSlot {
    Closed,
    /// No slot is free, or senders wait for one and go first.
    Full,
}

impl<T> Chan<T> {
    pub(super) fn new(bound: usize) -> Chan<T> {
        debug_assert!(bound > 0 && bound <= MAX_BOUND);
        let queue = if bound <= ARRAY_QUEUE_MAX {
            ConcurrentQueue::bounded(bound)
        } else {
            ConcurrentQueue::unbounded()
        };
        Chan {
            queue,
            senders: CachePadded::new(SenderSide {
                taken: AtomicUsize::new(0),
                released_seen: AtomicUsize::new(0),
            }),
            released: CachePadded::new(AtomicUsize::new(0)),
            waiters: CachePadded::new(Waiters {
                queued: AtomicBool::new(false),
                granted: AtomicUsize::new(0),
                list: SpinLock::new(SendWaiters {
                    queue: VecDeque::new(),
                    next_ticket: 0,
                }),
            }),
            bound,
            receiver: ReceiverWaker::new(),
            tx_count: AtomicUsize::new(1),
            tx_closed: AtomicBool::new(false),
            rx_dropped: AtomicBool::new(false),
            closed_waiters: SpinLock::new(WaitList::new()),
        }
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
        // AcqRel (within SeqCst): the last sender acquires every other sender's pushes through
        // the release sequence of this count, and publishes them with `tx_closed`.
        if self.tx_count.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        self.tx_closed.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
        self.receiver.wake();
    }

    pub(super) fn sender_count(&self) -> usize {
        self.tx_count.load(Ordering::SeqCst)
    }

    // ---- slots ---------------------------------------------------------------------------

    /// Slots in use by the counters `taken` (flag included) and `released`, or `None` when
    /// `taken` was read before `released` moved past it (the caller's `taken` is stale).
    fn in_use(taken: usize, released: usize) -> Option<usize> {
        let difference = (taken & !CLOSED).wrapping_sub(released);
        // Valid differences are at most `MAX_BOUND × ONE_SLOT`, under half the range.
        (difference <= usize::MAX / 2).then_some(difference / ONE_SLOT)
    }

    /// Whether `taken` leaves a slot free. Reads the receiver's line only when the senders'
    /// copy of `released` says full. A stale `taken` counts as room: its compare-and-swap fails.
    fn has_room(&self, taken: usize) -> bool {
        // Acquire, paired with the Release store below: a sender that takes a slot on the
        // strength of a copy another sender made is ordered after the pop that freed it, as if
        // it had read `released` itself (its push must find that pop's room in the queue).
        let seen = self.senders.released_seen.load(Ordering::Acquire);
        if Self::in_use(taken, seen).is_some_and(|used| used < self.bound) {
            return true;
        }
        // Full by the copy, or the copy is too old to compare: read the receiver's line.
        // Acquire: pairs with the release's AcqRel add; the slot we then take was given back.
        let released = self.released.load(Ordering::Acquire);
        if released != seen {
            // Racing stores may leave an older value here: still a lower bound, so still safe.
            self.senders.released_seen.store(released, Ordering::Release);
        }
        // `None`: `released` moved past our `taken`, so `taken` is stale and the
        // compare-and-swap that follows fails and rereads it.
        Self::in_use(taken, released).is_none_or(|used| used < self.bound)
    }

    /// Takes one free slot, if there is one, whether or not senders wait.
    fn take_slot(&self) -> Result<(), NoSlot> {
        let mut taken = self.senders.taken.load(Ordering::Acquire);
        loop {
            if taken & CLOSED != 0 {
                return Err(NoSlot::Closed);
            }
            if !self.has_room(taken) {
                return Err(NoSlot::Full);
            }
            match self.senders.taken.compare_exchange_weak(
                taken,
                taken.wrapping_add(ONE_SLOT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => taken = actual,
            }
        }
    }

    /// The fast path of every send: takes one free slot unless the channel is closed, full, or
    /// senders wait (they go first).
    fn try_take_slot(&self) -> Result<(), NoSlot> {
        // Relaxed: a sender racing a waiter's arrival may overtake it; FIFO order is among
        // senders that did not overlap. Nothing is lost either way.
        if self.waiters.queued.load(Ordering::Relaxed) {
            return if self.is_closed() {
                Err(NoSlot::Closed)
            } else {
                Err(NoSlot::Full)
            };
        }
        self.take_slot()
    }

    /// Gives `count` slots back; with senders waiting, serves them first, in ticket order.
    fn release_slots(&self, count: usize) {
        self.released.fetch_add(count * ONE_SLOT, Ordering::AcqRel);
        // SeqCst fence between the add and the load, paired with the one in
        // `take_slot_or_queue` between raising `queued` and looking for room: either this
        // release sees the flag, or that sender sees the slot.
        fence(Ordering::SeqCst);
        if self.waiters.queued.load(Ordering::Relaxed) {
            self.serve_waiters();
        }
    }

    /// Hands free slots to the waiting senders, front first, while there are any.
    #[cold]
    fn serve_waiters(&self) {
        let mut wakers = Vec::new();
        let mut list = self.waiters.list.lock();
        while let Some(&(ticket, _)) = list.queue.front() {
            if self.take_slot().is_err() {
                break;
            }
            let (_, waker) = list.queue.pop_front().expect("the front waiter is there");
            // Release: the served sender's claim (an Acquire load) comes after this hand-off.
            self.waiters.granted.store(ticket + 1, Ordering::Release);
            wakers.push(waker);
        }
        if list.queue.is_empty() {
            self.waiters.queued.store(false, Ordering::Relaxed);
        }
        drop(list);
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Gives back a slot taken by someone other than the receiver, waking the receiver if it
    /// may be waiting for that slot to end a closed channel.
    fn release_slot_not_received(&self) {
        self.release_slots(1);
        if self.is_closed() {
            fence(Ordering::SeqCst);
            self.receiver.wake();
        }
    }

    // ---- sending -------------------------------------------------------------------------

    /// Pushes a message into a slot already taken, and tells the receiver.
    fn push(&self, value: T) {
        if let Err(error) = self.queue.push(value) {
            // The queue is never closed, and holds at least `bound` messages: a taken slot is
            // always room in it.
            let full = matches!(error, PushError::Full(_));
            unreachable!("mpsc queue rejected a push into a reserved slot (full: {full})");
        }
        // SeqCst fence, paired with the receiver's in `ReceiverWaker::register` and
        // `close_rx`: either this sender sees the receiver parked (or dropped), or the receiver
        // sees this message.
        fence(Ordering::SeqCst);
        if self.rx_dropped.load(Ordering::Relaxed) {
            self.drain_dropped();
        } else {
            self.receiver.wake();
        }
    }

    /// Sends without waiting: `Err((value, true))` when closed, `Err((value, false))` when full
    /// (or when earlier senders wait for the next slot: they go first).
    pub(super) fn try_send(&self, value: T) -> Result<(), (T, bool)> {
        match self.try_take_slot() {
            Ok(()) => {
                self.push(value);
                Ok(())
            }
            Err(NoSlot::Closed) => Err((value, true)),
            Err(NoSlot::Full) => Err((value, false)),
        }
    }

    /// Takes a free slot as a permit without waiting: `Err(true)` when closed, `Err(false)`
    /// when full.
    pub(super) fn try_reserve(&self) -> Result<(), bool> {
        self.try_take_slot().map_err(|why| why == NoSlot::Closed)
    }

    /// Sends through a permit (it holds a slot). If the receiver is gone, the value is dropped.
    pub(super) fn send_with_permit(&self, value: T) {
        if self.rx_dropped.load(Ordering::Acquire) {
            drop(value);
            self.release_slot_not_received();
            return;
        }
        self.push(value);
    }

    /// Gives an unused permit's slot back.
    pub(super) fn release_permit(&self) {
        self.release_slot_not_received();
    }

    /// Sends on the unbounded channel: never waits.
    pub(super) fn send_unbounded(&self, value: T) -> Result<(), T> {
        match self.try_take_slot() {
            Ok(()) => {
                self.push(value);
                Ok(())
            }
            Err(NoSlot::Closed) => Err(value),
            Err(NoSlot::Full) => panic!(
                "`UnboundedSender::send`: the channel already holds {MAX_BOUND} messages, the \
                 most it can count; receive some first"
            ),
        }
    }

    /// Free slots right now (0 once closed).
    pub(super) fn capacity(&self) -> usize {
        let taken = self.senders.taken.load(Ordering::Acquire);
        if taken & CLOSED != 0 {
            return 0;
        }
        let mut taken = taken;
        loop {
            let released = self.released.load(Ordering::Acquire);
            // A `released` newer than our `taken` means more slots were taken since: read both
            // again until they are a consistent pair.
            let again = self.senders.taken.load(Ordering::Acquire);
            if again == taken {
                if let Some(used) = Self::in_use(taken, released) {
                    return self.bound.saturating_sub(used);
                }
            }
            if again & CLOSED != 0 {
                return 0;
            }
            taken = again;
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.senders.taken.load(Ordering::Acquire) & CLOSED != 0
    }

    // ---- receiving -----------------------------------------------------------------------

    /// Pops the next message and gives its slot back.
    fn pop(&self) -> Option<T> {
        let value = self.queue.pop().ok()?;
        self.release_slots(1);
        Some(value)
    }

    /// Whether nothing more can be queued: every sender dropped, or the receiver closed and
    /// every slot is back (no send in flight, no permit left, nothing queued). A pop after this
    /// returns true sees every message ever pushed.
    fn is_finished(&self) -> bool {
        if self.tx_closed.load(Ordering::Acquire) {
            return true;
        }
        // No slot is taken once closed: `taken` is final, and every slot is back once
        // `released` reaches it.
        let taken = self.senders.taken.load(Ordering::Acquire);
        taken & CLOSED != 0 && taken & !CLOSED == self.released.load(Ordering::Acquire)
    }

    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        if let Some(value) = self.pop() {
            return Poll::Ready(Some(value));
        }
        if self.is_finished() {
            return Poll::Ready(self.pop());
        }
        self.receiver.register(cx.waker());
        // Look again: a message pushed before the registration was visible is seen now.
        if let Some(value) = self.pop() {
            self.receiver.cancel();
            return Poll::Ready(Some(value));
        }
        if self.is_finished() {
            self.receiver.cancel();
            return Poll::Ready(self.pop());
        }
        Poll::Pending
    }

    /// Moves up to `limit` messages into `buffer`; returns how many.
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
        let mut taken = self.take_into(buffer, limit);
        if taken == 0 {
            if self.is_finished() {
                return Poll::Ready(self.take_into(buffer, limit));
            }
            self.receiver.register(cx.waker());
            taken = self.take_into(buffer, limit);
            if taken == 0 && !self.is_finished() {
                return Poll::Pending;
            }
            self.receiver.cancel();
            if taken == 0 {
                taken = self.take_into(buffer, limit);
            }
        }
        Poll::Ready(taken)
    }

    /// Pops up to `limit` messages into `buffer` and gives their slots back at once.
    fn take_into(&self, buffer: &mut Vec<T>, limit: usize) -> usize {
        let mut taken = 0;
        while taken < limit {
            match self.queue.pop() {
                Ok(value) => buffer.push(value),
                Err(_) => break,
            }
            taken += 1;
        }
        if taken > 0 {
            self.release_slots(taken);
        }
        taken
    }

    /// `Err(true)`: disconnected; `Err(false)`: empty.
    pub(super) fn try_recv(&self) -> Result<T, bool> {
        if let Some(value) = self.pop() {
            return Ok(value);
        }
        if self.is_finished() {
            return self.pop().ok_or(true);
        }
        Err(false)
    }

    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Closes the channel from the receiving side: sending fails from now on, and every waiting
    /// sender is woken (to fail). With `dropped`, the queued messages are dropped too, and so is
    /// any message a permit sends later.
    pub(super) fn close_rx(&self, dropped: bool) {
        let previous = self.senders.taken.fetch_or(CLOSED, Ordering::AcqRel);
        if previous & CLOSED == 0 {
            let mut wakers = Vec::new();
            let mut list = self.waiters.list.lock();
            // Not served: these senders fail without a slot. A sender served before the close
            // holds its slot and sends through it when it runs, as a permit would.
            wakers.extend(list.queue.drain(..).map(|(_, waker)| waker));
            self.waiters.queued.store(false, Ordering::Relaxed);
            drop(list);
            // `closed()` checks the flag under this lock, so none of its waiters is missed.
            self.closed_waiters.lock().notify_all(&mut wakers);
            wakers.into_iter().for_each(Waker::wake);
        }
        if dropped {
            self.rx_dropped.store(true, Ordering::Release);
            // Paired with the fence in `push`: a message pushed after this drain sees the flag.
            fence(Ordering::SeqCst);
            self.drain_dropped();
            drop(self.receiver.take());
        }
    }

    /// Drops every queued message: the receiver is gone.
    fn drain_dropped(&self) {
        while let Ok(message) = self.queue.pop() {
            drop(message);
        }
    }

    // ---- waiting for the close -----------------------------------------------------------

    fn poll_closed(&self, waiter: &mut Option<WaiterKey>, cx: &mut Context<'_>) -> Poll<()> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut closed_waiters = self.closed_waiters.lock();
        if self.is_closed() {
            let old = waiter.take().and_then(|key| closed_waiters.remove(key).1);
            drop(closed_waiters);
            drop(old);
            return Poll::Ready(());
        }
        let old = match *waiter {
            Some(key) => closed_waiters.update_waker(key, cx.waker()),
            None => {
                *waiter = Some(closed_waiters.push_back(0, cx.waker().clone()));
                None
            }
        };
        drop(closed_waiters);
        drop(old);
        Poll::Pending
    }

    fn cancel_closed(&self, key: WaiterKey) {
        let old = self.closed_waiters.lock().remove(key).1;
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
            ticket: None,
            value,
        }
        .await
    }

    /// The slow path of `Acquire`'s first poll: under the lock, take a slot if nobody waits
    /// and one is free, or queue with a ticket.
    fn take_slot_or_queue(&self, waker: &Waker) -> Result<Option<usize>, NoSlot> {
        let mut list = self.waiters.list.lock();
        if list.queue.is_empty() {
            // Raise the flag first, then look for room: a release that this look misses sees
            // the flag (see `release_slots`) and serves the queue.
            self.waiters.queued.store(true, Ordering::Relaxed);
            fence(Ordering::SeqCst);
            match self.take_slot() {
                Ok(()) => {
                    self.waiters.queued.store(false, Ordering::Relaxed);
                    return Ok(None);
                }
                Err(NoSlot::Closed) => {
                    self.waiters.queued.store(false, Ordering::Relaxed);
                    return Err(NoSlot::Closed);
                }
                Err(NoSlot::Full) => {}
            }
        } else if self.is_closed() {
            return Err(NoSlot::Closed);
        }
        let ticket = list.next_ticket;
        list.next_ticket += 1;
        list.queue.push_back((ticket, waker.clone()));
        Ok(Some(ticket))
    }

    /// Whether the waiter holding `ticket` was served a slot.
    fn is_granted(&self, ticket: usize) -> bool {
        // Acquire: pairs with the Release store of the hand-off.
        self.waiters.granted.load(Ordering::Acquire) > ticket
    }

    /// A queued waiter polled again before it was served: refreshes its waker, or finds out
    /// that it was served or that the close took it off the queue meanwhile.
    fn refresh_waiter(&self, ticket: usize, waker: &Waker) -> Waiting {
        let mut list = self.waiters.list.lock();
        // Under the lock a hand-off is either complete or not started.
        if self.is_granted(ticket) {
            return Waiting::Served;
        }
        // Neither served nor queued: only the close takes a waiter off without serving it (a
        // cancelled waiter is this future's own drop, which cannot run during its poll).
        let Some(index) = list.position(ticket) else {
            return Waiting::Closed;
        };
        let slot = &mut list.queue[index].1;
        let old = (!slot.will_wake(waker)).then(|| std::mem::replace(slot, waker.clone()));
        drop(list);
        drop(old);
        Waiting::Queued
    }

    /// A queued waiter gives up. Returns whether it had been served (it then holds a slot).
    fn leave_queue(&self, ticket: usize) -> bool {
        if self.is_granted(ticket) {
            return true;
        }
        let mut list = self.waiters.list.lock();
        if self.is_granted(ticket) {
            return true;
        }
        // Absent when the close already took it off.
        let old = list.position(ticket).and_then(|index| list.queue.remove(index));
        if list.queue.is_empty() {
            self.waiters.queued.store(false, Ordering::Relaxed);
        }
        drop(list);
        drop(old);
        false
    }
}

/// A sender waiting for a slot (`send`, `reserve`). Cancel-safe: dropped while queued, it
/// leaves the queue; dropped after being served, it gives its slot back (to the next waiter).
struct Acquire<'a, T> {
    chan: &'a Chan<T>,
    /// The ticket it queued with, while queued.
    ticket: Option<usize>,
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
        match this.ticket {
            None => match chan.try_take_slot() {
                Ok(()) => {}
                Err(NoSlot::Closed) => return Poll::Ready(Err(this.value.take())),
                Err(NoSlot::Full) => match chan.take_slot_or_queue(cx.waker()) {
                    Ok(None) => {}
                    Ok(Some(ticket)) => {
                        this.ticket = Some(ticket);
                        return Poll::Pending;
                    }
                    Err(_) => return Poll::Ready(Err(this.value.take())),
                },
            },
            Some(ticket) => {
                if !chan.is_granted(ticket) {
                    match chan.refresh_waiter(ticket, cx.waker()) {
                        Waiting::Served => {}
                        Waiting::Queued => return Poll::Pending,
                        Waiting::Closed => {
                            this.ticket = None;
                            return Poll::Ready(Err(this.value.take()));
                        }
                    }
                }
                // Served before any close (a close stops the serving): the slot is ours, and we
                // send through it even if the channel closed since, as a permit taken before
                // the close may.
                this.ticket = None;
            }
        }
        // We hold a slot.
        if let Some(value) = this.value.take() {
            chan.push(value);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T> Drop for Acquire<'_, T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            if self.chan.leave_queue(ticket) {
                // Served a slot that we will never use: it goes to the next waiter.
                self.chan.release_slot_not_received();
            }
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
        f.debug_struct("Chan")
            .field("queued", &self.queue.len())
            .field("bound", &self.bound)
            .field("free_slots", &self.capacity())
            .field("waiting_senders", &self.waiters.list.lock().queue.len())
            .field("rx_closed", &self.is_closed())
            .field("tx_closed", &self.tx_closed.load(Ordering::Acquire))
            .finish()
    }
}
