//! A multi-producer, multi-consumer broadcast channel: every receiver sees every message sent
//! after it subscribed, as long as it keeps up.
//!
//! [`channel`]`(capacity)` returns a [`Sender`] and a first [`Receiver`]; more receivers come
//! from [`Sender::subscribe`] and [`Receiver::resubscribe`]. Receiving clones the message
//! (`T: Clone`). A receiver that falls more than `capacity` messages behind loses the oldest
//! ones: its next `recv` returns [`RecvError::Lagged`] with the exact
//! number it missed, and the one after continues from the oldest message still retained.
//!
//! # Algorithm
//!
//! Messages live in a ring of `capacity` slots; the message at position `p` (a `u64` counting
//! every message ever sent) is in slot `p % capacity`. Each slot has its own small lock and
//! records the position it holds, its message, and how many receivers still have to read it
//! (`remaining`); the last of them takes the message out, so a message is dropped as soon as
//! everyone has it (or when its slot is overwritten).
//!
//! The `Tail` lock guards the write position, the receiver count, the closed flag and the FIFO
//! list of parked receivers. Lock order: `Tail`, then a slot — never the other way round.
//!
//! - A send locks `Tail`, writes slot `tail % capacity` under that slot's lock, advances the
//!   position, and notifies every parked receiver (woken after both locks are released).
//! - A receive first locks only the slot at its own position `next`: if the slot holds `next`,
//!   it clones the message and moves on without touching `Tail` (the fast path, which contends
//!   only with the one sender overwriting that slot). Otherwise it locks `Tail` and looks again:
//!   `next == tail` means nothing new (park, or `Closed` once every sender is gone); a slot
//!   holding a later position means the receiver was overtaken, so it jumps to the oldest
//!   retained position `tail - capacity` and reports how many it skipped.
//!
//! Positions never wrap in practice (2^64 messages), so "holds `next`" is exact. Receivers keep
//! their own position, so a receiving future owns nothing shared: dropping it (cancelling)
//! only unlinks its waiter, and the message it did not take stays for the next `recv`.
//!
//! One caveat, shared with tokio's design: `T::clone` runs under the slot's lock, so a `clone`
//! that sends on the same channel can deadlock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::loom::{lock, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::sync::waiters::{WaitList, WaiterKey};
use crate::task::coop::poll_proceed;

/// Error types of the broadcast channel.
pub mod error {
    use std::fmt;

    /// There was no receiver to send to; the message is handed back.
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(4);
    /// drop(rx);
    /// assert_eq!(tx.send("nobody listens").unwrap_err().0, "nobody listens");
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
            f.write_str("the broadcast channel has no receiver")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// Why [`Receiver::recv`](super::Receiver::recv) returned no message.
    ///
    /// ```
    /// use corio::sync::broadcast::{self, error::RecvError};
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = broadcast::channel(2);
    ///     for i in 0..5 {
    ///         tx.send(i).unwrap();
    ///     }
    ///     assert_eq!(rx.recv().await, Err(RecvError::Lagged(3)));
    ///     assert_eq!(rx.recv().await, Ok(3));
    /// });
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RecvError {
        /// Every sender was dropped and the receiver has seen every message.
        Closed,
        /// The receiver fell behind and this many messages were overwritten before it read them;
        /// the next receive continues from the oldest message still retained.
        Lagged(u64),
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                RecvError::Closed => f.write_str("the broadcast channel is closed"),
                RecvError::Lagged(missed) => {
                    write!(f, "the receiver lagged behind and missed {missed} messages")
                }
            }
        }
    }

    impl std::error::Error for RecvError {}

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no message.
    ///
    /// ```
    /// use corio::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel::<u8>(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No new message right now.
        Empty,
        /// Every sender was dropped and the receiver has seen every message.
        Closed,
        /// The receiver fell behind and missed this many messages (as [`RecvError::Lagged`]).
        Lagged(u64),
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("the broadcast channel has no new message"),
                TryRecvError::Closed => f.write_str("the broadcast channel is closed"),
                TryRecvError::Lagged(missed) => {
                    write!(f, "the receiver lagged behind and missed {missed} messages")
                }
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, SendError, TryRecvError};

struct Slot<T> {
    /// Position of the message this slot holds (or last held).
    pos: u64,
    /// Receivers that still have to read it; the last one takes the message out.
    remaining: usize,
    message: Option<T>,
}

struct Tail {
    /// Position of the next message to send.
    pos: u64,
    /// Live receivers.
    rx_count: usize,
    /// Every sender was dropped.
    closed: bool,
    /// Receivers parked waiting for the next message.
    waiters: WaitList,
}

struct Shared<T> {
    buffer: Box<[Mutex<Slot<T>>]>,
    tail: Mutex<Tail>,
    /// Live senders; the last one to drop closes the channel.
    tx_count: AtomicUsize,
}

impl<T> Shared<T> {
    fn capacity(&self) -> u64 {
        self.buffer.len() as u64
    }

    fn slot(&self, pos: u64) -> MutexGuard<'_, Slot<T>> {
        lock(&self.buffer[(pos % self.capacity()) as usize])
    }
}

