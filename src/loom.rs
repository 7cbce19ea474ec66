//! The std/loom facade.
//!
//! Concurrency-critical code in corio imports its atomics, locks and cells from here instead of
//! from `std`, so that the very same code can be checked by the models in `loom-tests/` when the
//! crate is built with `RUSTFLAGS="--cfg loom"`. Outside of loom these are plain re-exports with
//! no cost.
//!
//! `Arc` is deliberately not part of the facade: the protocols the models check (the idle set,
//! the waiter lists, the sync primitives, the LIFO slot) take their shared handles from the
//! model's code, and the one runtime structure a model builds whole (`ModelRuntime`'s
//! `Shared`) is reference-counted by task metadata that loom never sees (async-task's cells).
//!
//! Besides the sync types, the facade has `thread` and `wait_timeout`, so that the blocking
//! pool's threads and keep-alive waits run on loom too (loom has no time: see `wait_timeout`
//! for how a timeout is modelled). Under `cfg(loom)` only, it also holds:
//! - the fault switch (`Fault`, `fault!`): deliberately broken variants of single protocol
//!   steps that the "teeth" models (`loom-tests/tests/teeth.rs`) must catch. Without
//!   `cfg(loom)`, `fault!(..)` is the literal `false` and the enum does not exist;
//! - `ModelRuntime`, a runtime without worker threads whose tasks the model runs by hand.

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

// `Arc` too, for shared state whose drop touches loom-tracked cells (the mpsc channel's
// queue): loom must see the last owner's drop ordered after every other owner's accesses,
// which std's `Arc` establishes with atomics loom cannot see.
#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
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

/// Threads of the runtime's own pools (the blocking pool): loom's threads under loom, so that a
/// model explores the pool's threads like any other.
#[cfg(not(loom))]
pub(crate) use std::thread;

#[cfg(loom)]
pub(crate) use loom::thread;

/// Waits on `condvar` for at most `timeout`; returns the guard and whether the wait timed out.
///
/// `mutex` is the mutex `guard` locks; only the loom version needs it.
#[cfg(not(loom))]
pub(crate) fn wait_timeout<'a, T>(
    condvar: &Condvar,
    _mutex: &'a Mutex<T>,
    guard: MutexGuard<'a, T>,
    timeout: std::time::Duration,
) -> (MutexGuard<'a, T>, bool) {
    match condvar.wait_timeout(guard, timeout) {
        Ok((guard, result)) => (guard, result.timed_out()),
        Err(poisoned) => {
            let (guard, result) = poisoned.into_inner();
            (guard, result.timed_out())
        }
    }
}

/// Under loom there is no time, and loom's own `Condvar::wait_timeout` never times out. A model
/// chooses how the timeout behaves ([`set_timeouts_expire`]):
/// - by default the timeout is treated as infinitely long: a plain `wait`, which explores every
///   interleaving of notifications;
/// - with expiring timeouts the timeout elapses at once: the lock is released and re-acquired
///   (so other threads can run in between, as in a real timed wait) and the wait reports
///   `timed_out`, without consuming any notification. A notification sent in that window is
///   lost at the condvar, exactly as when a real timed wait expires just before it, so the
///   caller's own bookkeeping must catch it.
///
/// Together the two settings cover both outcomes of a real timed wait; loom offers no
/// non-deterministic choice that would let one model explore both.
#[cfg(loom)]
pub(crate) fn wait_timeout<'a, T>(
    condvar: &Condvar,
    mutex: &'a Mutex<T>,
    guard: MutexGuard<'a, T>,
    _timeout: std::time::Duration,
) -> (MutexGuard<'a, T>, bool) {
    if TIMEOUTS_EXPIRE.with(std::cell::Cell::get) {
        drop(guard);
        loom::thread::yield_now();
        (lock(mutex), true)
    } else {
        let guard = match condvar.wait(guard) {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        (guard, false)
    }
}

// The switches below are thread-locals of the test's OS thread: loom runs every thread of a
// model as a coroutine on the thread that called `loom::model`, so they all see the switch,
// while tests running in parallel (each on its own OS thread) do not see each other's.
#[cfg(loom)]
std::thread_local! {
    static TIMEOUTS_EXPIRE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static ACTIVE_FAULT: std::cell::Cell<Option<Fault>> = const { std::cell::Cell::new(None) };
}

/// Makes every [`wait_timeout`] of the current model expire at once (`true`) or never (`false`,
/// the default).
#[cfg(loom)]
pub fn set_timeouts_expire(expire: bool) {
    TIMEOUTS_EXPIRE.with(|cell| cell.set(expire));
}

/// A deliberate bug that a loom model must catch (the "teeth" of the suite, in
/// `loom-tests/tests/teeth.rs`). Each variant breaks one step of a protocol; the code under test
/// checks for it with `fault!`, which is the constant `false` without `cfg(loom)`.
#[cfg(loom)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `Idle::transition_worker_to_parked` never reports the last searcher, so the worker skips
    /// the re-check of the queues before it sleeps.
    IdleRecheck,
    /// `Idle::transition_worker_from_searching` skips its fence, so the last searcher's re-check
    /// of the queues may miss work whose pusher saw it still searching.
    SearcherFence,
    /// `WaitList::remove` forgets that the removed waiter had been notified, so a cancelled
    /// waiter's notification is not handed on.
    WaiterHandoff,
    /// `LifoSlot::replace` publishes the task with a `Relaxed` swap instead of `AcqRel`, so a
    /// thief may see the task pointer without the writes that prepared the task.
    LifoRelease,
    /// `BlockingPool::schedule` counts a wake-up for an idle thread but never signals the
    /// condvar, so the idle thread sleeps through the job.
    BlockingWake,
    /// `Source::clear_ready` ignores the readiness tick and clears unconditionally, so an event
    /// that arrived after the operation saw `WouldBlock` is erased.
    ReadinessTick,
}

