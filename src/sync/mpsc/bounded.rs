//! The bounded channel's handles: [`Sender`], [`Receiver`], [`Permit`], [`OwnedPermit`],
//! [`WeakSender`].

use crate::loom::Arc;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::chan::{Chan, MAX_BOUND};
use super::error::{SendError, TryRecvError, TrySendError};

/// Creates a bounded channel holding at most `capacity` messages in flight (queued or reserved
/// by a [`Permit`]). A sender that finds it full waits, in FIFO order, for the receiver to take
/// a message.
///
/// # Panics
/// When `capacity` is 0 (a bounded channel needs room for at least one message), or larger than
/// `usize::MAX / 8` (the slot counters need the rest of their range to tell a stale reading).
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::run(async {
///     let (tx, mut rx) = mpsc::channel(16);
///     for i in 0..3 {
///         let tx = tx.clone();
///         corio::spawn(async move { tx.send(i).await.unwrap() });
///     }
///     drop(tx);
///     let mut sum = 0;
///     while let Some(i) = rx.recv().await {
///         sum += i;
///     }
///     assert_eq!(sum, 3);
/// });
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "`mpsc::channel` called with a capacity of 0; a bounded channel needs room for at least \
         one message: use `mpsc::channel(1)` or more, or `mpsc::unbounded_channel()` for no limit"
    );
    assert!(
        capacity <= MAX_BOUND,
        "`mpsc::channel` called with a capacity of {capacity}, more than the largest bound \
         ({MAX_BOUND}); use `mpsc::unbounded_channel()` for no limit"
    );
    let chan = Arc::new(Chan::new(capacity));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending half of a bounded channel. Clone it to send from several tasks; the channel
/// closes for the receiver once every sender is dropped.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::run(async {
///     let (tx, mut rx) = mpsc::channel(1);
///     let tx2 = tx.clone();
///     tx.send(1).await.unwrap();
///     assert_eq!(rx.recv().await, Some(1));
///     tx2.send(2).await.unwrap();
///     assert_eq!(rx.recv().await, Some(2));
/// });
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// A sender that does not keep the channel open: [`upgrade`](WeakSender::upgrade) it to send.
///
/// ```
/// use corio::sync::mpsc;
///
/// let (tx, _rx) = mpsc::channel::<u8>(1);
/// let weak = tx.downgrade();
/// assert!(weak.upgrade().is_some());
/// drop(tx);
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving half of a bounded channel. Also a [`Stream`] of the messages.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::run(async {
///     let (tx, mut rx) = mpsc::channel(4);
///     tx.send("hello").await.unwrap();
///     drop(tx);
///     assert_eq!(rx.recv().await, Some("hello"));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

/// A reserved slot in the channel: [`send`](Permit::send) through it never waits and never
/// fails. Dropping it unused gives the slot back to the next waiting sender.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::run(async {
///     let (tx, mut rx) = mpsc::channel(1);
///     let permit = tx.reserve().await.unwrap();
///     assert_eq!(tx.capacity(), 0);
///     permit.send(9);
///     assert_eq!(rx.recv().await, Some(9));
/// });
/// ```
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

/// A reserved slot that owns its [`Sender`] (from [`Sender::reserve_owned`]), so that it can be
/// moved into a task. Sending through it gives the sender back.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::run(async {
///     let (tx, mut rx) = mpsc::channel(1);
///     let permit = tx.reserve_owned().await.unwrap();
///     let tx = corio::spawn(async move { permit.send(5) }).await.unwrap();
///     assert_eq!(rx.recv().await, Some(5));
///     drop(tx);
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub struct OwnedPermit<T> {
    /// `None` once the permit was used or released.
    sender: Option<Sender<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for a free slot while the channel is full. Senders that find the
    /// channel full are served in FIFO order. Fails, handing the value back, once the receiver is
    /// dropped or closed.
    ///
    /// Cancel-safe: dropping the future before it completes sends nothing (the value is dropped
    /// with the future) and loses no slot — one handed to it goes to the next waiting sender.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     tx.send(1).await.unwrap();
    ///     // The channel is full: this send waits until the receiver takes the first message.
    ///     let second = corio::spawn(async move { tx.send(2).await });
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     second.await.unwrap().unwrap();
    ///     assert_eq!(rx.recv().await, Some(2));
    /// });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan
            .acquire(Some(value))
            .await
            .map_err(|value| SendError(value.expect("a send hands its value back on failure")))
    }

    /// Sends `value` if there is a free slot right now.
    ///
    /// Fails with [`TrySendError::Full`] when the channel is full (or other senders already wait
    /// for the next slot) and [`TrySendError::Closed`] when the receiver is gone; either way the
    /// value is handed back.
    ///
    /// ```
    /// use corio::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, _rx) = mpsc::channel(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(value).map_err(|(value, closed)| {
            if closed {
                TrySendError::Closed(value)
            } else {
                TrySendError::Full(value)
            }
        })
    }

    /// Waits for a free slot and reserves it as a [`Permit`]. Cancel-safe, like
    /// [`send`](Self::send). Fails once the receiver is dropped or closed.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     let permit = tx.reserve().await.unwrap();
    ///     assert!(tx.try_send(0).is_err(), "the only slot is reserved");
    ///     permit.send(1);
    ///     assert_eq!(rx.recv().await, Some(1));
    /// });
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        match self.chan.acquire(None).await {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(_) => Err(SendError(())),
        }
    }

    /// Like [`reserve`](Self::reserve), but the permit owns the sender.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::channel(2);
    ///     let permit = tx.clone().reserve_owned().await.unwrap();
    ///     permit.send("owned");
    ///     assert_eq!(rx.recv().await, Some("owned"));
    /// });
    /// ```
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        match self.chan.acquire(None).await {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(_) => Err(SendError(())),
        }
    }

    /// Reserves a free slot if there is one right now.
    ///
    /// ```
    /// use corio::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let permit = tx.try_reserve().unwrap();
    /// assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    /// drop(permit);
    /// assert!(tx.try_reserve().is_ok());
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.try_reserve() {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(true) => Err(TrySendError::Closed(())),
            Err(false) => Err(TrySendError::Full(())),
        }
    }

    /// Like [`try_reserve`](Self::try_reserve), but the permit owns the sender; on failure the
    /// sender is handed back inside the error.
    ///
    /// ```
    /// use corio::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let permit = tx.clone().try_reserve_owned().unwrap();
    /// let tx = match tx.try_reserve_owned() {
    ///     Err(TrySendError::Full(tx)) => tx,
    ///     _ => unreachable!("the only slot is reserved"),
    /// };
    /// drop(permit);
    /// assert_eq!(tx.capacity(), 1);
    /// ```
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Sender<T>>> {
        match self.chan.try_reserve() {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(true) => Err(TrySendError::Closed(self)),
            Err(false) => Err(TrySendError::Full(self)),
        }
    }

    /// Free slots right now: [`max_capacity`](Self::max_capacity) minus queued messages and
    /// reserved permits (0 once the receiver is closed).
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel(3);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(tx.capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// The capacity the channel was created with.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<()>(3);
    /// assert_eq!(tx.max_capacity(), 3);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.bound()
    }

    /// Whether the receiver was dropped or closed (sending would fail).
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel::<()>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Waits until the receiver is dropped or closed. Cancel-safe.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, rx) = mpsc::channel::<()>(1);
    ///     corio::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (a, _rx) = mpsc::channel::<()>(1);
    /// let (b, _rx2) = mpsc::channel::<()>(1);
    /// assert!(a.same_channel(&a.clone()));
    /// assert!(!a.same_channel(&b));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A [`WeakSender`] for this channel, which does not keep it open.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// weak.upgrade().unwrap().try_send(1).unwrap();
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender {
            chan: self.chan.clone(),
        }
    }

    /// Live (strong) senders of this channel.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<()>(1);
    /// let _tx2 = tx.clone();
    /// assert_eq!(tx.strong_count(), 2);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> WeakSender<T> {
    /// A [`Sender`], unless every sender was dropped already (the channel is then closed for
    /// good).
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.try_add_sender().then(|| Sender {
            chan: self.chan.clone(),
        })
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> WeakSender<T> {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` through the reserved slot: never waits. If the receiver was dropped in the
    /// meantime, the value is dropped (a closed but live receiver still gets it).
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     tx.reserve().await.unwrap().send("reserved");
    ///     assert_eq!(rx.recv().await, Some("reserved"));
    /// });
    /// ```
    pub fn send(self, value: T) {
        let chan = self.chan;
        // The slot is consumed by the send below, not released by `Drop`.
        std::mem::forget(self);
        chan.send_with_permit(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release_permit();
    }
}

impl<T> OwnedPermit<T> {
    /// Sends `value` through the reserved slot (never waits) and gives the sender back.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     let tx = tx.reserve_owned().await.unwrap().send(1);
    ///     assert!(tx.try_send(2).is_err(), "the message sent through the permit fills the channel");
    ///     assert_eq!(rx.recv().await, Some(1));
    /// });
    /// ```
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("an owned permit holds its sender until used");
        sender.chan.send_with_permit(value);
        sender
    }

    /// Gives the reserved slot back without sending, and the sender with it.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, _rx) = mpsc::channel::<u8>(1);
    ///     let tx = tx.reserve_owned().await.unwrap().release();
    ///     assert_eq!(tx.capacity(), 1);
    /// });
    /// ```
    pub fn release(mut self) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("an owned permit holds its sender until used");
        sender.chan.release_permit();
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.chan.release_permit();
        }
    }
}

