//! asyncio queues: [`Queue`] (first in, first out), [`PriorityQueue`] (smallest first) and
//! [`LifoQueue`] (newest first), multi-producer multi-consumer and shareable across worker
//! threads (`Send + Sync` for `Send` items; share them through an `Arc`).
//!
//! They follow asyncio 3.13 exactly: `put` waits while the queue holds `maxsize` items, `get`
//! waits while it is empty; every item put counts as *unfinished* until a consumer calls
//! `task_done` for it, and `join` waits until none is unfinished. `shutdown` makes every `put`
//! fail (handing its item back) while `get` drains what is left, then fails;
//! `shutdown_immediate` also discards the items left, counting each as done.
//!
//! | asyncio | corio |
//! |---|---|
//! | `Queue(maxsize)`, `PriorityQueue`, `LifoQueue` | [`Queue::new`], [`PriorityQueue::new`], [`LifoQueue::new`] (0: unbounded) |
//! | `await q.put(x)`, `await q.get()` | [`Queue::put`], [`Queue::get`] |
//! | `q.put_nowait(x)`, `q.get_nowait()` | [`Queue::try_put`], [`Queue::try_get`] |
//! | `qsize()`, `empty()`, `full()`, `maxsize` | [`Queue::len`], [`Queue::is_empty`], [`Queue::is_full`], [`Queue::capacity`] |
//! | `task_done()`, `await q.join()` | [`Queue::task_done`], [`Queue::join`] |
//! | `shutdown()`, `shutdown(immediate=True)` | [`Queue::shutdown`], [`Queue::shutdown_immediate`] |
//! | `QueueEmpty`, `QueueFull` | [`TryGetError::Empty`], [`TryPutError::Full`] |
//! | `QueueShutDown` | [`QueueShutDown`] (`get`), [`PutError`] (`put`), the `ShutDown` variants |
//!
//! # Design
//! The three types share one implementation (`shared.rs`), generic over where the items are kept:
//! a `VecDeque`, a `Vec` or a `BinaryHeap`. Its state and its three waiter lists (getters,
//! putters, joiners) live under one lock; waiters are woken in FIFO order, one per item put or
//! slot freed, and re-check the queue when they run, as asyncio's do. Every future is
//! cancel-safe: a getter (putter) dropped after being told an item (a free slot) is there passes
//! that on to the next waiter, so no item is stranded while a getter sleeps.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use corio::queue::Queue;
//!
//! corio::run(async {
//!     let queue = Arc::new(Queue::new(8));
//!     let worker = {
//!         let queue = queue.clone();
//!         corio::spawn(async move {
//!             let mut sum = 0;
//!             while let Ok(n) = queue.get().await {
//!                 sum += n;
//!                 queue.task_done();
//!             }
//!             sum
//!         })
//!     };
//!     for n in 1..=100 {
//!         queue.put(n).await.unwrap();
//!     }
//!     queue.join().await; // every item was processed
//!     queue.shutdown(); // the worker's `get` fails once the queue is empty
//!     assert_eq!(worker.await.unwrap(), 5050);
//! });
//! ```

mod error;
mod shared;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;

pub use self::error::{PutError, QueueShutDown, TryGetError, TryPutError};
use self::shared::Core;