/// Whether `fault` is injected in the current model.
#[cfg(loom)]
pub(crate) fn fault_active(fault: Fault) -> bool {
    ACTIVE_FAULT.with(|cell| cell.get() == Some(fault))
}

/// Injects `fault` until the returned guard is dropped (also on a panic, so a test expected to
/// fail does not leave the fault behind).
#[cfg(loom)]
pub fn inject_fault(fault: Fault) -> FaultGuard {
    ACTIVE_FAULT.with(|cell| cell.set(Some(fault)));
    FaultGuard(())
}

/// Removes the injected fault when dropped.
#[cfg(loom)]
#[must_use = "the fault is removed when the guard is dropped"]
pub struct FaultGuard(());

#[cfg(loom)]
impl Drop for FaultGuard {
    fn drop(&mut self) {
        ACTIVE_FAULT.with(|cell| cell.set(None));
    }
}

/// `fault!(Name)`: whether the fault `Fault::Name` is injected. Without `cfg(loom)` this is the
/// literal `false`, so the branch it guards is compiled out.
#[cfg(loom)]
macro_rules! fault {
    ($fault:ident) => {
        $crate::loom::fault_active($crate::loom::Fault::$fault)
    };
}

#[cfg(not(loom))]
macro_rules! fault {
    ($fault:ident) => {
        false
    };
}

pub(crate) use fault;

/// A runtime without worker threads, for the loom models of the task path (`JoinHandle`,
/// abort, the blocking pool).
///
/// It owns a real `Shared` (one worker's worth of queues, a real reactor that no thread waits
/// on, the real registry, timer service and blocking pool) and spawns through the real
/// `Shared::spawn`/`spawn_blocking`, so a task's cell, `TaskMeta`, `TaskFuture` wrapper,
/// registry entry, schedule function and `JoinHandle` are the runtime's own. What it leaves out
/// is the worker loop: a spawned or woken task lands in the injector (the schedule function
/// sees no worker on the current thread), and the model decides which thread runs it and when,
/// with [`run_queued`](ModelRuntime::run_queued). The blocking pool spawns loom threads.
#[cfg(loom)]
pub struct ModelRuntime {
    shared: std::sync::Arc<crate::runtime::scheduler::Shared>,
}

#[cfg(loom)]
impl ModelRuntime {
    /// A runtime whose blocking pool has at most `max_blocking_threads` threads.
    pub fn new(max_blocking_threads: usize) -> ModelRuntime {
        let config = crate::runtime::config::Config {
            max_blocking_threads,
            ..Default::default()
        };
        let queues = [crate::runtime::scheduler::WorkerQueues::new()];
        let reactor = crate::reactor::Reactor::new().expect("a loom model could not create a poller");
        let shared =
            crate::runtime::scheduler::Shared::new(config, &queues, vec![std::sync::Arc::new(reactor)]);
        ModelRuntime {
            shared: std::sync::Arc::new(shared),
        }
    }

