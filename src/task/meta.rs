//! Per-task metadata: what corio knows about a task besides its future.
//!
//! A `TaskMeta` lives in the header of the task's `async_task` allocation, so reading it costs
//! no extra allocation or pointer chase. It is created at spawn and dropped only when the
//! allocation is freed, that is after the future has been dropped and after the last
//! `JoinHandle`, `Waker` and `Runnable` of the task are gone. Every field is either immutable
//! after spawn or an atomic, so any thread holding a reference to the task may read it.

use std::fmt;
use std::num::NonZeroU64;
use std::panic::Location;

use crate::loom::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use crate::runtime::scheduler::Shared;
use std::sync::Arc;

/// An opaque, process-unique identifier of a task.
///
/// Ids are never reused while the process lives, so a stale `Id` never names another task.
/// They are unique, not sequential: each thread draws them from its own block.
///
/// ```
/// corio::run(async {
///     let handle = corio::spawn(async { corio::task::id() });
///     let id = handle.id();
///     assert_eq!(handle.await.unwrap(), id);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

/// Ids handed to a thread at a time: spawning threads take one block per 1,024 spawns from the
/// global counter instead of contending on it for every spawn.
const ID_BLOCK: u64 = 1024;

thread_local! {
    /// (next id, end of this thread's block of ids)
    static ID_BLOCK_RANGE: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

impl Id {
    pub(crate) fn next() -> Id {
        use std::sync::atomic::{AtomicU64, Ordering};

        // Relaxed: uniqueness only needs the atomicity of the increment.
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
        let id = ID_BLOCK_RANGE
            .try_with(|range| {
                let (mut next, mut end) = range.get();
                if next == end {
                    next = NEXT_BLOCK.fetch_add(ID_BLOCK, Ordering::Relaxed);
                    end = next + ID_BLOCK;
                }
                range.set((next + 1, end));
                next
            })
            // During thread teardown the thread-local is gone: take a single id.
            .unwrap_or_else(|_| NEXT_BLOCK.fetch_add(1, Ordering::Relaxed));
        Id(NonZeroU64::new(id).expect("task id counter overflowed"))
    }

    /// Whether the id comes from the block this thread is handing out now: the task was
    /// spawned here, recently.
    pub(crate) fn is_from_this_threads_block(self) -> bool {
        ID_BLOCK_RANGE
            .try_with(|range| {
                let (next, end) = range.get();
                (end.saturating_sub(ID_BLOCK)..next).contains(&self.0.get())
            })
            .unwrap_or(false)
    }

    pub(crate) fn from_raw(id: NonZeroU64) -> Id {
        Id(id)
    }

    /// The id as a number, for logs and metrics.
    pub fn as_u64(&self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Set once `abort()` was requested; the task's wrapper future drops the user future at its
/// next poll and completes as cancelled.
const ABORT_REQUESTED: u32 = 1 << 0;

/// Marker for "not in the registry": a task not yet registered, or whose entry its future's
/// drop removed (or queued for removal).
pub(crate) const NOT_REGISTERED: usize = usize::MAX;

/// What runs the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskKind {
    /// An async task on the worker threads.
    Async,
    /// A closure on the blocking pool.
    Blocking,
}

pub(crate) struct TaskMeta {
    pub(crate) id: Id,
    pub(crate) name: Option<Box<str>>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) kind: TaskKind,
    /// The runtime the task belongs to; its schedule function routes wakes through this.
    pub(crate) shared: Arc<Shared>,
    /// `ABORT_REQUESTED`.
    flags: AtomicU32,
    /// The future ended: it completed, panicked or was cancelled. Set *before* the user's
    /// future is dropped, so that whoever observes a side effect of that drop (a drop guard)
    /// also sees the task finished. Its own flag rather than a bit of `flags`: only the task's
    /// own poll or drop sets it, so a plain store does, where a bit needs a read-modify-write
    /// (a locked instruction on every task's exit).
    ended: AtomicBool,
    /// The task's slot in its registry shard. Written once by the spawner before the task is
    /// first scheduled (the schedule hand-off publishes it), read when the future ends.
    pub(crate) registry_key: AtomicUsize,
    /// Number of polls so far; relaxed, for introspection only.
    pub(crate) polls: AtomicU64,
    /// Total time spent in polls, in poll-clock ticks (`task::clock`); relaxed.
    pub(crate) poll_ticks: AtomicU64,
    /// `STATE_*`: what the task is doing, for dumps; relaxed (a dump is a snapshot).
    pub(crate) state: AtomicU8,
    /// The id of the task that last awaited this one's `JoinHandle` (0: none); relaxed.
    pub(crate) awaited_by: AtomicU64,
}

/// The task waits to be woken.
pub(crate) const STATE_IDLE: u8 = 0;
/// The task is in a run queue.
pub(crate) const STATE_SCHEDULED: u8 = 1;
/// The task is being polled.
pub(crate) const STATE_RUNNING: u8 = 2;

impl TaskMeta {
    pub(crate) fn new(
        shared: Arc<Shared>,
        name: Option<Box<str>>,
        spawned_at: &'static Location<'static>,
        kind: TaskKind,
    ) -> TaskMeta {
        TaskMeta {
            id: Id::next(),
            name,
            spawned_at,
            kind,
            shared,
            flags: AtomicU32::new(0),
            ended: AtomicBool::new(false),
            registry_key: AtomicUsize::new(NOT_REGISTERED),
            polls: AtomicU64::new(0),
            poll_ticks: AtomicU64::new(0),
            state: AtomicU8::new(STATE_SCHEDULED),
            awaited_by: AtomicU64::new(0),
        }
    }

    pub(crate) fn request_abort(&self) {
        // Release pairs with the Acquire in `abort_requested`: the aborter's prior writes are
        // visible to the poll that observes the flag.
        self.flags.fetch_or(ABORT_REQUESTED, Ordering::Release);
    }

    /// Records that the future ended (see the `ended` field).
    pub(crate) fn mark_ended(&self) {
        // Release: pairs with the Acquire in `has_ended`; the drop that follows is ordered
        // after it for any thread that then observes the drop's effects.
        self.ended.store(true, Ordering::Release);
    }

    /// Whether the future ended.
    pub(crate) fn has_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    pub(crate) fn abort_requested(&self) -> bool {
        // Loom cannot see async-task's own atomics (std), so it misses the synchronization the
        // aborter's wake (a CAS on the task state, even when the task is already scheduled)
        // gives the next poll. An RMW reads the latest value and stands in for it.
        #[cfg(loom)]
        let flags = self.flags.fetch_or(0, Ordering::Acquire);
        #[cfg(not(loom))]
        let flags = self.flags.load(Ordering::Acquire);
        flags & ABORT_REQUESTED != 0
    }
}

impl fmt::Debug for TaskMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskMeta")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("spawned_at", &self.spawned_at)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}
