//! The registry of a runtime's live tasks (tokio calls it `OwnedTasks`).
//!
//! A task is registered from spawn until its future is dropped (or, when it ended on a worker,
//! until that worker's next batch of removals, see below). The registry is what lets the
//! runtime reach a task that no queue holds — one parked on a socket, a timer or a channel:
//! `abort()` wakes it through here, shutdown wakes every task left so that its future is
//! dropped, and introspection walks it.
//!
//! Each entry holds a `Waker` of the task. A waker keeps the task's allocation (and so its
//! `TaskMeta`) alive but not its future, so the entry never creates a cycle that outlives the
//! future: the future's drop removes the entry, at once or through its worker's batch, which
//! the worker flushes at the latest when it parks or exits (also when it unwinds). Entries are spread over shards chosen by the
//! task id's block, so that spawns and exits on different workers rarely meet on one lock.
//!
//! Lock discipline: no waker is woken or dropped while a shard lock is held, because waking or
//! dropping the last waker may run the schedule function, which may drop the future, whose drop
//! comes back here to remove its entry.
//!
//! The shard locks are spin locks (`crate::loom::SpinLock`): every spawn takes one for a slab
//! insert, a few instructions. Only the walks of a dump or a shutdown hold one longer, one
//! shard at a time, and those are rare.
//!
//! Removals on a worker thread are batched ([`Removals`]): a task spawned on one worker and
//! stolen by another is inserted by the first and removed by the second, so removing it at
//! once moves the shard's lock and slab lines between the two cores for every task (perf: a
//! quarter of the `spawn_many_local` workload). The worker whose task ended keeps the slot and
//! removes up to [`REMOVAL_BATCH`] of them under one lock per shard, at the latest when it
//! parks or runs its periodic maintenance. Until then the entry is *stale*: its task has ended
//! (`TaskMeta::has_ended`), and every reader skips it. The batch itself is a worker's private
//! buffer; what other threads see of it is only the shard lock, taken as a single removal
//! takes it, so the loom models of the registry (run without workers) cover the shared part.

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

impl Entry {
    fn meta(&self) -> &TaskMeta {
        // SAFETY: the entry's waker keeps the task allocation, and so its metadata, alive for
        // as long as the entry (and so this borrow of it) lives.
        unsafe { self.meta.as_ref() }
    }

    /// A stale entry: its task ended, and a worker's batch will remove it.
    fn task_ended(&self) -> bool {
        self.meta().has_ended()
    }
}

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

/// Removals a worker has deferred, flushed when full: 64 spreads a shard's lock transfer over
/// enough tasks to vanish from the profile, and bounds the task allocations that stale entries
/// keep alive.
pub(crate) const REMOVAL_BATCH: usize = 64;

