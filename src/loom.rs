//! The std/loom facade.
//!
//! Concurrency-critical code in corio imports its atomics, locks and cells from here instead of
//! from `std`, so that the very same code can be checked by the models in `loom-tests/` when the
//! crate is built with `RUSTFLAGS="--cfg loom"`. Outside of loom these are plain re-exports with
//! no cost.
//!
//! `Arc` is deliberately not part of the facade: the runtime's own shared structures are never
//! built inside a loom model, only the protocols (the idle set, the waiter lists, the sync
//! primitives) are, and those take their shared handles from the model's code.

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

/// Locks `mutex`, ignoring poisoning.
///
/// corio never leaves shared state half-updated across a panic point inside its own critical
/// sections (user code never runs under these locks), so a poisoned lock still guards
/// consistent data and recovering it is correct.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
