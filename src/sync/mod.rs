//! Synchronization primitives and channels (asyncio's `asyncio.locks`, cross-thread).
//!
//! Every primitive here is `Send + Sync`, works across worker threads, and is *cancel-safe*:
//! dropping a future that waits on it (at an `.await`, by `abort`, by a `timeout`) loses no
//! permit, item, notification or wake-up; whatever it had been handed passes on to the next
//! waiter. `Mutex` and `Semaphore` are FIFO-fair. All of them are built on one waiter list
//! (`waiters.rs`), kept inside the primitive's own lock so that "check, then wait" is atomic,
//! and written against the `loom` facade so that the loom models check the real code.
//!
//! | asyncio | corio |
//! |---|---|
//! | `Lock` | [`Mutex`] |
//! | `Event` | [`Event`] |
//! | `Condition` | [`Condvar`] |
//! | `Semaphore`, `BoundedSemaphore` | [`Semaphore`], [`BoundedSemaphore`] |
//! | `Barrier`, `BrokenBarrierError` | [`Barrier`], [`BrokenBarrierError`] |
//! | `Future` objects, messaging | [`oneshot`], [`mpsc`], [`broadcast`], [`watch`] |

pub(crate) mod waiters;

mod barrier;
mod condvar;
mod event;
mod mutex;
mod notify;
mod once_cell;
mod rwlock;
mod semaphore;

pub mod broadcast;
pub mod mpsc;
pub mod oneshot;
pub mod watch;

pub use barrier::*;
pub use condvar::*;
pub use event::*;
pub use mutex::*;
pub use notify::*;
pub use once_cell::*;
pub use rwlock::*;
pub use semaphore::*;
