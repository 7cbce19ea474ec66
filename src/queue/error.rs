//! The errors of the queue operations, named after asyncio's exceptions.
//!
//! | asyncio | corio |
//! |---|---|
//! | `QueueEmpty` (`get_nowait`) | [`TryGetError::Empty`] |
//! | `QueueFull` (`put_nowait`) | [`TryPutError::Full`] |
//! | `QueueShutDown` (`get`, `get_nowait`) | [`QueueShutDown`], [`TryGetError::ShutDown`] |
//! | `QueueShutDown` (`put`, `put_nowait`) | [`PutError`], [`TryPutError::ShutDown`] |
//!
//! A failed put always hands its item back. The `Debug` impls do not require `T: Debug`, so that
//! `unwrap` and `?` work for any item type.

use std::error::Error;
use std::fmt;

/// [`get`](super::Queue::get) found the queue shut down and empty (asyncio's `QueueShutDown`).
///
/// After [`shutdown`](super::Queue::shutdown) the items already queued are still handed out;
/// this error comes once none is left (at once after
/// [`shutdown_immediate`](super::Queue::shutdown_immediate), which discards them).
///
/// ```
/// use corio::queue::{Queue, QueueShutDown};
///
/// corio::run(async {
///     let queue = Queue::<u32>::new(0);
///     queue.shutdown();
///     assert_eq!(queue.get().await, Err(QueueShutDown));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueShutDown;

impl fmt::Display for QueueShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down and empty")
    }
}

impl Error for QueueShutDown {}

/// [`put`](super::Queue::put) found the queue shut down (asyncio's `QueueShutDown`); the item
/// that was not put is handed back in the field.
///
/// ```
/// use corio::queue::{PutError, Queue};
///
/// corio::run(async {
///     let queue = Queue::new(0);
///     queue.shutdown();
///     let PutError(item) = queue.put("job").await.unwrap_err();
///     assert_eq!(item, "job");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PutError<T>(pub T);

impl<T> PutError<T> {
    /// The item that could not be put.
    ///
    /// ```
    /// use corio::queue::PutError;
    ///
    /// assert_eq!(PutError(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PutError(..)")
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down")
    }
}

impl<T> Error for PutError<T> {}

/// Why [`try_put`](super::Queue::try_put) could not put its item, which it hands back.
///
/// ```
/// use corio::queue::{Queue, TryPutError};
///
/// let queue = Queue::new(1);
/// queue.try_put(1).unwrap();
/// assert_eq!(queue.try_put(2), Err(TryPutError::Full(2)));
/// queue.shutdown();
/// assert_eq!(queue.try_put(3), Err(TryPutError::ShutDown(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryPutError<T> {
    /// The queue holds `maxsize` items (asyncio's `QueueFull`).
    Full(T),
    /// The queue is shut down (asyncio's `QueueShutDown`).
    ShutDown(T),
}

impl<T> TryPutError<T> {
    /// The item that could not be put.
    ///
    /// ```
    /// use corio::queue::TryPutError;
    ///
    /// assert_eq!(TryPutError::Full("job").into_inner(), "job");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(item) | TryPutError::ShutDown(item) => item,
        }
    }

    /// Whether the queue was full.
    ///
    /// ```
    /// use corio::queue::TryPutError;
    ///
    /// assert!(TryPutError::Full(1).is_full());
    /// assert!(!TryPutError::ShutDown(1).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// Whether the queue was shut down.
    ///
    /// ```
    /// use corio::queue::TryPutError;
    ///
    /// assert!(TryPutError::ShutDown(1).is_shut_down());
    /// assert!(!TryPutError::Full(1).is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryPutError::ShutDown(_))
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("the queue is full"),
            TryPutError::ShutDown(_) => f.write_str("the queue is shut down"),
        }
    }
}

impl<T> Error for TryPutError<T> {}

impl<T> From<PutError<T>> for TryPutError<T> {
    fn from(PutError(item): PutError<T>) -> TryPutError<T> {
        TryPutError::ShutDown(item)
    }
}

/// Why [`try_get`](super::Queue::try_get) returned no item.
///
/// ```
/// use corio::queue::{Queue, TryGetError};
///
/// let queue = Queue::<u32>::new(0);
/// assert_eq!(queue.try_get(), Err(TryGetError::Empty));
/// queue.shutdown();
/// assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryGetError {
    /// The queue holds no item right now (asyncio's `QueueEmpty`).
    Empty,
    /// The queue is shut down and holds no item (asyncio's `QueueShutDown`): none will come.
    ShutDown,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("the queue is empty"),
            TryGetError::ShutDown => f.write_str("the queue is shut down and empty"),
        }
    }
}

impl Error for TryGetError {}

impl From<QueueShutDown> for TryGetError {
    fn from(_: QueueShutDown) -> TryGetError {
        TryGetError::ShutDown
    }
}