/// Creates a broadcast channel retaining the last `capacity` messages for slow receivers.
/// Returns the sender and a first receiver.
///
/// # Panics
/// When `capacity` is 0: the channel needs room for at least one message.
///
/// ```
/// use corio::sync::broadcast;
///
/// corio::run(async {
///     let (tx, mut rx1) = broadcast::channel(16);
///     let mut rx2 = tx.subscribe();
///     let listener = corio::spawn(async move { rx2.recv().await.unwrap() });
///     tx.send(10).unwrap();
///     assert_eq!(rx1.recv().await.unwrap(), 10);
///     assert_eq!(listener.await.unwrap(), 10);
/// });
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "`broadcast::channel` called with a capacity of 0; the channel must retain at least one \
         message: use `broadcast::channel(1)` or more"
    );
    let buffer = (0..capacity as u64)
        // Each slot starts out "holding" a position one lap before the first, so that no
        // receiver mistakes it for a message.
        .map(|index| {
            Mutex::new(Slot {
                pos: index.wrapping_sub(capacity as u64),
                remaining: 0,
                message: None,
            })
        })
        .collect();
    let shared = Arc::new(Shared {
        buffer,
        tail: Mutex::new(Tail {
            pos: 0,
            rx_count: 1,
            closed: false,
            waiters: WaitList::new(),
        }),
        tx_count: AtomicUsize::new(1),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, next: 0 },
    )
}

/// The sending half of a broadcast channel. Clone it to send from several tasks; the channel
/// closes once every sender is dropped.
///
/// ```
/// use corio::sync::broadcast;
///
/// let (tx, mut rx) = broadcast::channel(4);
/// tx.clone().send("a").unwrap();
/// assert_eq!(rx.try_recv(), Ok("a"));
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half of a broadcast channel: sees every message sent after it was created,
/// unless it falls more than the channel's capacity behind.
///
/// ```
/// use corio::sync::broadcast;
///
/// corio::run(async {
///     let (tx, mut rx) = broadcast::channel(4);
///     tx.send(1).unwrap();
///     drop(tx);
///     assert_eq!(rx.recv().await, Ok(1));
///     assert!(rx.recv().await.is_err());
/// });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Position of the next message to read.
    next: u64,
}

impl<T> Sender<T> {
    /// Sends `value` to every receiver; returns how many there are. Never waits: when the ring is
    /// full, the oldest message is overwritten (receivers that had not read it see `Lagged`).
    /// Fails, handing the value back, when there is no receiver.
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(4);
    /// let _rx2 = tx.subscribe();
    /// assert_eq!(tx.send(()).unwrap(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut tail = lock(&self.shared.tail);
        if tail.rx_count == 0 {
            return Err(SendError(value));
        }
        let pos = tail.pos;
        let mut slot = self.shared.slot(pos);
        let overwritten = slot.message.replace(value);
        slot.pos = pos;
        slot.remaining = tail.rx_count;
        drop(slot);
        tail.pos += 1;
        let receivers = tail.rx_count;
        let mut wakers = Vec::with_capacity(tail.waiters.len());
        tail.waiters.notify_all(&mut wakers);
        drop(tail);
        wakers.into_iter().for_each(Waker::wake);
        drop(overwritten);
        Ok(receivers)
    }

    /// A new receiver, which sees the messages sent from now on.
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared)
    }

    /// Live receivers.
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel::<()>(4);
    /// assert_eq!(tx.receiver_count(), 1);
    /// drop(rx);
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.tail).rx_count
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<()>(4);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

