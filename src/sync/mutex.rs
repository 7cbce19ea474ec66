//! A FIFO-fair async mutex (asyncio's `Lock`).
//!
//! # Algorithm
//!
//! The mutex is a [`Semaphore`] with one permit next to the data in an `UnsafeCell`. Locking
//! acquires the permit; the guard gives it back when dropped. Everything about waiting comes from
//! the semaphore: waiters are served in FIFO order, the permit is handed directly to the next
//! waiter on unlock (no barging), and a lock future dropped after it was handed the permit
//! passes it on to the next waiter.
//!
//! The single invariant that makes the `unsafe` data access sound: a guard exists only while
//! its holder owns the semaphore's single permit, and the semaphore is never closed nor given
//! more permits, so at most one guard exists at a time.

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::semaphore::{Semaphore, TryAcquireError};

/// An async mutual-exclusion lock, FIFO-fair (asyncio's `Lock`).
///
/// [`lock`](Self::lock) waits without blocking the thread; tasks get the lock in the order they
/// asked for it. The data is reached through the [`MutexGuard`], which unlocks when dropped.
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::Mutex;
///
/// corio::run(async {
///     let counter = Arc::new(Mutex::new(0));
///     let tasks: Vec<_> = (0..4)
///         .map(|_| {
///             let counter = counter.clone();
///             corio::spawn(async move { *counter.lock().await += 1 })
///         })
///         .collect();
///     for task in tasks {
///         task.await.unwrap();
///     }
///     assert_eq!(*counter.lock().await, 4);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    semaphore: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands out access to `T` to one holder at a time (see the module doc), so
// sharing it between threads only ever moves that access between them: `T: Send` suffices.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// The error of [`Mutex::try_lock`] and [`RwLock::try_read`](super::RwLock::try_read) /
/// [`try_write`](super::RwLock::try_write): the lock is held (or queued for).
///
/// ```
/// let mutex = corio::sync::Mutex::new(());
/// let _guard = mutex.try_lock().unwrap();
/// let error = mutex.try_lock().unwrap_err();
/// assert_eq!(error.to_string(), "the lock is held by someone else");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(crate) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock is held by someone else")
    }
}

impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    ///
    /// ```
    /// let mutex = corio::sync::Mutex::new(5);
    /// assert!(!mutex.is_locked());
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: Semaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex, returning the data.
    ///
    /// ```
    /// let mutex = corio::sync::Mutex::new(String::from("data"));
    /// assert_eq!(mutex.into_inner(), "data");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock, FIFO: tasks get it in the order they called `lock`.
    ///
    /// Cancel-safe: if the future is dropped after the lock was handed to it, the lock passes
    /// to the next waiter.
    ///
    /// ```
    /// corio::run(async {
    ///     let mutex = corio::sync::Mutex::new(1);
    ///     let mut guard = mutex.lock().await;
    ///     *guard += 1;
    ///     drop(guard);
    ///     assert_eq!(*mutex.lock().await, 2);
    /// });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        if self.semaphore.acquire_raw(1).await.is_err() {
            unreachable!("a mutex's semaphore is never closed");
        }
        MutexGuard { lock: self }
    }

    /// Takes the lock if it is free and nobody is queued for it.
    ///
    /// ```
    /// let mutex = corio::sync::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// assert!(mutex.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire_raw(1) {
            Ok(()) => Ok(MutexGuard { lock: self }),
            Err(TryAcquireError::NoPermits) => Err(TryLockError(())),
            Err(TryAcquireError::Closed) => unreachable!("a mutex's semaphore is never closed"),
        }
    }

    /// Waits for the lock (as [`lock`](Self::lock)), returning a guard that owns a handle to the
    /// mutex, so it can move into a spawned task.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// corio::run(async {
    ///     let mutex = Arc::new(corio::sync::Mutex::new(0));
    ///     let mut guard = mutex.clone().lock_owned().await;
    ///     corio::spawn(async move { *guard += 1 }).await.unwrap();
    ///     assert_eq!(*mutex.lock().await, 1);
    /// });
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        if self.semaphore.acquire_raw(1).await.is_err() {
            unreachable!("a mutex's semaphore is never closed");
        }
        OwnedMutexGuard { lock: self }
    }

    /// Takes the lock if possible, as an owned guard.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(corio::sync::Mutex::new(0));
    /// let _guard = mutex.clone().try_lock_owned().unwrap();
    /// assert!(mutex.is_locked());
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.semaphore.try_acquire_raw(1) {
            Ok(()) => Ok(OwnedMutexGuard { lock: self }),
            Err(TryAcquireError::NoPermits) => Err(TryLockError(())),
            Err(TryAcquireError::Closed) => unreachable!("a mutex's semaphore is never closed"),
        }
    }

    /// Whether the lock is held (or already handed to a waiter that has not run yet).
    ///
    /// ```
    /// let mutex = corio::sync::Mutex::new(());
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.is_locked());
    /// drop(guard);
    /// assert!(!mutex.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.semaphore.available_permits() == 0
    }

    /// A mutable reference to the data; no locking needed, `&mut self` proves exclusivity.
    ///
    /// ```
    /// let mut mutex = corio::sync::Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => debug.field("data", &&*guard),
            Err(_) => debug.field("data", &format_args!("<locked>")),
        };
        debug.finish()
    }
}

/// Access to the data of a locked [`Mutex`]; unlocks when dropped.
///
/// ```
/// corio::run(async {
///     let mutex = corio::sync::Mutex::new(vec![1]);
///     let mut guard = mutex.lock().await;
///     guard.push(2);
///     assert_eq!(*guard, [1, 2]);
/// });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
}

// SAFETY: sharing the guard shares `&T` between threads, which needs `T: Sync`; the automatic
// impl would only ask for `Mutex<T>: Sync`, i.e. `T: Send`.
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks (for [`Condvar`](super::Condvar), which unlocks and relocks
    /// it).
    pub(crate) fn mutex(guard: &Self) -> &'a Mutex<T> {
        guard.lock
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard's existence proves its holder owns the mutex's only permit (module
        // doc), so no `&mut T` exists elsewhere.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard owns the only permit and is borrowed mutably, so this is the only
        // reference to the data.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Access to the data of a locked `Arc<Mutex>`; unlocks when dropped. Unlike [`MutexGuard`] it
/// borrows nothing, so it can move into a spawned task.
///
/// ```
/// use std::sync::Arc;
///
/// corio::run(async {
///     let mutex = Arc::new(corio::sync::Mutex::new(1));
///     let guard = mutex.clone().lock_owned().await;
///     assert!(Arc::ptr_eq(guard.mutex(), &mutex));
///     assert_eq!(*guard, 1);
/// });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
}

// SAFETY: as for `MutexGuard`: sharing the guard shares `&T`, which needs `T: Sync`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(corio::sync::Mutex::new(()));
    /// let guard = mutex.clone().try_lock_owned().unwrap();
    /// assert!(guard.mutex().is_locked());
    /// ```
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.lock
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard owns the mutex's only permit, so no `&mut T` exists elsewhere.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard owns the only permit and is borrowed mutably, so this is the only
        // reference to the data.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