/// One worker's deferred removals (see the module docs): (shard, key) pairs.
#[derive(Default)]
pub(crate) struct Removals {
    slots: Vec<(usize, usize)>,
    /// The removed entries, dropped after the shard lock is released (lock discipline).
    removed: Vec<Entry>,
}

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

    fn shard_index(&self, meta: &TaskMeta) -> usize {
        // Ids come in per-thread blocks of 1,024 (see `Id::next`): sharding by block keeps one
        // spawning thread on one shard for a while, so its lock and slab stay in its cache
        // instead of bouncing between cores.
        (meta.id.as_u64() >> 10) as usize & (self.shards.len() - 1)
    }

    fn shard(&self, meta: &TaskMeta) -> &SpinLock<Shard> {
        &self.shards[self.shard_index(meta)]
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

    /// Takes the task's key, leaving it unregistered; `None` if it was not registered.
    fn take_key(meta: &TaskMeta) -> Option<usize> {
        // A load and a store, not a swap: only the future's drop, once, removes the entry.
        let key = meta.registry_key.load(Ordering::Relaxed);
        if key == NOT_REGISTERED {
            return None;
        }
        meta.registry_key.store(NOT_REGISTERED, Ordering::Relaxed);
        Some(key)
    }

    /// Removes the task's entry; called once, when its future is dropped.
    pub(crate) fn remove(&self, meta: &TaskMeta) {
        let Some(key) = Self::take_key(meta) else {
            return;
        };
        let removed = {
            let mut shard = self.shard(meta).lock();
            match shard.tasks.get(key) {
                Some(entry) if entry.meta == NonNull::from(meta) => Some(shard.tasks.remove(key)),
                _ => None,
            }
        };
        drop(removed);
    }

    /// Removes the entry of a task whose future ended on this worker later, in a batch:
    /// `removals` is the worker's own buffer.
    pub(crate) fn remove_later(&self, meta: &TaskMeta, removals: &mut Removals) {
        let Some(key) = Self::take_key(meta) else {
            return;
        };
        removals.slots.push((self.shard_index(meta), key));
        if removals.slots.len() >= REMOVAL_BATCH {
            self.flush(removals);
        }
    }

    /// Removes every deferred entry in `removals`, taking each shard's lock once. (Sorted
    /// first: measured faster than locking per run of the unsorted batch, whose runs a worker
    /// running tasks of two spawners interleaves.)
    pub(crate) fn flush(&self, removals: &mut Removals) {
        if removals.slots.is_empty() {
            return;
        }
        // Taken out first: a batch interrupted by a panic is never flushed a second time.
        let mut slots = std::mem::take(&mut removals.slots);
        slots.sort_unstable();
        let mut batch = &slots[..];
        while let Some(&(index, _)) = batch.first() {
            let run = batch.iter().take_while(|(shard, _)| *shard == index).count();
            let mut shard = self.shards[index].lock();
            // The keys cannot have been reused: a deferred entry keeps its slot until now.
            removals
                .removed
                .extend(batch[..run].iter().map(|&(_, key)| shard.tasks.remove(key)));
            drop(shard);
            removals.removed.clear();
            batch = &batch[run..];
        }
        // Handed back empty, to keep its allocation for the next batch.
        slots.clear();
        removals.slots = slots;
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

    /// Closes the registry to new tasks and takes the wakers of every live task. Entries stay:
    /// their futures' drops remove them (or queue them for their worker's batch).
    pub(crate) fn close_and_collect(&self) -> Vec<Waker> {
        self.closed.store(true, Ordering::SeqCst);
        let mut wakers = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            shard.closed = true;
            wakers.extend(
                shard
                    .tasks
                    .iter()
                    .filter(|(_, entry)| !entry.task_ended())
                    .map(|(_, entry)| entry.waker.clone()),
            );
        }
        wakers
    }

    /// Whether shutdown closed the registry.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Calls `f` with every live task's metadata, shard by shard under the shard's lock (so no
    /// entry can be removed meanwhile). `f` must not spawn, wake or drop tasks.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&TaskMeta)) {
        for shard in self.shards.iter() {
            let shard = shard.lock();
            for (_, entry) in shard.tasks.iter() {
                if !entry.task_ended() {
                    f(entry.meta());
                }
            }
        }
    }

    /// Number of live tasks: a walk, for metrics and tests, since stale entries do not count.
    pub(crate) fn len(&self) -> usize {
        let mut live = 0;
        self.for_each(|_| live += 1);
        live
    }

    /// Number of entries, stale ones included: what a leaked registration would show in.
    #[cfg(any(test, loom))]
    pub(crate) fn entries(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().tasks.len()).sum()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::{Duration, Instant};

    #[test]
    fn the_removals_a_worker_deferred_are_flushed_when_it_parks() {
        let rt = crate::runtime::Builder::new().worker_threads(2).build().unwrap();
        // Spawned from this thread, so from another thread's id block than the workers':
        // the workers that run them defer their removal.
        let handles: Vec<_> = (0..200).map(|_| rt.spawn(async {})).collect();
        rt.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
        let registry = &rt.handle().shared().registry;
        assert_eq!(registry.len(), 0, "an ended task still counts as live");
        // With nothing left to run, each worker parks, and flushes its batch first.
        let guard = Instant::now() + Duration::from_secs(30);
        while registry.entries() != 0 {
            assert!(
                Instant::now() < guard,
                "{} stale entries never removed",
                registry.entries()
            );
            std::thread::yield_now();
        }
    }
}
