//! The unbounded channel's handles: [`UnboundedSender`], [`UnboundedReceiver`],
//! [`WeakUnboundedSender`].

use crate::loom::Arc;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::chan::{Chan, MAX_BOUND};
use super::error::{SendError, TryRecvError};

/// Creates a channel without a limit: sending never waits. Prefer [`channel`](super::channel)
/// when producers can outrun the consumer, or memory grows without bound.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::run(async {
///     let (tx, mut rx) = mpsc::unbounded_channel();
///     for i in 0..1000 {
///         tx.send(i).unwrap();
///     }
///     drop(tx);
///     let mut count = 0;
///     while rx.recv().await.is_some() {
///         count += 1;
///     }
///     assert_eq!(count, 1000);
/// });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::new(MAX_BOUND));
    (UnboundedSender { chan: chan.clone() }, UnboundedReceiver { chan })
}

/// The sending half of an unbounded channel. Clone it to send from several tasks or threads;
/// the channel closes for the receiver once every sender is dropped.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::run(async {
///     let (tx, mut rx) = mpsc::unbounded_channel();
///     std::thread::spawn(move || tx.send("from a thread").unwrap());
///     assert_eq!(rx.recv().await, Some("from a thread"));
/// });
/// ```
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// An unbounded sender that does not keep the channel open: upgrade it to send.
///
/// ```
/// use corio::sync::mpsc;
///
/// let (tx, _rx) = mpsc::unbounded_channel::<u8>();
/// let weak = tx.downgrade();
/// drop(tx);
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakUnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving half of an unbounded channel. Also a [`Stream`] of the messages.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::run(async {
///     let (tx, mut rx) = mpsc::unbounded_channel();
///     tx.send(1).unwrap();
///     drop(tx);
///     assert_eq!(rx.recv().await, Some(1));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub struct UnboundedReceiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Sends `value` without waiting. Fails, handing the value back, once the receiver is
    /// dropped or closed.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.send_unbounded(value).map_err(SendError)
    }

    /// Whether the receiver was dropped or closed (sending would fail).
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    /// rx.close();
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
    ///     let (tx, rx) = mpsc::unbounded_channel::<()>();
    ///     corio::spawn(async move { drop(rx) });
    ///     tx.closed().await;
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
    /// let (tx, _rx) = mpsc::unbounded_channel::<()>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &UnboundedSender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A [`WeakUnboundedSender`] for this channel, which does not keep it open.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::unbounded_channel::<u8>();
    /// let weak = tx.downgrade();
    /// weak.upgrade().unwrap().send(1).unwrap();
    /// ```
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }

    /// Live (strong) senders of this channel.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::unbounded_channel::<()>();
    /// assert_eq!(tx.strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> UnboundedSender<T> {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> WeakUnboundedSender<T> {
    /// An [`UnboundedSender`], unless every sender was dropped already.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::unbounded_channel::<u8>();
    /// assert!(tx.downgrade().upgrade().is_some());
    /// ```
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.chan.try_add_sender().then(|| UnboundedSender {
            chan: self.chan.clone(),
        })
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next message, waiting while the channel is empty; `None` once every sender
    /// is dropped (or the receiver closed) and the queue is drained. Cancel-safe.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::unbounded_channel();
    ///     corio::spawn(async move { tx.send('x').unwrap() });
    ///     assert_eq!(rx.recv().await, Some('x'));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Receives up to `limit` messages into `buffer` at once, waiting while the channel is
    /// empty; returns how many (0 only when drained and closed, or when `limit` is 0).
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::unbounded_channel();
    ///     (0..4).for_each(|i| tx.send(i).unwrap());
    ///     let mut buffer = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buffer, 10).await, 4);
    ///     assert_eq!(buffer, [0, 1, 2, 3]);
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
    ///     let (tx, mut rx) = mpsc::unbounded_channel();
    ///     tx.send(4).unwrap();
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
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
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

    /// Closes the channel without dropping the receiver: sending fails from now on, while the
    /// queued messages can still be received.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = mpsc::unbounded_channel();
    ///     tx.send(1).unwrap();
    ///     rx.close();
    ///     assert!(tx.send(2).is_err());
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub fn close(&mut self) {
        self.chan.close_rx(false);
    }

    /// Whether the channel is closed: the receiver closed, or every sender dropped.
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::unbounded_channel::<()>();
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
    /// let (tx, rx) = mpsc::unbounded_channel();
    /// tx.send(()).unwrap();
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
    /// let (_tx, rx) = mpsc::unbounded_channel::<()>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.close_rx(true);
    }
}

impl<T> Stream for UnboundedReceiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().chan.poll_recv(cx)
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedSender")
            .field("chan", &self.chan)
            .finish()
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::WeakUnboundedSender")
            .field("chan", &self.chan)
            .finish()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedReceiver")
            .field("chan", &self.chan)
            .finish()
    }
}
