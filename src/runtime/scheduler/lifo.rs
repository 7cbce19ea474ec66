//! The LIFO slot: the one task a worker runs next, ahead of its queue.
//!
//! When a running task wakes another (a message hand-off), the woken task goes here, so that it
//! runs while the message is hot in cache. The owner is the only thread that *puts* tasks here.
//! It is an atomic slot rather than a plain cell for one reason: a worker stuck inside a long
//! poll would otherwise strand the task it last woke. Peers take it only from a worker the
//! monitor flagged as stuck (`steal_round`), so in normal operation the slot's cache line never
//! leaves its owner and the atomic swaps cost a few cycles.

use std::ptr::{self, NonNull};

use super::Task;
use crate::loom::{AtomicPtr, Ordering};

pub(crate) struct LifoSlot {
    task: AtomicPtr<()>,
}

impl LifoSlot {
    pub(crate) fn new() -> LifoSlot {
        LifoSlot {
            task: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Puts `task` in the slot, returning the task it displaced.
    pub(crate) fn replace(&self, task: Task) -> Option<Task> {
        let new = task.into_raw().as_ptr();
        // AcqRel: publishes the new task to a thief (Release) and acquires the displaced one.
        let old = self.task.swap(new, Ordering::AcqRel);
        // SAFETY: every non-null pointer in the slot came from `Runnable::into_raw` in this
        // method, and the swap hands it to exactly one taker, so it is converted back once.
        NonNull::new(old).map(|old| unsafe { Task::from_raw(old) })
    }

    /// Takes the task out of the slot.
    pub(crate) fn take(&self) -> Option<Task> {
        if self.task.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let old = self.task.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: as in `replace`.
        NonNull::new(old).map(|old| unsafe { Task::from_raw(old) })
    }

    /// Whether a task waits in the slot.
    pub(crate) fn is_occupied(&self) -> bool {
        !self.task.load(Ordering::Relaxed).is_null()
    }
}

impl Drop for LifoSlot {
    fn drop(&mut self) {
        drop(self.take());
    }
}
