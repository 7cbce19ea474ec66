//! A cell initialized at most once, by an async initializer.
//!
//! # Algorithm
//!
//! tokio's construction: the value lives in an `UnsafeCell<MaybeUninit<T>>`, published by an
//! `initialized` flag, and a [`Semaphore`] with one permit elects the initializer.
//!
//! - A caller that finds the flag set reads the value: no lock.
//! - Otherwise it acquires the permit (FIFO) and, holding it, re-checks the flag, runs the
//!   initializer, writes the value, sets the flag with `Release`, then *closes* the semaphore
//!   and forgets the permit. Closing wakes every caller queued for the permit with an error,
//!   which tells them to read the value.
//! - If the initializer is cancelled (its future dropped), fails (`get_or_try_init`) or panics,
//!   the permit is dropped and goes to the next queued caller, who initializes instead.
//!
//! Invariant: the value is written only by the holder of the permit while the flag is unset,
//! and read only after the flag is seen set (`Acquire`); once set, the flag stays set (until
//! `take` with `&mut self`) and the value is never written again.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::mem::MaybeUninit;

use super::semaphore::{Semaphore, SemaphorePermit, TryAcquireError};
use crate::loom::{AtomicBool, Ordering};

/// A cell that is written once, by the first caller of
/// [`get_or_init`](Self::get_or_init) (or [`set`](Self::set)), and read freely afterwards.
///
/// Concurrent callers of `get_or_init` wait for the one that runs its initializer and all see
/// its value; the initializer runs once. If it is cancelled, the next waiting caller runs its
/// own.
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::OnceCell;
///
/// corio::run(async {
///     let cell = Arc::new(OnceCell::new());
///     let tasks: Vec<_> = (0..4)
///         .map(|i| {
///             let cell = cell.clone();
///             corio::spawn(async move { *cell.get_or_init(|| async move { i }).await })
///         })
///         .collect();
///     let mut seen = Vec::new();
///     for task in tasks {
///         seen.push(task.await.unwrap());
///     }
///     assert!(seen.iter().all(|&value| value == seen[0]));
///     assert_eq!(cell.get(), Some(&seen[0]));
/// });
/// ```
pub struct OnceCell<T> {
    initialized: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
    /// One permit: whoever holds it may initialize. Closed once the value is set.
    init_permit: Semaphore,
}

// SAFETY: the value is written once, by one thread (the permit holder), before `initialized`
// is published, then only shared as `&T` (needs `T: Sync`); it may be written on one thread
// and dropped or taken on another (needs `T: Send`).
unsafe impl<T: Send + Sync> Sync for OnceCell<T> {}

/// The error of [`OnceCell::set`]; it hands the value back.
///
/// ```
/// use corio::sync::{OnceCell, SetError};
///
/// let cell = OnceCell::new();
/// cell.set(1).unwrap();
/// assert_eq!(cell.set(2), Err(SetError::AlreadyInitializedError(2)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitializedError(T),
    /// Another caller is initializing the cell right now.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// The value that could not be stored.
    ///
    /// ```
    /// let cell = corio::sync::OnceCell::new();
    /// cell.set(1).unwrap();
    /// assert_eq!(cell.set(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SetError::AlreadyInitializedError(value) | SetError::InitializingError(value) => value,
        }
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("the OnceCell is already initialized"),
            SetError::InitializingError(_) => f.write_str("the OnceCell is being initialized"),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for SetError<T> {}

impl<T> OnceCell<T> {
    /// An empty cell.
    ///
    /// ```
    /// let cell = corio::sync::OnceCell::<u32>::new();
    /// assert!(!cell.initialized());
    /// ```
    pub fn new() -> OnceCell<T> {
        OnceCell {
            initialized: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            init_permit: Semaphore::new(1),
        }
    }

