//! A channel for sending exactly one value between tasks (asyncio's `Future` object, set from
//! another task or thread).
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]. The sender is consumed by
//! [`Sender::send`]; the receiver is itself a future that resolves to the value, or to
//! [`RecvError`] if the sender was dropped without sending.
//!
//! # Algorithm
//!
//! Both halves share one `State` behind one lock: the value slot, two flags and one parked waker
//! per side. There is exactly one task on each side, so a single waker slot replaces the FIFO
//! waiter list the multi-waiter primitives use.
//!
//! - `complete` is set once the sender has sent or been dropped; it never goes back.
//! - `closed` is set once the receiver has called [`Receiver::close`] or been dropped; from then
//!   on `send` fails and hands the value back.
//! - A value is stored only while `closed` is false, so a dropped receiver never strands a value
//!   that a live sender could still get back; a value sent before `close` stays receivable
//!   through [`Receiver::try_recv`].
//!
//! The receiver parks its waker under the lock after seeing neither a value nor `complete`; the
//! sender sets `complete` under the same lock and takes that waker, so a wake-up cannot fall
//! between the check and the park. Wakers are woken, and values and old wakers dropped, only
//! after the lock is released: neither a wake nor a user's `Drop` ever runs under it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::loom::{lock, Mutex};
use crate::task::coop::poll_proceed;

/// Error types of the oneshot channel.
pub mod error {
    use std::fmt;

    /// The sender was dropped without sending a value (or the receiver was closed before a value
    /// arrived).
    ///
    /// ```
    /// use corio::sync::oneshot;
    ///
    /// corio::run(async {
    ///     let (tx, rx) = oneshot::channel::<u32>();
    ///     drop(tx);
    ///     let error = rx.await.unwrap_err();
    ///     assert_eq!(error.to_string(), "the oneshot sender was dropped without sending a value");
    /// });
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the oneshot sender was dropped without sending a value")
        }
    }

    impl std::error::Error for RecvError {}

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
    ///
    /// ```
    /// use corio::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel::<u32>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No value yet; the sender may still send one.
        Empty,
        /// No value will ever arrive: the sender was dropped, the value was already taken, or the
        /// receiver was closed.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("the oneshot channel holds no value yet"),
                TryRecvError::Closed => f.write_str("the oneshot channel is closed: no value will arrive"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, TryRecvError};

struct State<T> {
    value: Option<T>,
    /// The sender sent or was dropped.
    complete: bool,
    /// The receiver closed or was dropped.
    closed: bool,
    /// The receiver's task, parked waiting for the value.
    rx_waker: Option<Waker>,
    /// The sender's task, parked in `closed()`.
    tx_waker: Option<Waker>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

/// Creates a oneshot channel: a [`Sender`] for one value and the [`Receiver`] that awaits it.
///
/// ```
/// use corio::sync::oneshot;
///
/// corio::run(async {
///     let (tx, rx) = oneshot::channel();
///     corio::spawn(async move {
///         tx.send("done").unwrap();
///     });
///     assert_eq!(rx.await, Ok("done"));
/// });
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            value: None,
            complete: false,
            closed: false,
            rx_waker: None,
            tx_waker: None,
        }),
    });
    (
        Sender {
            shared: Some(shared.clone()),
        },
        Receiver { shared },
    )
}

/// Sends one value to the paired [`Receiver`]. Dropping it without sending makes the receiver
/// get [`RecvError`].
///
/// ```
/// use corio::sync::oneshot;
///
/// corio::run(async {
///     let (tx, rx) = oneshot::channel::<i32>();
///     assert!(!tx.is_closed());
///     tx.send(7).unwrap();
///     assert_eq!(rx.await.unwrap(), 7);
/// });
/// ```
pub struct Sender<T> {
    /// `None` once `send` has consumed the sender (so that `Drop` knows not to complete again).
    shared: Option<Arc<Shared<T>>>,
}