/// The methods of the three queue types, written once: each delegates to the shared core, and
/// its documentation names the type it is generated for.
macro_rules! queue_methods {
    ($name:ident, $storage:ty) => {
        #[doc = concat!("Creates a `", stringify!($name), "` that holds at most `maxsize` items; 0 means unbounded.")]
        ///
        /// ```
        #[doc = concat!("use corio::queue::", stringify!($name), ";")]
        ///
        #[doc = concat!("let bounded = ", stringify!($name), "::<u32>::new(8);")]
        /// assert_eq!(bounded.capacity(), Some(8));
        #[doc = concat!("let unbounded = ", stringify!($name), "::<u32>::new(0);")]
        /// assert_eq!(unbounded.capacity(), None);
        /// ```
        pub fn new(maxsize: usize) -> Self {
            Self { core: Core::<$storage>::new(maxsize) }
        }

        /// Puts `item` into the queue, waiting while it is full (asyncio's `put`).
        ///
        /// Waiting putters get free slots in the order they started waiting. Cancel-safe: if
        /// the future is dropped before completing, the item is dropped with it and was not
        /// put, and a free slot it had been told about goes to the next putter.
        ///
        /// # Errors
        /// [`PutError`], with the item, if the queue is shut down (asyncio's `QueueShutDown`),
        /// including while this call waits.
        ///
        /// ```
        #[doc = concat!("use corio::queue::", stringify!($name), ";")]
        ///
        /// corio::run(async {
        #[doc = concat!("    let queue = ", stringify!($name), "::new(1);")]
        ///     queue.put("first").await.unwrap();
        ///     assert!(queue.is_full()); // a second `put` would wait for a `get`
        ///     queue.shutdown();
        ///     assert_eq!(queue.put("second").await.unwrap_err().into_inner(), "second");
        /// });
        /// ```
        pub async fn put(&self, item: T) -> Result<(), PutError<T>> {
            self.core.put(item).await
        }

        /// Removes and returns an item, waiting while the queue is empty (asyncio's `get`).
        ///
        /// Waiting getters are woken in the order they started waiting. Cancel-safe: a future
        /// dropped before completing has taken no item, and an item it had been told about
        /// goes to the next getter.
        ///
        /// # Errors
        /// [`QueueShutDown`] once the queue is shut down and empty: after
        /// [`shutdown`](Self::shutdown) the items left are still handed out first.
        ///
        /// ```
        /// use std::sync::Arc;
        #[doc = concat!("use corio::queue::", stringify!($name), ";")]
        ///
        /// corio::run(async {
        #[doc = concat!("    let queue = Arc::new(", stringify!($name), "::new(0));")]
        ///     let producer = {
        ///         let queue = queue.clone();
        ///         corio::spawn(async move { queue.put(42).await.unwrap() })
        ///     };
        ///     assert_eq!(queue.get().await, Ok(42)); // waits for the producer if need be
        ///     producer.await.unwrap();
        /// });
        /// ```
        pub async fn get(&self) -> Result<T, QueueShutDown> {
            self.core.get().await
        }

        /// Puts `item` into the queue if it is not full, without waiting (asyncio's
        /// `put_nowait`).
        ///
        /// # Errors
        /// [`TryPutError::Full`] (asyncio's `QueueFull`) or [`TryPutError::ShutDown`]
        /// (`QueueShutDown`), both handing the item back.
        ///
        /// ```
        #[doc = concat!("use corio::queue::{", stringify!($name), ", TryPutError};")]
        ///
        #[doc = concat!("let queue = ", stringify!($name), "::new(1);")]
        /// assert_eq!(queue.try_put(1), Ok(()));
        /// assert_eq!(queue.try_put(2), Err(TryPutError::Full(2)));
        /// ```
        pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
            self.core.try_put(item)
        }

        /// Removes and returns an item if one is there, without waiting (asyncio's
        /// `get_nowait`).
        ///
        /// # Errors
        /// [`TryGetError::Empty`] (asyncio's `QueueEmpty`) if the queue holds no item, or
        /// [`TryGetError::ShutDown`] (`QueueShutDown`) if it holds none and is shut down.
        ///
        /// ```
        #[doc = concat!("use corio::queue::{", stringify!($name), ", TryGetError};")]
        ///
        #[doc = concat!("let queue = ", stringify!($name), "::new(0);")]
        /// assert_eq!(queue.try_get(), Err(TryGetError::Empty));
        /// queue.try_put(7).unwrap();
        /// assert_eq!(queue.try_get(), Ok(7));
        /// ```
        pub fn try_get(&self) -> Result<T, TryGetError> {
            self.core.try_get()
        }

        /// The number of items in the queue (asyncio's `qsize`).
        ///
        /// ```
        #[doc = concat!("let queue = corio::queue::", stringify!($name), "::new(0);")]
        /// queue.try_put(1).unwrap();
        /// queue.try_put(2).unwrap();
        /// assert_eq!(queue.len(), 2);
        /// ```
        pub fn len(&self) -> usize {
            self.core.len()
        }

        /// Whether the queue holds no item (asyncio's `empty`).
        ///
        /// ```
        #[doc = concat!("let queue = corio::queue::", stringify!($name), "::new(0);")]
        /// assert!(queue.is_empty());
        /// queue.try_put(1).unwrap();
        /// assert!(!queue.is_empty());
        /// ```
        pub fn is_empty(&self) -> bool {
            self.core.len() == 0
        }

        /// Whether the queue holds `maxsize` items, so that `put` would wait (asyncio's
        /// `full`). An unbounded queue is never full.
        ///
        /// ```
        #[doc = concat!("let queue = corio::queue::", stringify!($name), "::new(1);")]
        /// assert!(!queue.is_full());
        /// queue.try_put(1).unwrap();
        /// assert!(queue.is_full());
        /// ```
        pub fn is_full(&self) -> bool {
            self.core.is_full()
        }

        /// The `maxsize` the queue was created with, `None` if unbounded (asyncio's
        /// `maxsize`).
        ///
        /// ```
        #[doc = concat!("use corio::queue::", stringify!($name), ";")]
        ///
        #[doc = concat!("assert_eq!(", stringify!($name), "::<u8>::new(4).capacity(), Some(4));")]
        #[doc = concat!("assert_eq!(", stringify!($name), "::<u8>::new(0).capacity(), None);")]
        /// ```
        pub fn capacity(&self) -> Option<usize> {
            self.core.capacity()
        }

        /// Marks one item taken from the queue as processed (asyncio's `task_done`).
        ///
        /// Every item put counts as unfinished until `task_done` is called for it; when no
        /// item is unfinished, [`join`](Self::join) returns.
        ///
        /// # Panics
        /// If called more times than items were put (asyncio's `ValueError`): a programming
        /// error, the message names the call.
        ///
        /// ```
        /// corio::run(async {
        #[doc = concat!("    let queue = corio::queue::", stringify!($name), "::new(0);")]
        ///     queue.put("job").await.unwrap();
        ///     let _job = queue.get().await.unwrap();
        ///     queue.task_done(); // `join` no longer waits for "job"
        ///     queue.join().await;
        /// });
        /// ```
        pub fn task_done(&self) {
            self.core.task_done()
        }

        /// Waits until every item put has been marked processed with
        /// [`task_done`](Self::task_done) (asyncio's `join`); returns at once if none is
        /// unfinished.
        ///
        /// Like asyncio's, a `join` woken by the count reaching zero returns even if new items
        /// are put before it runs.
        ///
        /// ```
        /// use std::sync::Arc;
        #[doc = concat!("use corio::queue::", stringify!($name), ";")]
        ///
        /// corio::run(async {
        #[doc = concat!("    let queue = Arc::new(", stringify!($name), "::new(0));")]
        ///     for n in 0..10 {
        ///         queue.put(n).await.unwrap();
        ///     }
        ///     let consumer = {
        ///         let queue = queue.clone();
        ///         corio::spawn(async move {
        ///             while let Ok(_n) = queue.try_get() {
        ///                 queue.task_done();
        ///             }
        ///         })
        ///     };
        ///     queue.join().await; // returns once the consumer marked all 10 done
        ///     assert!(queue.is_empty());
        ///     consumer.await.unwrap();
        /// });
        /// ```
        pub async fn join(&self) {
            self.core.join().await
        }

        /// Shuts the queue down (asyncio's `shutdown()`): from now on `put` and `try_put` fail
        /// handing their item back, including the `put`s waiting now; `get` and `try_get`
        /// return the items left, then fail with [`QueueShutDown`] and
        /// [`TryGetError::ShutDown`]. Every waiting getter and putter is woken.
        ///
        /// ```
        #[doc = concat!("use corio::queue::{", stringify!($name), ", QueueShutDown};")]
        ///
        /// corio::run(async {
        #[doc = concat!("    let queue = ", stringify!($name), "::new(0);")]
        ///     queue.put(1).await.unwrap();
        ///     queue.shutdown();
        ///     assert!(queue.put(2).await.is_err());
        ///     assert_eq!(queue.get().await, Ok(1)); // drains what is left
        ///     assert_eq!(queue.get().await, Err(QueueShutDown));
        /// });
        /// ```
        pub fn shutdown(&self) {
            self.core.shutdown()
        }

        /// Shuts the queue down and discards the items left (asyncio's
        /// `shutdown(immediate=True)`): each discarded item counts as done for
        /// [`join`](Self::join), and every waiting getter and putter fails at once.
        ///
        /// ```
        #[doc = concat!("use corio::queue::{", stringify!($name), ", QueueShutDown};")]
        ///
        /// corio::run(async {
        #[doc = concat!("    let queue = ", stringify!($name), "::new(0);")]
        ///     queue.put(1).await.unwrap();
        ///     queue.shutdown_immediate();
        ///     assert!(queue.is_empty());
        ///     queue.join().await; // the discarded item counts as done
        ///     assert_eq!(queue.get().await, Err(QueueShutDown));
        /// });
        /// ```
        pub fn shutdown_immediate(&self) {
            self.core.shutdown_immediate()
        }
    };
}

