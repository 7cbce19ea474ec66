//! The blocking thread pool behind `spawn_blocking` (asyncio's default executor).
//!
//! Threads are spawned on demand, one per job that finds no idle thread, up to
//! `max_blocking_threads`; beyond that, jobs queue. An idle thread waits `thread_keep_alive` for
//! a job and then exits, so a burst does not leave hundreds of threads behind. A blocking job is
//! an ordinary task cell whose future runs the closure in one poll, so `spawn_blocking` returns
//! the same `JoinHandle` as `spawn`.
//!
//! Shutdown closes the queue (queued jobs are dropped, their handles report cancellation),
//! wakes idle threads and waits for running jobs only up to the caller's timeout: a job stuck in
//! a system call must not hang the process's exit.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::config::{Callback, Config};
use super::context;
use super::scheduler::{Shared, Task};
use super::Handle;
use crate::loom::{fault, lock, thread, wait_timeout, Condvar, Mutex};
use std::sync::Arc;

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
    /// Threads that decided to exit on keep-alive expiry and have not yet left `threads`: they
    /// no longer look at the queue, so they do not count towards `max_threads`.
    exiting: usize,
    next_id: usize,
    handles: HashMap<usize, thread::JoinHandle<()>>,
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
            // Teeth: the broken variant counts the wake-up but never sends it.
            if !fault!(BlockingWake) {
                self.work_available.notify_one();
            }
            return;
        }
        // A thread on its way out after its keep-alive will not take this job: without
        // discounting it, a job queued while the pool is at its limit could wait for a thread
        // that is leaving (found by `loom-tests/tests/blocking.rs`).
        if state.threads - state.exiting >= self.max_threads {
            return; // queued: a running thread takes it when it finishes its job
        }
        state.threads += 1;
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
            }
            Err(_) => {
                // Out of threads: the job stays queued for the threads that exist. With no
                // thread at all, it would wait forever, so fail it instead.
                state.threads -= 1;
                if state.threads == 0 {
                    let task = state.queue.pop_back();
                    drop(state);
                    drop(task);
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
        let handles: Vec<_> = state
            .handles
            .drain()
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
        loop {
            if let Some(task) = state.queue.pop_front() {
                drop(state);
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
