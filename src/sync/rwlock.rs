//! A fair async reader-writer lock.
//!
//! # Algorithm
//!
//! tokio's construction: a [`Semaphore`] with [`MAX_READS`] permits next to the data in an
//! `UnsafeCell`. A reader takes one permit, a writer takes all of them. Because the semaphore
//! is FIFO and a large request blocks every later one, the lock is fair: a queued writer waits
//! for the readers inside to leave, and readers arriving after it queue behind it (no writer
//! starvation); readers with nobody queued before them go in together.
//!
//! Invariant behind the `unsafe` data accesses: a write guard exists only while its holder
//! owns all `MAX_READS` permits (so no other guard exists), and a read guard only while its
//! holder owns one (so no write guard exists). The semaphore is never closed nor given more
//! permits.

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::mutex::TryLockError;
use super::semaphore::{Semaphore, TryAcquireError};

/// The most readers inside at once (`u32::MAX >> 3`, tokio's value); more wait for one to
/// leave. A writer takes this many permits.
const MAX_READS: usize = (u32::MAX >> 3) as usize;

/// An async reader-writer lock: many readers or one writer, fair between them.
///
/// Readers overlap; a writer excludes everybody. Requests are served in FIFO order, so a
/// waiting writer blocks readers that come after it, and it gets the lock once the readers
/// before it are done.
///
/// ```
/// use corio::sync::RwLock;
///
/// corio::run(async {
///     let lock = RwLock::new(5);
///     {
///         let first = lock.read().await;
///         let second = lock.read().await;
///         assert_eq!(*first + *second, 10);
///     }
///     *lock.write().await += 1;
///     assert_eq!(*lock.read().await, 6);
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    semaphore: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: readers on several threads share `&T` (needs `T: Sync`), and a writer on any thread
// gets `&mut T`, which moves access between threads (needs `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new, unlocked lock holding `value`.
    ///
    /// ```
    /// let lock = corio::sync::RwLock::new(1);
    /// assert!(lock.try_write().is_ok());
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            semaphore: Semaphore::new(MAX_READS),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock, returning the data.
    ///
    /// ```
    /// let lock = corio::sync::RwLock::new(3);
    /// assert_eq!(lock.into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared read access. Readers go in together unless a writer is queued before
    /// them. Cancel-safe.
    ///
    /// ```
    /// corio::run(async {
    ///     let lock = corio::sync::RwLock::new(1);
    ///     let a = lock.read().await;
    ///     let b = lock.read().await;
    ///     assert_eq!(*a, *b);
    /// });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        if self.semaphore.acquire_raw(1).await.is_err() {
            unreachable!("a RwLock's semaphore is never closed");
        }
        RwLockReadGuard { lock: self }
    }

    /// Waits for exclusive write access, in FIFO order with the other requests. Cancel-safe:
    /// a write future dropped after being handed the lock passes it on.
    ///
    /// ```
    /// corio::run(async {
    ///     let lock = corio::sync::RwLock::new(1);
    ///     *lock.write().await = 2;
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        if self.semaphore.acquire_raw(MAX_READS).await.is_err() {
            unreachable!("a RwLock's semaphore is never closed");
        }
        RwLockWriteGuard { lock: self }
    }

    /// Takes read access if no writer holds or waits for the lock.
    ///
    /// ```
    /// let lock = corio::sync::RwLock::new(1);
    /// let _reader = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_ok());
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire_raw(1) {
            Ok(()) => Ok(RwLockReadGuard { lock: self }),
            Err(TryAcquireError::NoPermits) => Err(TryLockError(())),
            Err(TryAcquireError::Closed) => unreachable!("a RwLock's semaphore is never closed"),
        }
    }

    /// Takes write access if nobody holds or waits for the lock.
    ///
    /// ```
    /// let lock = corio::sync::RwLock::new(1);
    /// let writer = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_err());
    /// drop(writer);
    /// assert!(lock.try_read().is_ok());
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire_raw(MAX_READS) {
            Ok(()) => Ok(RwLockWriteGuard { lock: self }),
            Err(TryAcquireError::NoPermits) => Err(TryLockError(())),
            Err(TryAcquireError::Closed) => unreachable!("a RwLock's semaphore is never closed"),
        }
    }

    /// A mutable reference to the data; no locking needed, `&mut self` proves exclusivity.
    ///
    /// ```
    /// let mut lock = corio::sync::RwLock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => debug.field("data", &&*guard),
            Err(_) => debug.field("data", &format_args!("<locked>")),
        };
        debug.finish()
    }
}

/// Shared read access to the data of a [`RwLock`]; released when dropped.
///
/// ```
/// corio::run(async {
///     let lock = corio::sync::RwLock::new(String::from("text"));
///     let guard = lock.read().await;
///     assert_eq!(guard.len(), 4);
/// });
/// ```
#[must_use = "the read access is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a read guard owns one permit, so no write guard (which needs all of them)
        // exists: nobody holds `&mut T`.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive write access to the data of a [`RwLock`]; released when dropped.
///
/// ```
/// corio::run(async {
///     let lock = corio::sync::RwLock::new(vec![1]);
///     lock.write().await.push(2);
///     assert_eq!(*lock.read().await, [1, 2]);
/// });
/// ```
#[must_use = "the write access is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a write guard owns every permit, so no other guard exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a write guard owns every permit, so no other guard exists, and it is borrowed
        // mutably: this is the only reference to the data.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
