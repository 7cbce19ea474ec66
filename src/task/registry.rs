//! The registry of a runtime's live tasks (tokio calls it `OwnedTasks`).
//!
//! A task is registered from spawn until its future is dropped. The registry is what lets the
//! runtime reach a task that no queue holds — one parked on a socket, a timer or a channel:
//! `abort()` wakes it through here, shutdown wakes every task left so that its future is
//! dropped, and introspection walks it.
//!
//! Each entry holds a `Waker` of the task. A waker keeps the task's allocation (and so its
//! `TaskMeta`) alive but not its future, so the entry never creates a cycle that outlives the
//! future: the future's drop removes the entry. Entries are spread over shards chosen by the
//! task id's block, so that spawns and exits on different workers rarely meet on one lock.
//!
//! Lock discipline: no waker is woken or dropped while a shard lock is held, because waking or
//! dropping the last waker may run the schedule function, which may drop the future, whose drop
//! comes back here to remove its entry.
//!
//! The shard locks are spin locks (`crate::loom::SpinLock`): every spawn and every task exit
//! takes one for a slab insert or remove, a few instructions. Only the walks of a dump or a
//! shutdown hold one longer, one shard at a time, and those are rare.

use std::ptr::NonNull;
use std::task::Waker;

use crossbeam_utils::CachePadded;
use slab::Slab;

use super::meta::{TaskMeta, NOT_REGISTERED};
use crate::loom::{AtomicBool, Ordering, SpinLock};

struct Entry {
    waker: Waker,
    meta: NonNull<TaskMeta>,
}

// SAFETY: `meta` points into a task allocation kept alive by `waker`; `TaskMeta` is `Sync`
// (atomics and immutable fields), so sharing the pointer across threads is sound.
unsafe impl Send for Entry {}

struct Shard {
    tasks: Slab<Entry>,
    closed: bool,
}

pub(crate) struct Registry {
    shards: Box<[CachePadded<SpinLock<Shard>>]>,
    closed: AtomicBool,
}

/// The task could not be registered because the runtime is shutting down.
pub(crate) struct Closed;

impl Registry {
    pub(crate) fn new(workers: usize) -> Registry {
        // Four shards per worker, rounded up to a power of two so the shard index is a mask.
        let count = (workers * 4).next_power_of_two();
        let shards = (0..count)
            .map(|_| {
                CachePadded::new(SpinLock::new(Shard {
                    tasks: Slab::new(),
                    closed: false,
                }))
            })
            .collect();
        Registry {
            shards,
            closed: AtomicBool::new(false),
        }
    }

    fn shard(&self, meta: &TaskMeta) -> &SpinLock<Shard> {
        // Ids come in per-thread blocks of 1,024 (see `Id::next`): sharding by block keeps one
        // spawning thread on one shard for a while, so its lock and slab stay in its cache
        // instead of bouncing between cores.
        let index = (meta.id.as_u64() >> 10) as usize & (self.shards.len() - 1);
        &self.shards[index]
    }

    /// Registers a task; `waker` must be a waker of the task that owns `meta`.
    pub(crate) fn insert(&self, meta: &TaskMeta, waker: Waker) -> Result<(), (Closed, Waker)> {
        let mut shard = self.shard(meta).lock();
        if shard.closed {
            drop(shard);
            return Err((Closed, waker));
        }
        let key = shard.tasks.insert(Entry {
            waker,
            meta: NonNull::from(meta),
        });
        // Relaxed: the key is read by the task's own future drop, which the schedule hand-off
        // (a queue push with release semantics) orders after this store.
        meta.registry_key.store(key, Ordering::Relaxed);
        Ok(())
    }

    /// Removes the task's entry; called once, when its future is dropped.
    pub(crate) fn remove(&self, meta: &TaskMeta) {
        // A load and a store, not a swap: only the future's drop, once, removes the entry.
        let key = meta.registry_key.load(Ordering::Relaxed);
        if key == NOT_REGISTERED {
            return;
        }
        meta.registry_key.store(NOT_REGISTERED, Ordering::Relaxed);
        let removed = {
            let mut shard = self.shard(meta).lock();
            match shard.tasks.get(key) {
                Some(entry) if entry.meta == NonNull::from(meta) => Some(shard.tasks.remove(key)),
                _ => None,
            }
        };
        drop(removed);
    }

    /// A clone of the task's waker, if the task is still registered.
    pub(crate) fn waker(&self, meta: &TaskMeta) -> Option<Waker> {
        let key = meta.registry_key.load(Ordering::Relaxed);
        if key == NOT_REGISTERED {
            return None;
        }
        let shard = self.shard(meta).lock();
        match shard.tasks.get(key) {
            Some(entry) if entry.meta == NonNull::from(meta) => Some(entry.waker.clone()),
            _ => None,
        }
    }

    /// Closes the registry to new tasks and takes the wakers of every task still registered.
    /// Entries stay (their futures remove them when dropped) so that `len` stays truthful.
    pub(crate) fn close_and_collect(&self) -> Vec<Waker> {
        self.closed.store(true, Ordering::SeqCst);
        let mut wakers = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            shard.closed = true;
            wakers.extend(shard.tasks.iter().map(|(_, entry)| entry.waker.clone()));
        }
        wakers
    }

    /// Whether shutdown closed the registry.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Calls `f` with every registered task's metadata, shard by shard under the shard's lock
    /// (so no entry can be removed meanwhile). `f` must not spawn, wake or drop tasks.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&TaskMeta)) {
        for shard in self.shards.iter() {
            let shard = shard.lock();
            for (_, entry) in shard.tasks.iter() {
                // SAFETY: the entry's waker keeps the task allocation, and so its metadata,
                // alive; the entry cannot be removed while we hold the shard lock.
                f(unsafe { entry.meta.as_ref() });
            }
        }
    }

    /// Number of live tasks.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().tasks.len()).sum()
    }
}