/// Awaits the value of the paired [`Sender`]: a future resolving to `Ok(value)`, or to
/// [`RecvError`] if the sender was dropped without sending.
///
/// Awaiting it is cancel-safe: a value that arrives after the receiving future was dropped stays
/// in the channel (if the receiver itself was dropped, it is dropped with the channel).
///
/// ```
/// use corio::sync::oneshot;
///
/// corio::run(async {
///     let (tx, rx) = oneshot::channel();
///     std::thread::spawn(move || tx.send(String::from("from a thread")).unwrap());
///     assert_eq!(rx.await.unwrap(), "from a thread");
/// });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    fn shared(&self) -> &Shared<T> {
        self.shared
            .as_ref()
            .expect("a oneshot sender is only consumed by `send`, which takes it by value")
    }

    /// Sends `value`, consuming the sender. Fails, handing the value back, when the receiver was
    /// dropped or closed.
    ///
    /// ```
    /// use corio::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(5), Err(5));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let shared = self
            .shared
            .take()
            .expect("a oneshot sender is consumed by `send`");
        let mut state = lock(&shared.state);
        if state.closed {
            return Err(value);
        }
        state.value = Some(value);
        state.complete = true;
        let waker = state.rx_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver was dropped or closed (a `send` would fail).
    ///
    /// ```
    /// use corio::sync::oneshot;
    ///
    /// let (tx, mut rx) = oneshot::channel::<()>();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.shared().state).closed
    }

    /// Polls for the receiver to be dropped or closed; registers the task to be woken then.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use corio::sync::oneshot;
    ///
    /// corio::run(async {
    ///     let (mut tx, rx) = oneshot::channel::<()>();
    ///     drop(rx);
    ///     poll_fn(|cx| tx.poll_closed(cx)).await;
    /// });
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = lock(&self.shared().state);
        if state.closed {
            return Poll::Ready(());
        }
        let old = replace_waker(&mut state.tx_waker, cx.waker());
        drop(state);
        drop(old);
        Poll::Pending
    }

    /// Waits until the receiver is dropped or closed, for example to stop computing a value
    /// that nobody wants any more. Cancel-safe.
    ///
    /// ```
    /// use corio::sync::oneshot;
    ///
    /// corio::run(async {
    ///     let (mut tx, rx) = oneshot::channel::<u64>();
    ///     corio::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(shared) = self.shared.take() else { return };
        let mut state = lock(&shared.state);
        state.complete = true;
        let rx_waker = state.rx_waker.take();
        let tx_waker = state.tx_waker.take();
        drop(state);
        drop(tx_waker);
        if let Some(waker) = rx_waker {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it has arrived, without waiting.
    ///
    /// Returns [`TryRecvError::Empty`] while the sender may still send, and
    /// [`TryRecvError::Closed`] once no value can arrive any more. After [`close`](Self::close),
    /// a value sent before the close is still returned.
    ///
    /// ```
    /// use corio::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = lock(&self.shared.state);
        match state.value.take() {
            Some(value) => Ok(value),
            None if state.complete || state.closed => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Closes the channel from the receiving side: a later `send` fails and hands its value
    /// back, and a sender waiting in [`Sender::closed`] is woken. A value sent before the close
    /// stays receivable.
    ///
    /// ```
    /// use corio::sync::oneshot;
    ///
    /// corio::run(async {
    ///     let (tx, mut rx) = oneshot::channel();
    ///     rx.close();
    ///     assert_eq!(tx.send(3), Err(3));
    ///     assert!(rx.await.is_err());
    /// });
    /// ```
    pub fn close(&mut self) {
        let mut state = lock(&self.shared.state);
        state.closed = true;
        let waker = state.tx_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = lock(&self.shared.state);
        if let Some(value) = state.value.take() {
            return Poll::Ready(Ok(value));
        }
        if state.complete || state.closed {
            return Poll::Ready(Err(RecvError(())));
        }
        let old = replace_waker(&mut state.rx_waker, cx.waker());
        drop(state);
        drop(old);
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.closed = true;
        let value = state.value.take();
        let tx_waker = state.tx_waker.take();
        let rx_waker = state.rx_waker.take();
        drop(state);
        drop(value);
        drop(rx_waker);
        if let Some(waker) = tx_waker {
            waker.wake();
        }
    }
}

/// Parks `waker` in `slot` unless the one there wakes the same task; returns the replaced waker
/// for the caller to drop after unlocking.
fn replace_waker(slot: &mut Option<Waker>, waker: &Waker) -> Option<Waker> {
    match slot {
        Some(current) if current.will_wake(waker) => None,
        _ => slot.replace(waker.clone()),
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let closed = self.shared.as_ref().map(|shared| lock(&shared.state).closed);
        f.debug_struct("oneshot::Sender")
            .field("closed", &closed)
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("oneshot::Receiver")
            .field("has_value", &state.value.is_some())
            .field("complete", &state.complete)
            .field("closed", &state.closed)
            .finish()
    }
}