    /// `corio::spawn` on this runtime: the task is queued, not run.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> crate::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future, None, std::panic::Location::caller())
    }

    /// `corio::spawn_blocking` on this runtime: the job goes to the (loom-threaded) pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> crate::task::JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared
            .spawn_blocking(f, None, std::panic::Location::caller())
    }

    /// Runs every task waiting in the injector, on the calling thread, as a worker would;
    /// returns how many ran.
    pub fn run_queued(&self) -> usize {
        let mut ran = 0;
        loop {
            match self.shared.injector.steal() {
                crossbeam_deque::Steal::Success(task) => {
                    task.run();
                    ran += 1;
                }
                crossbeam_deque::Steal::Retry => continue,
                crossbeam_deque::Steal::Empty => return ran,
            }
        }
    }

    /// Number of tasks still in the registry: a task is removed when its future is dropped, so
    /// a task counted here after it ended is a leaked registration.
    pub fn live_tasks(&self) -> usize {
        self.shared.registry.entries()
    }

    /// Number of live blocking-pool threads.
    pub fn blocking_threads(&self) -> usize {
        self.shared.blocking.num_threads()
    }

    /// Number of jobs queued in the blocking pool.
    pub fn blocking_queue_depth(&self) -> usize {
        self.shared.blocking.queue_depth()
    }

    /// The blocking pool's shutdown, as the runtime's drop calls it: returns whether every
    /// pool thread exited within `timeout`. (Under loom the wait for exiting threads never
    /// times out: a model in which a thread never exits is reported as a deadlock.)
    pub fn shutdown_blocking(&self, timeout: std::time::Duration) -> bool {
        self.shared.blocking.shutdown(Some(timeout))
    }
}

#[cfg(loom)]
impl Drop for ModelRuntime {
    /// Cancels what is left, as the runtime's shutdown does, so that no task cell (and so no
    /// `Shared`, with its poller) outlives the model's iteration.
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The model failed and loom is tearing its execution down: loom objects can no
            // longer be touched. Leak the runtime instead.
            std::mem::forget(self.shared.clone());
            return;
        }
        let shared = &self.shared;
        shared.begin_shutdown();
        // Woken tasks see the shutdown flag and are dropped, futures and all.
        shared
            .registry
            .close_and_collect()
            .into_iter()
            .for_each(std::task::Waker::wake);
        shared.drain_injector();
        shared
            .blocking
            .shutdown(Some(std::time::Duration::from_secs(3600)));
    }
}

/// A lock for critical sections of a few instructions that never block or call out (the task
/// registry's slab operations, on every spawn and every task exit): test-and-test-and-set on
/// one atomic flag. Uncontended, a lock and unlock cost one compare-and-swap and one plain
/// store, where `std::sync::Mutex` pays two read-modify-writes (measured here: 7 ns against 14
/// ns per pair). Contended, it spins briefly, then yields the thread (`Backoff::snooze`), so a
/// holder that was preempted gets its CPU back. Under loom it is loom's `Mutex`, so the models
/// check the code that uses it.
#[cfg(not(loom))]
pub(crate) struct SpinLock<T> {
    locked: AtomicBool,
    value: std::cell::UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `value` to one thread at a time (`lock` acquires the
// flag with Acquire, the guard releases it with Release), so sharing the lock shares `T` only
// as a `Mutex` would: it needs `T: Send`.
#[cfg(not(loom))]
unsafe impl<T: Send> Sync for SpinLock<T> {}

#[cfg(not(loom))]
impl<T> SpinLock<T> {
    pub(crate) const fn new(value: T) -> SpinLock<T> {
        SpinLock {
            locked: AtomicBool::new(false),
            value: std::cell::UnsafeCell::new(value),
        }
    }

    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SpinGuard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        let backoff = crossbeam_utils::Backoff::new();
        loop {
            // Wait on a plain load: spinning on the read-modify-write would keep stealing the
            // cache line from the holder.
            while self.locked.load(Ordering::Relaxed) {
                backoff.snooze();
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

/// Access to a [`SpinLock`]'s value; unlocks when dropped (also when unwinding).
#[cfg(not(loom))]
pub(crate) struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
}

#[cfg(not(loom))]
impl<T> std::ops::Deref for SpinGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &*self.lock.value.get() }
    }
}

#[cfg(not(loom))]
impl<T> std::ops::DerefMut for SpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this thread holds the lock, and `&mut self`
        // makes this the only reference derived from it.
        unsafe { &mut *self.lock.value.get() }
    }
}

#[cfg(not(loom))]
impl<T> Drop for SpinGuard<'_, T> {
    fn drop(&mut self) {
        // Release: the critical section's writes are visible to the next holder's Acquire.
        self.lock.locked.store(false, Ordering::Release);
    }
}

/// Under loom, a [`SpinLock`] is loom's `Mutex` with the same interface.
#[cfg(loom)]
pub(crate) struct SpinLock<T>(Mutex<T>);

#[cfg(loom)]
pub(crate) type SpinGuard<'a, T> = MutexGuard<'a, T>;

#[cfg(loom)]
impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> SpinLock<T> {
        SpinLock(Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        lock(&self.0)
    }
}