impl<T> Receiver<T> {
    /// Receives the next message, waiting while the channel is empty. Returns `None` once the
    /// channel is drained and closed: every sender dropped, or [`close`](Self::close) called and
    /// every outstanding permit used or dropped.
    ///
    /// Cancel-safe: a message is taken only when the future completes.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     corio::spawn(async move { tx.send(3).await.unwrap() });
    ///     assert_eq!(rx.recv().await, Some(3));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Receives up to `limit` messages into `buffer` at once, waiting while the channel is
    /// empty; returns how many were received (0 only when the channel is drained and closed, or
    /// when `limit` is 0). Cancel-safe.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::channel(8);
    ///     for i in 0..5 {
    ///         tx.send(i).await.unwrap();
    ///     }
    ///     let mut buffer = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buffer, 3).await, 3);
    ///     assert_eq!(buffer, [0, 1, 2]);
    /// });
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
    }

    /// Polls for the next message (the poll form of [`recv`](Self::recv)).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     tx.try_send(4).unwrap();
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, Some(4));
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Receives a message if one is queued right now.
    ///
    /// ```
    /// use corio::sync::mpsc::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv().map_err(|disconnected| {
            if disconnected {
                TryRecvError::Disconnected
            } else {
                TryRecvError::Empty
            }
        })
    }

    /// Closes the channel without dropping the receiver: sending fails from now on (waiting
    /// senders are woken and get their value back), while the messages already queued, and
    /// those sent through outstanding permits, can still be received.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::channel(2);
    ///     tx.send(1).await.unwrap();
    ///     rx.close();
    ///     assert!(tx.send(2).await.is_err());
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub fn close(&mut self) {
        self.chan.close_rx(false);
    }

    /// Whether the channel is closed: the receiver closed, or every sender dropped. Queued
    /// messages may still be waiting to be received.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel::<()>(1);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed() || self.chan.sender_count() == 0
    }

    /// Messages queued right now.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel(4);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no message is queued right now.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (_tx, rx) = mpsc::channel::<()>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots right now (as [`Sender::capacity`]).
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel(4);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(rx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// The capacity the channel was created with.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (_tx, rx) = mpsc::channel::<()>(4);
    /// assert_eq!(rx.max_capacity(), 4);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.bound()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.close_rx(true);
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().chan.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender").field("chan", &self.chan).finish()
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::WeakSender")
            .field("chan", &self.chan)
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver")
            .field("chan", &self.chan)
            .finish()
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Permit").field("chan", &self.chan).finish()
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::OwnedPermit")
            .field("sender", &self.sender)
            .finish()
    }
}
