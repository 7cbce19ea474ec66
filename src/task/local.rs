//! Task-local values (asyncio's `contextvars` as seen by one task).
//!
//! A value is bound to a *future* with [`LocalKey::scope`], not to a thread: around every poll
//! of that future the value is moved into a thread-local slot and moved back out afterwards.
//! So the value follows the task from worker to worker, and another task polled on the same
//! thread never sees it.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::LocalKey as ThreadLocalKey;

use pin_project_lite::pin_project;

/// Declares task-local keys (like `thread_local!`, for tasks).
///
/// ```
/// corio::task_local! {
///     static REQUEST_ID: u64;
/// }
///
/// corio::run(async {
///     let id = REQUEST_ID
///         .scope(42, async {
///             corio::task::yield_now().await;
///             REQUEST_ID.get()
///         })
///         .await;
///     assert_eq!(id, 42);
///     assert!(REQUEST_ID.try_with(|id| *id).is_err()); // not set outside the scope
/// });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __KEY: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey { inner: __KEY }
        };
    };
}

/// A key for task-local data, declared with [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    #[doc(hidden)]
    pub inner: ThreadLocalKey<RefCell<Option<T>>>,
}

/// The task-local value is not set: the code runs outside [`LocalKey::scope`] (or inside a
/// `with` of the same key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set: not inside its `LocalKey::scope`")
    }
}

impl std::error::Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    /// Runs `future` with the key set to `value`, for every poll of it.
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            slot: Some(value),
            future: Some(future),
        }
    }

    /// Runs `f` with the value set by the enclosing `scope`, synchronously (`scope` for a
    /// closure).
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut slot = Some(value);
        let _swap = Swap::enter(self, &mut slot);
        f()
    }

    /// Runs `f` with a reference to the value.
    ///
    /// # Panics
    /// Outside the key's `scope`; use [`try_with`](LocalKey::try_with).
    #[track_caller]
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        self.try_with(f)
            .unwrap_or_else(|error| panic!("`LocalKey::with`: {error}; use `try_with` to handle it"))
    }

    /// Runs `f` with a reference to the value, or fails outside the key's `scope`.
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        self.inner.with(|cell| {
            let value = cell.try_borrow().map_err(|_| AccessError(()))?;
            value.as_ref().map(f).ok_or(AccessError(()))
        })
    }

    /// A copy of the value.
    ///
    /// # Panics
    /// Outside the key's `scope`.
    #[track_caller]
    pub fn get(&'static self) -> T
    where
        T: Clone,
    {
        self.with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalKey { .. }")
    }
}

/// Moves a value into the thread-local slot for the lifetime of the guard, and back out on
/// drop (also when the poll panics), restoring what the slot held before (nested scopes).
struct Swap<'a, T: 'static> {
    key: &'static LocalKey<T>,
    slot: &'a mut Option<T>,
}

impl<'a, T: 'static> Swap<'a, T> {
    fn enter(key: &'static LocalKey<T>, slot: &'a mut Option<T>) -> Swap<'a, T> {
        key.inner
            .with(|cell| std::mem::swap(&mut *cell.borrow_mut(), slot));
        Swap { key, slot }
    }
}

impl<T: 'static> Drop for Swap<'_, T> {
    fn drop(&mut self) {
        let slot = &mut *self.slot;
        let _ = self
            .key
            .inner
            .try_with(|cell| std::mem::swap(&mut *cell.borrow_mut(), slot));
    }
}

pin_project! {
    /// The future returned by [`LocalKey::scope`].
    pub struct TaskLocalFuture<T: 'static, F> {
        key: &'static LocalKey<T>,
        slot: Option<T>,
        // `None` once dropped by our own `Drop`.
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Drop the future inside its scope: its destructors (asyncio's `finally`
                // blocks, run on cancellation) see the value too.
                let _swap = Swap::enter(this.key, this.slot);
                this.future.set(None);
            }
        }
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _swap = Swap::enter(this.key, this.slot);
        let future = this
            .future
            .as_pin_mut()
            .expect("`TaskLocalFuture` polled after it was dropped");
        future.poll(cx)
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TaskLocalFuture { .. }")
    }
}