/// A first-in, first-out queue (asyncio's `Queue`): `get` returns the oldest item.
///
/// Multi-producer, multi-consumer, `Send + Sync` for `Send` items; share it through an `Arc`.
/// See the [module documentation](self) for the semantics shared by the three queue types.
///
/// ```
/// use corio::queue::Queue;
///
/// corio::run(async {
///     let queue = Queue::new(0);
///     for n in [3, 1, 2] {
///         queue.put(n).await.unwrap();
///     }
///     assert_eq!(queue.get().await, Ok(3));
///     assert_eq!(queue.get().await, Ok(1));
///     assert_eq!(queue.get().await, Ok(2));
/// });
/// ```
pub struct Queue<T> {
    core: Core<VecDeque<T>>,
}

impl<T> Queue<T> {
    queue_methods!(Queue, VecDeque<T>);
}

/// A priority queue (asyncio's `PriorityQueue`): `get` returns the smallest item.
///
/// Use a `(priority, data)` tuple, as in asyncio, or [`std::cmp::Reverse`] for largest first.
/// Items of equal priority come out in no particular order. Multi-producer, multi-consumer,
/// `Send + Sync` for `Send` items.
///
/// ```
/// use corio::queue::PriorityQueue;
///
/// corio::run(async {
///     let queue = PriorityQueue::new(0);
///     for job in [(2, "write"), (0, "urgent"), (1, "read")] {
///         queue.put(job).await.unwrap();
///     }
///     assert_eq!(queue.get().await, Ok((0, "urgent")));
///     assert_eq!(queue.get().await, Ok((1, "read")));
///     assert_eq!(queue.get().await, Ok((2, "write")));
/// });
/// ```
pub struct PriorityQueue<T: Ord> {
    core: Core<BinaryHeap<Reverse<T>>>,
}

impl<T: Ord> PriorityQueue<T> {
    queue_methods!(PriorityQueue, BinaryHeap<Reverse<T>>);
}

/// A last-in, first-out queue, i.e. a stack (asyncio's `LifoQueue`): `get` returns the newest
/// item. Multi-producer, multi-consumer, `Send + Sync` for `Send` items.
///
/// ```
/// use corio::queue::LifoQueue;
///
/// corio::run(async {
///     let queue = LifoQueue::new(0);
///     for n in [3, 1, 2] {
///         queue.put(n).await.unwrap();
///     }
///     assert_eq!(queue.get().await, Ok(2));
///     assert_eq!(queue.get().await, Ok(1));
///     assert_eq!(queue.get().await, Ok(3));
/// });
/// ```
pub struct LifoQueue<T> {
    core: Core<Vec<T>>,
}

impl<T> LifoQueue<T> {
    queue_methods!(LifoQueue, Vec<T>);
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

impl<T: Ord> fmt::Debug for PriorityQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

impl<T> fmt::Debug for LifoQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}