    /// Whether the cell holds a value.
    ///
    /// ```
    /// let cell = corio::sync::OnceCell::new();
    /// cell.set(1).unwrap();
    /// assert!(cell.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        // Acquire: pairs with the Release in `store_value`, so that a caller who sees `true`
        // and then reads the value sees it fully written.
        self.initialized.load(Ordering::Acquire)
    }

    /// The value, if the cell holds one.
    ///
    /// ```
    /// let cell = corio::sync::OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(3).unwrap();
    /// assert_eq!(cell.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        if self.initialized() {
            // SAFETY: the flag is set only after the value was written (Release/Acquire), and
            // the value is never written again while shared (module invariant).
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// A mutable reference to the value, if the cell holds one (`&mut self` proves nobody else
    /// is looking).
    ///
    /// ```
    /// let mut cell = corio::sync::OnceCell::new();
    /// cell.set(1).unwrap();
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if self.initialized() {
            // SAFETY: initialized (flag set), and `&mut self` makes this the only reference.
            Some(unsafe { self.value.get_mut().assume_init_mut() })
        } else {
            None
        }
    }

    /// Stores `value` if the cell is empty and nobody is initializing it; otherwise hands the
    /// value back in the error.
    ///
    /// ```
    /// use corio::sync::OnceCell;
    ///
    /// let cell = OnceCell::new();
    /// assert!(cell.set(1).is_ok());
    /// assert!(cell.set(2).is_err());
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        match self.init_permit.try_acquire() {
            Ok(permit) => {
                self.store_value(value, permit);
                Ok(())
            }
            Err(TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            Err(TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
        }
    }

    /// The value, running `init` to produce it if the cell is empty.
    ///
    /// Concurrent callers wait (in FIFO order) for the one initializing; `init` runs once. If
    /// the initializing caller is cancelled or panics, the next waiting caller runs its own
    /// `init`.
    ///
    /// ```
    /// corio::run(async {
    ///     let cell = corio::sync::OnceCell::new();
    ///     assert_eq!(*cell.get_or_init(|| async { 1 }).await, 1);
    ///     assert_eq!(*cell.get_or_init(|| async { 2 }).await, 1);
    /// });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        if let Some(value) = self.get() {
            return value;
        }
        match self.init_permit.acquire().await {
            Ok(permit) => {
                if let Some(value) = self.get() {
                    return value;
                }
                let value = init().await;
                self.store_value(value, permit)
            }
            Err(_closed) => self
                .get()
                .expect("the OnceCell's semaphore closes only once initialized"),
        }
    }

    /// The value, running the fallible `init` to produce it if the cell is empty. If `init`
    /// fails, the cell stays empty, the error is returned, and the next waiting caller tries.
    ///
    /// ```
    /// corio::run(async {
    ///     let cell = corio::sync::OnceCell::new();
    ///     let failed = cell.get_or_try_init(|| async { Err::<u32, _>("no") }).await;
    ///     assert_eq!(failed, Err("no"));
    ///     let value = cell.get_or_try_init(|| async { Ok::<_, &str>(5) }).await;
    ///     assert_eq!(value, Ok(&5));
    /// });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        match self.init_permit.acquire().await {
            Ok(permit) => {
                if let Some(value) = self.get() {
                    return Ok(value);
                }
                let value = init().await?;
                Ok(self.store_value(value, permit))
            }
            Err(_closed) => Ok(self
                .get()
                .expect("the OnceCell's semaphore closes only once initialized")),
        }
    }

    /// Takes the value out, leaving the cell empty (and initializable again).
    ///
    /// ```
    /// let mut cell = corio::sync::OnceCell::new();
    /// cell.set(1).unwrap();
    /// assert_eq!(cell.take(), Some(1));
    /// assert!(cell.set(2).is_ok());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        if !self.initialized() {
            return None;
        }
        self.initialized = AtomicBool::new(false);
        self.init_permit = Semaphore::new(1);
        // SAFETY: the value was initialized (flag was set); the flag is now unset, so it will
        // be neither read nor dropped again.
        Some(unsafe { self.value.get_mut().assume_init_read() })
    }

    /// Consumes the cell, returning its value if it holds one.
    ///
    /// ```
    /// let cell = corio::sync::OnceCell::new();
    /// cell.set("value").unwrap();
    /// assert_eq!(cell.into_inner(), Some("value"));
    /// ```
    pub fn into_inner(mut self) -> Option<T> {
        self.take()
    }

    /// Writes the value (we hold the permit and the flag is unset), publishes it, and closes
    /// the semaphore so that every queued caller reads it.
    fn store_value(&self, value: T, permit: SemaphorePermit<'_>) -> &T {
        // SAFETY: we hold the only permit and the flag is unset, so nobody reads or writes the
        // value concurrently (module invariant).
        unsafe { (*self.value.get()).write(value) };
        // Release: publishes the value written above to every `Acquire` load of the flag.
        self.initialized.store(true, Ordering::Release);
        self.init_permit.close();
        permit.forget();
        // SAFETY: just written and published; never written again while shared.
        unsafe { (*self.value.get()).assume_init_ref() }
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    /// A cell already holding `value`.
    ///
    /// ```
    /// let cell = corio::sync::OnceCell::from(1);
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    fn from(value: T) -> OnceCell<T> {
        let cell = OnceCell::new();
        if cell.set(value).is_err() {
            unreachable!("a new OnceCell is empty");
        }
        cell
    }
}

impl<T> Drop for OnceCell<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell").field("value", &self.get()).finish()
    }
}
