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
use std::thread;
use std::time::{Duration, Instant};

use super::config::{Callback, Config};
use super::context;
use super::scheduler::{Shared, Task};
use super::Handle;
use crate::loom::{lock, Condvar, Mutex};
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
            self.work_available.notify_one();
            return;
        }
        if state.threads >= self.max_threads {
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

thread_local! {
    /// The pool (by address) and thread id of the current thread, if it is a pool thread: a
    /// pool thread that shuts its own runtime down must neither wait for nor join itself.
    static POOL_THREAD: Cell<(*const BlockingPool, usize)> = const { Cell::new((std::ptr::null(), 0)) };
}

fn thread_main(shared: Arc<Shared>, id: usize) {
    let pool = &shared.blocking;
    POOL_THREAD.with(|current| current.set((pool, id)));
    if let Some(on_start) = &pool.on_start {
        on_start();
    }
    {
        let _runtime = context::enter_runtime(Handle::from_shared(shared.clone()));
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
            let (guard, timed_out) = match pool.work_available.wait_timeout(state, pool.keep_alive) {
                Ok((guard, result)) => (guard, result.timed_out()),
                Err(poisoned) => {
                    let (guard, result) = poisoned.into_inner();
                    (guard, result.timed_out())
                }
            };
            state = guard;
            state.idle -= 1;
            if state.notified > 0 {
                state.notified -= 1;
                continue;
            }
            if timed_out && state.queue.is_empty() && !state.shutdown {
                // Idle past the keep-alive: leave. Detach our own handle; nobody will join it.
                drop(state.handles.remove(&id));
                break;
            }
        }
        drop(state);
    }
    if let Some(on_stop) = &pool.on_stop {
        on_stop();
    }
    let mut state = lock(&pool.state);
    state.threads -= 1;
    if state.threads == 0 {
        pool.all_exited.notify_all();
    }
}
