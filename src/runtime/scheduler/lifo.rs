//! The LIFO slot: the one task a worker runs next, ahead of its queue.
//!
//! When a running task wakes another (a message hand-off), the woken task goes here, so that it
//! runs while the message is hot in cache. The owner is the only thread that *puts* tasks here.
//! It is an atomic slot rather than a plain cell for one reason: a worker stuck inside a long
//! poll would otherwise strand the task it last woke. Peers take it only from a worker the
//! monitor flagged as stuck (`steal_round`), so in normal operation the slot's cache line never
//! leaves its owner and the atomic swaps cost a few cycles.
//!
//! The slot is generic over its task type only so that the loom models
//! (`loom-tests/tests/lifo.rs`) can fill it with tasks whose contents loom tracks; the runtime
//! uses `LifoSlot<Task>`, and the trait's methods are `Runnable`'s own, so nothing is added.

use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use crate::loom::{fault, AtomicPtr, Ordering};

/// A task that can travel through the slot as a raw pointer.
pub trait SlotTask: Sized {
    /// Gives up ownership of the task as a pointer.
    fn into_raw(self) -> NonNull<()>;

    /// Takes back the ownership given up by `into_raw`.
    ///
    /// # Safety
    /// `ptr` must come from `into_raw` of the same type and be converted back only once.
    unsafe fn from_raw(ptr: NonNull<()>) -> Self;
}

impl<M> SlotTask for async_task::Runnable<M> {
    fn into_raw(self) -> NonNull<()> {
        async_task::Runnable::into_raw(self)
    }

    unsafe fn from_raw(ptr: NonNull<()>) -> Self {
        // SAFETY: the caller's contract is `Runnable::from_raw`'s.
        unsafe { async_task::Runnable::from_raw(ptr) }
    }
}

/// The LIFO slot of one worker (see the module docs).
pub struct LifoSlot<T: SlotTask> {
    task: AtomicPtr<()>,
    _owns: PhantomData<T>,
}

// SAFETY: the slot owns at most one `T` and hands it, whole, to exactly one taker (the atomic
// swap), like a `Mutex<Option<T>>`: sharing the slot only ever moves a `T` between threads.
unsafe impl<T: SlotTask + Send> Sync for LifoSlot<T> {}

impl<T: SlotTask> LifoSlot<T> {
    /// An empty slot.
    pub fn new() -> LifoSlot<T> {
        LifoSlot {
            task: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// Puts `task` in the slot, returning the task it displaced. Only the slot's owner calls
    /// this.
    pub fn replace(&self, task: T) -> Option<T> {
        let new = task.into_raw().as_ptr();
        // Teeth: the broken variant publishes with `Relaxed` (`loom-tests/tests/teeth.rs`).
        let broken = fault!(LifoRelease);
        // An empty slot is filled with a plain store: only the owner (this thread) fills it,
        // and a thief only ever empties it, so nobody can fill it between this load and the
        // store, and there is nothing to displace. A swap is a locked instruction (6 ns here),
        // and the slot is usually empty when a task wakes another.
        if self.task.load(Ordering::Relaxed).is_null() {
            // Release: publishes the task to a thief's acquiring swap.
            let ordering = if broken {
                Ordering::Relaxed
            } else {
                Ordering::Release
            };
            self.task.store(new, ordering);
            return None;
        }
        // AcqRel: publishes the new task to a thief (Release) and acquires the displaced one.
        let ordering = if broken {
            Ordering::Relaxed
        } else {
            Ordering::AcqRel
        };
        let old = self.task.swap(new, ordering);
        // SAFETY: every non-null pointer in the slot came from `SlotTask::into_raw` in this
        // method, and the swap hands it to exactly one taker, so it is converted back once.
        NonNull::new(old).map(|old| unsafe { T::from_raw(old) })
    }

    /// Takes the task out of the slot.
    pub fn take(&self) -> Option<T> {
        // Relaxed: only a hint that skips the swap (and its cache-line write) when empty; the
        // swap below is what acquires the task.
        if self.task.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let old = self.task.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: as in `replace`.
        NonNull::new(old).map(|old| unsafe { T::from_raw(old) })
    }

    /// Whether a task waits in the slot.
    pub fn is_occupied(&self) -> bool {
        !self.task.load(Ordering::Relaxed).is_null()
    }
}

impl<T: SlotTask> Default for LifoSlot<T> {
    fn default() -> LifoSlot<T> {
        LifoSlot::new()
    }
}

impl<T: SlotTask> Drop for LifoSlot<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}
