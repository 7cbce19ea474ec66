//! The blocking thread pool behind `spawn_blocking` (asyncio's default executor).
//!
//! Threads are spawned on demand, up to `max_blocking_threads`; beyond that, jobs queue. A job
//! that finds an idle thread wakes it; otherwise a thread is started unless enough are already
//! starting for the queue's length (see `BlockingPool::grow`), and a thread that takes a job
//! while others wait with nobody to take them starts another, so jobs that block each get a
//! thread while a burst of short ones does not start hundreds. An idle thread waits `thread_keep_alive` for
//! a job and then exits, so a burst does not leave hundreds of threads behind. A blocking job is
//! an ordinary task cell whose future runs the closure in one poll, so `spawn_blocking` returns
//! the same `JoinHandle` as `spawn`.
//!
//! Shutdown closes the queue (queued jobs are dropped, their handles report cancellation),
//! wakes idle threads and waits for running jobs only up to the caller's timeout: a job stuck in
//! a system call must not hang the process's exit.

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::config::{Callback, Config};
use super::context;
use super::scheduler::{Shared, Task};
use super::Handle;
use crate::loom::{fault, lock, thread, wait_timeout, Condvar, Mutex, MutexGuard};
use std::sync::Arc;

/// See `BlockingPool::grow`: a few jobs per starting thread is enough to keep a burst of short
/// jobs moving, as in smol's `blocking` crate, which grows its pool on the same principle.
const JOBS_PER_STARTING_THREAD: usize = 4;

pub(crate) struct BlockingPool {
    state: Mutex<PoolState>,
    /// Idle threads wait here for jobs.
    work_available: Condvar,
    /// Shutdown waits here for the last thread to leave.
    all_exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    thread_name: Arc<dyn Fn() -> String + Send + Sync>,
    stack_size: Option<usize>,
    on_start: Option<Callback>,
    on_stop: Option<Callback>,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Task>,
    threads: usize,
    idle: usize,
    /// Wake-ups sent to idle threads and not yet consumed: a job queued while `idle > notified`
    /// will be picked up without a new thread.
    notified: usize,
    shutdown: bool,
    /// Threads started and not yet at their first look at the queue (see `grow`).
    starting: usize,
    /// Threads that decided to exit on keep-alive expiry and have not yet left `threads`: they
    /// no longer look at the queue, so they do not count towards `max_threads`.
    exiting: usize,
    next_id: usize,
    handles: BTreeMap<usize, thread::JoinHandle<()>>,
}

impl BlockingPool {
    pub(crate) fn new(config: &Config) -> BlockingPool {
        BlockingPool {
            state: Mutex::new(PoolState::default()),
            work_available: Condvar::new(),
            all_exited: Condvar::new(),
            max_threads: config.max_blocking_threads,
            keep_alive: config.thread_keep_alive,
            thread_name: config.thread_name.clone(),
            stack_size: config.thread_stack_size,
            on_start: config.on_thread_start.clone(),
            on_stop: config.on_thread_stop.clone(),
        }
    }

    /// Queues a blocking job, waking an idle thread or starting a new one.
    pub(crate) fn schedule(&self, task: Task, shared: &Arc<Shared>) {
        let mut state = lock(&self.state);
        if state.shutdown {
            drop(state);
            drop(task);
            return;
        }
        state.queue.push_back(task);
        if state.idle > state.notified {
            state.notified += 1;
            drop(state);
            // Outside the lock, so that the woken thread does not wake only to wait for it. A
            // wake that finds no waiter (the thread timed out meanwhile) is not lost: the thread
            // sees `notified` when it re-takes the lock.
            // Teeth: the broken variant counts the wake-up but never sends it.
            if !fault!(BlockingWake) {
                self.work_available.notify_one();
            }
            return;
        }
        let failed = self.grow(&mut state, shared);
        drop(state);
        drop(failed);
    }

    /// Starts a thread for the queued jobs unless the threads already starting will do.
    ///
    /// A thread that is starting takes a queued job as soon as it runs, and grows the pool again
    /// if jobs are still left for nobody (see `thread_main`). So a new thread is started only
    /// while the queue holds more than [`JOBS_PER_STARTING_THREAD`] jobs per starting thread:
    /// a burst of short jobs is served by a few threads that loop over the queue, instead of a
    /// thread started per job up to the limit (measured: 10,000 no-op jobs started 333 threads,
    /// which then spent most of their time contending on this pool's lock). Jobs that block
    /// still get a thread each: whenever a thread takes a job and others are left with no idle
    /// or starting thread to take them, it starts one.
    ///
    /// Returns a job that can never run (no thread could be started and none exists), for the
    /// caller to drop after unlocking: its handle then reports it cancelled.
    #[must_use]
    fn grow(&self, state: &mut MutexGuard<'_, PoolState>, shared: &Arc<Shared>) -> Option<Task> {
        if state.queue.len() <= state.starting * JOBS_PER_STARTING_THREAD {
            return None;
        }
        // A thread on its way out after its keep-alive will not take this job: without
        // discounting it, a job queued while the pool is at its limit could wait for a thread
        // that is leaving (found by `loom-tests/tests/blocking.rs`).
        if state.threads - state.exiting >= self.max_threads {
            return None; // queued: a running thread takes it when it finishes its job
        }
        state.threads += 1;
        state.starting += 1;
        let id = state.next_id;
        state.next_id += 1;
        let mut builder = thread::Builder::new().name((self.thread_name)());
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        let thread_shared = shared.clone();
        match builder.spawn(move || thread_main(thread_shared, id)) {
            Ok(handle) => {
                state.handles.insert(id, handle);
                None
            }
            Err(_) => {
                // Out of threads: the job stays queued for the threads that exist. With no
                // thread at all, it would wait forever, so fail it instead.
                state.threads -= 1;
                state.starting -= 1;
                if state.threads == 0 {
                    state.queue.pop_back()
                } else {
                    None
                }
            }
        }
    }