fn new_receiver<T>(shared: &Arc<Shared<T>>) -> Receiver<T> {
    let mut tail = lock(&shared.tail);
    tail.rx_count += 1;
    let next = tail.pos;
    drop(tail);
    Receiver {
        shared: shared.clone(),
        next,
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
        let mut tail = lock(&self.shared.tail);
        tail.closed = true;
        let mut wakers = Vec::new();
        tail.waiters.notify_all(&mut wakers);
        drop(tail);
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// What a receive found when its position was not simply readable.
enum Miss {
    Empty,
    Closed,
    Lagged(u64),
}

impl<T> Receiver<T> {
    /// Reads the message at `self.next`, or says why not. With `park`, an empty channel parks the
    /// waiter (registered under the same `Tail` lock as the check, so no send can slip between).
    fn recv_inner(&mut self, park: Option<(&mut Option<WaiterKey>, &Waker)>) -> Result<T, Miss>
    where
        T: Clone,
    {
        // Fast path: only the slot's lock.
        {
            let slot = self.shared.slot(self.next);
            if slot.pos == self.next {
                return Ok(take_from(slot, &mut self.next));
            }
        }
        let mut tail = lock(&self.shared.tail);
        let slot = self.shared.slot(self.next);
        if slot.pos == self.next {
            // Written between our two looks.
            drop(tail);
            return Ok(take_from(slot, &mut self.next));
        }
        drop(slot);
        if self.next < tail.pos {
            // Our slot holds a later message: we were overtaken.
            let oldest = tail.pos - self.shared.capacity();
            let missed = oldest - self.next;
            self.next = oldest;
            return Err(Miss::Lagged(missed));
        }
        if tail.closed {
            return Err(Miss::Closed);
        }
        if let Some((waiter, waker)) = park {
            let old = match *waiter {
                Some(key) if !tail.waiters.is_notified(key) => tail.waiters.update_waker(key, waker),
                Some(key) => {
                    // Notified by a send we have already read past: queue again.
                    let old = tail.waiters.remove(key).1;
                    *waiter = Some(tail.waiters.push_back(0, waker.clone()));
                    old
                }
                None => {
                    *waiter = Some(tail.waiters.push_back(0, waker.clone()));
                    None
                }
            };
            drop(tail);
            drop(old);
        }
        Err(Miss::Empty)
    }

    /// Receives the next message, waiting while there is none. Fails with
    /// [`RecvError::Lagged`] when the receiver fell behind (the next call continues with the
    /// oldest retained message) and with [`RecvError::Closed`] once every sender is dropped and
    /// every message read.
    ///
    /// Cancel-safe: the receiver's position only moves when a message is returned.
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = broadcast::channel(4);
    ///     corio::spawn(async move { tx.send("news").unwrap() });
    ///     assert_eq!(rx.recv().await, Ok("news"));
    /// });
    /// ```
    pub async fn recv(&mut self) -> Result<T, RecvError>
    where
        T: Clone,
    {
        Recv {
            receiver: self,
            waiter: None,
        }
        .await
    }

    /// Receives the next message if there is one right now.
    ///
    /// ```
    /// use corio::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(1);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError>
    where
        T: Clone,
    {
        self.recv_inner(None).map_err(|miss| match miss {
            Miss::Empty => TryRecvError::Empty,
            Miss::Closed => TryRecvError::Closed,
            Miss::Lagged(missed) => TryRecvError::Lagged(missed),
        })
    }

    /// A new receiver for the same channel, which sees the messages sent from now on (not the
    /// ones this receiver has yet to read).
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut fresh = rx.resubscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(fresh.try_recv(), Ok(2));
    /// ```
    pub fn resubscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared)
    }

    /// Messages sent that this receiver has not read yet (more than the capacity means the next
    /// receive reports `Lagged`).
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(4);
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let tail = lock(&self.shared.tail).pos;
        usize::try_from(tail - self.next).unwrap_or(usize::MAX)
    }

    /// Whether this receiver has read every message sent so far.
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (_tx, rx) = broadcast::channel::<()>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender was dropped (messages not read yet are still delivered).
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel::<()>(4);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.shared.tail).closed
    }

    /// Whether both receivers belong to the same channel.
    ///
    /// ```
    /// use corio::sync::broadcast;
    ///
    /// let (_tx, rx) = broadcast::channel::<()>(4);
    /// assert!(rx.same_channel(&rx.resubscribe()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut tail = lock(&self.shared.tail);
        tail.rx_count -= 1;
        // Messages this receiver was counted for but will never read: uncount it, dropping
        // those it was the last reader of (after unlocking).
        let oldest = tail.pos.saturating_sub(self.shared.capacity());
        let mut last_copies = Vec::new();
        for pos in self.next.max(oldest)..tail.pos {
            let mut slot = self.shared.slot(pos);
            if slot.pos == pos {
                slot.remaining -= 1;
                if slot.remaining == 0 {
                    last_copies.extend(slot.message.take());
                }
            }
        }
        drop(tail);
        drop(last_copies);
    }
}

/// Clones the message out of `slot`, which holds position `*next`, and advances `next`.
fn take_from<T: Clone>(mut slot: MutexGuard<'_, Slot<T>>, next: &mut u64) -> T {
    let message = slot
        .message
        .as_ref()
        .expect("a broadcast message stays in its slot until every receiver counted for it read it")
        .clone();
    slot.remaining -= 1;
    let last_copy = if slot.remaining == 0 {
        slot.message.take()
    } else {
        None
    };
    drop(slot);
    drop(last_copy);
    *next += 1;
    message
}

/// A receiver waiting for the next message. Cancel-safe: it only unlinks its waiter on drop.
struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    waiter: Option<WaiterKey>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = self.get_mut();
        let result = match this.receiver.recv_inner(Some((&mut this.waiter, cx.waker()))) {
            Ok(message) => Ok(message),
            Err(Miss::Lagged(missed)) => Err(RecvError::Lagged(missed)),
            Err(Miss::Closed) => Err(RecvError::Closed),
            Err(Miss::Empty) => return Poll::Pending,
        };
        this.unlink();
        Poll::Ready(result)
    }
}

impl<T> Recv<'_, T> {
    fn unlink(&mut self) {
        if let Some(key) = self.waiter.take() {
            let old = lock(&self.receiver.shared.tail).waiters.remove(key).1;
            drop(old);
        }
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.unlink();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = lock(&self.shared.tail);
        f.debug_struct("broadcast::Sender")
            .field("capacity", &self.shared.buffer.len())
            .field("sent", &tail.pos)
            .field("receivers", &tail.rx_count)
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("capacity", &self.shared.buffer.len())
            .field("next", &self.next)
            .finish()
    }
}
