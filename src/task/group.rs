//! `TaskGroup`: asyncio's structured concurrency, with `ExceptionGroup`-style errors.
//!
//! Children are ordinary tasks; the group keeps their handles in spawn order. `join` awaits
//! them as they complete (through `FuturesUnordered`, so a completion costs O(1)). The first
//! child that fails (returns `Err` or panics) makes the group abort every other child; `join`
//! then waits until each aborted child's future has been dropped — so no child outlives the
//! group — and reports *every* failure, in completion order, as asyncio's `ExceptionGroup`
//! does. A child cancelled by the group is not a failure. If the `join` future itself is
//! dropped, or the group is dropped without joining, every child is aborted: groups nest, and
//! cancelling an outer group cancels the inner ones through their owners.

use std::any::Any;
use std::fmt;
use std::future::Future;

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::{AbortHandle, JoinError, JoinHandle};

/// How one child of a [`TaskGroup`] failed.
pub enum Failure<E> {
    /// The child returned `Err`.
    Error(E),
    /// The child panicked; the payload is the panic's (as from `JoinError::into_panic`). A child
    /// cancelled from outside the group (at runtime shutdown) is reported here too, with its
    /// `JoinError` as the payload.
    Panic(Box<dyn Any + Send + 'static>),
}

impl<E: fmt::Debug> fmt::Debug for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(error) => f.debug_tuple("Error").field(error).finish(),
            Failure::Panic(payload) => f.debug_tuple("Panic").field(&panic_text(&**payload)).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(error) => write!(f, "{error}"),
            Failure::Panic(payload) => write!(f, "panicked: {}", panic_text(&**payload)),
        }
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else if let Some(error) = payload.downcast_ref::<JoinError>() {
        error.to_string()
    } else {
        "a non-string panic payload".to_string()
    }
}

/// Every failure of a [`TaskGroup`] (asyncio's `ExceptionGroup`), in the order they happened.
pub struct GroupError<E> {
    failures: Vec<Failure<E>>,
    children: usize,
}

impl<E> GroupError<E> {
    /// The failures, in the order they happened.
    pub fn failures(&self) -> &[Failure<E>] {
        &self.failures
    }

    /// The failures, owned.
    pub fn into_failures(self) -> Vec<Failure<E>> {
        self.failures
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupError")
            .field("failures", &self.failures)
            .field("children", &self.children)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} tasks in the group failed",
            self.failures.len(),
            self.children
        )?;
        for (i, failure) in self.failures.iter().enumerate() {
            write!(f, "{}{failure}", if i == 0 { ": " } else { "; " })?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}

/// A group of child tasks that succeed or fail together (asyncio's `TaskGroup`).
///
/// ```
/// use corio::task::{Failure, TaskGroup};
///
/// corio::run(async {
///     let mut group = TaskGroup::new();
///     for i in 1..=3u32 {
///         group.spawn(async move { Ok::<_, String>(i * 10) });
///     }
///     assert_eq!(group.join().await.unwrap(), vec![10, 20, 30]); // spawn order
///
///     let mut group = TaskGroup::new();
///     group.spawn(async { Err::<u32, _>("bad input".to_string()) });
///     group.spawn(async { std::future::pending().await }); // aborted by the failure
///     let error = group.join().await.unwrap_err();
///     assert!(matches!(&error.failures()[0], Failure::Error(e) if e == "bad input"));
/// });
/// ```
pub struct TaskGroup<T, E> {
    children: Vec<JoinHandle<Result<T, E>>>,
    aborts: Vec<AbortHandle>,
}

impl<T: Send + 'static, E: Send + 'static> TaskGroup<T, E> {
    /// An empty group.
    pub fn new() -> TaskGroup<T, E> {
        TaskGroup {
            children: Vec::new(),
            aborts: Vec::new(),
        }
    }

    /// Spawns a child on the current runtime (asyncio's `TaskGroup.create_task`).
    ///
    /// # Panics
    /// Outside a corio runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let handle = super::spawn(future);
        self.aborts.push(handle.abort_handle());
        self.children.push(handle);
    }

    /// Number of children.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether the group has no children.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Waits for the children: their values in spawn order, or every failure.
    pub async fn join(mut self) -> Result<Vec<T>, GroupError<E>> {
        let children = std::mem::take(&mut self.children);
        let count = children.len();
        let mut pending: FuturesUnordered<_> = children
            .into_iter()
            .enumerate()
            .map(|(index, child)| async move { (index, child.await) })
            .collect();
        let mut values: Vec<Option<T>> = (0..count).map(|_| None).collect();
        let mut failures = Vec::new();
        let mut aborting = false;
        // `self` stays alive to the end: if this future is dropped mid-way, its `Drop` aborts
        // every child still running.
        while let Some((index, outcome)) = pending.next().await {
            let failure = match outcome {
                Ok(Ok(value)) => {
                    values[index] = Some(value);
                    None
                }
                Ok(Err(error)) => Some(Failure::Error(error)),
                Err(error) if error.is_panic() => Some(Failure::Panic(error.into_panic())),
                // Cancelled because we aborted it: not a failure.
                Err(_) if aborting => None,
                Err(error) => Some(Failure::Panic(Box::new(error))),
            };
            if let Some(failure) = failure {
                failures.push(failure);
                if !aborting {
                    aborting = true;
                    self.abort_all();
                }
            }
        }
        if failures.is_empty() {
            Ok(values
                .into_iter()
                .map(|value| value.expect("every child succeeded"))
                .collect())
        } else {
            Err(GroupError {
                failures,
                children: count,
            })
        }
    }

    fn abort_all(&self) {
        for abort in &self.aborts {
            abort.abort();
        }
    }
}

impl<T: Send + 'static, E: Send + 'static> Default for TaskGroup<T, E> {
    fn default() -> TaskGroup<T, E> {
        TaskGroup::new()
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        // Aborting a finished task does nothing, so this is right after a completed join too.
        for abort in &self.aborts {
            abort.abort();
        }
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("children", &self.children.len())
            .finish()
    }
}