    /// Number of live blocking threads.
    pub(crate) fn num_threads(&self) -> usize {
        lock(&self.state).threads
    }

    /// Number of idle blocking threads.
    pub(crate) fn num_idle_threads(&self) -> usize {
        lock(&self.state).idle
    }

    /// Number of jobs waiting for a thread.
    pub(crate) fn queue_depth(&self) -> usize {
        lock(&self.state).queue.len()
    }

    /// Closes the pool and waits up to `timeout` (`None`: not at all) for its threads to exit.
    /// Returns whether they all did.
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) -> bool {
        let mut state = lock(&self.state);
        state.shutdown = true;
        let queued: Vec<Task> = state.queue.drain(..).collect();
        self.work_available.notify_all();
        drop(state);
        drop(queued);

        let Some(timeout) = timeout else { return false };
        let own_thread = POOL_THREAD
            .try_with(|current| current.get())
            .ok()
            .filter(|(pool, _)| std::ptr::eq(*pool, self))
            .map(|(_, id)| id);
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.state);
        while state.threads > usize::from(own_thread.is_some()) {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = match self.all_exited.wait_timeout(state, deadline - now) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        // A `BTreeMap`, not a `HashMap`: joined in a fixed order, so that a loom model of the
        // pool (whose threads are loom's) is deterministic.
        let handles: Vec<_> = std::mem::take(&mut state.handles)
            .into_iter()
            .filter(|(id, _)| Some(*id) != own_thread)
            .map(|(_, handle)| handle)
            .collect();
        drop(state);
        // Every thread has passed its last touch of the pool: these joins return at once.
        for handle in handles {
            let _ = handle.join();
        }
        true
    }
}

#[cfg(not(loom))]
thread_local! {
    /// The pool (by address) and thread id of the current thread, if it is a pool thread: a
    /// pool thread that shuts its own runtime down must neither wait for nor join itself.
    static POOL_THREAD: Cell<(*const BlockingPool, usize)> = const { Cell::new((std::ptr::null(), 0)) };
}

// Under loom the pool's threads are loom threads, which share one OS thread: they need loom's
// thread-locals.
#[cfg(loom)]
loom::thread_local! {
    static POOL_THREAD: Cell<(*const BlockingPool, usize)> = Cell::new((std::ptr::null(), 0));
}

fn thread_main(shared: Arc<Shared>, id: usize) {
    let pool = &shared.blocking;
    POOL_THREAD.with(|current| current.set((pool, id)));
    let mut exiting = false;
    if let Some(on_start) = &pool.on_start {
        on_start();
    }
    {
        let runtime = context::enter_runtime(Handle::from_shared(shared.clone()));
        let mut state = lock(&pool.state);
        state.starting -= 1;
        loop {
            if let Some(task) = state.queue.pop_front() {
                // Jobs left behind with no idle thread to wake: this one may block for good,
                // so make sure someone will take them.
                let failed = if !state.queue.is_empty() && state.idle <= state.notified {
                    pool.grow(&mut state, &shared)
                } else {
                    None
                };
                drop(state);
                drop(failed);
                context::reset_poll_clock();
                task.run();
                state = lock(&pool.state);
                continue;
            }
            if state.shutdown {
                break;
            }
            state.idle += 1;
            let (guard, timed_out) = wait_timeout(&pool.work_available, &pool.state, state, pool.keep_alive);
            state = guard;
            state.idle -= 1;
            if state.notified > 0 {
                state.notified -= 1;
                continue;
            }
            if timed_out && state.queue.is_empty() && !state.shutdown {
                // Idle past the keep-alive: leave. Detach our own handle; nobody will join it.
                drop(state.handles.remove(&id));
                state.exiting += 1;
                exiting = true;
                break;
            }
        }
        // Leave the runtime context before releasing the lock: the next thread (one that
        // replaces us when we leave on keep-alive expiry) can only start after we do, so the
        // context guards of pool threads sharing an OS thread (loom's threads) nest properly.
        drop(runtime);
        drop(state);
    }
    if let Some(on_stop) = &pool.on_stop {
        on_stop();
    }
    let mut state = lock(&pool.state);
    state.threads -= 1;
    state.exiting -= usize::from(exiting);
    if state.threads == 0 {
        pool.all_exited.notify_all();
    }
}
