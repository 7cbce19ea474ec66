//! The work-stealing scheduler: shared state, spawning and the schedule function.
//!
//! The path of a task, in order of the files that implement it:
//! - spawn (`Shared::spawn`): allocate the `async_task` cell with its `TaskMeta`, register it,
//!   schedule it;
//! - schedule (`schedule_task`): on a worker of this runtime, into that worker's LIFO slot (woken
//!   by a task: message-passing latency) or local queue (a yield, or woken by the reactor);
//!   from anywhere else, into the shared injector, waking one idle worker (`idle.rs`);
//! - poll, steal, park: the worker loop (`worker.rs`);
//! - wake: a `Waker` re-enters `schedule_task`.

mod idle;
pub(crate) mod lifo;
pub(crate) mod worker;

use std::future::Future;
use std::panic::Location;
use std::task::Waker;

use async_task::{Runnable, ScheduleInfo, WithInfo};
use crossbeam_deque::{Injector, Steal, Stealer, Worker as LocalQueue};
use crossbeam_utils::CachePadded;

pub use idle::Idle;
pub(crate) use worker::WorkerLocal;

use super::blocking::BlockingPool;
use super::config::Config;
use super::context;
use crate::loom::{fence, lock, AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering};
use crate::reactor::Reactor;
use crate::task::harness::TaskFuture;
use crate::task::meta::{TaskKind, TaskMeta};
use crate::task::registry::Registry;
use crate::task::JoinHandle;
use crate::time::driver::TimerService;
use std::sync::Arc;

pub(crate) type Task = Runnable<TaskMeta>;

/// A worker's own queues, both FIFO; peers reach them through the stealers in its `Remote`.
pub(crate) struct WorkerQueues {
    /// Spawned, yielded and I/O-woken tasks.
    pub(crate) tasks: LocalQueue<Task>,
    /// Tasks woken by timers this worker fired; they run before `tasks` (see `worker.rs`).
    pub(crate) expired: LocalQueue<Task>,
}

impl WorkerQueues {
    pub(crate) fn new() -> WorkerQueues {
        WorkerQueues {
            tasks: LocalQueue::new_fifo(),
            expired: LocalQueue::new_fifo(),
        }
    }
}

/// What peers and the monitor may see of one worker.
pub(crate) struct Remote {
    pub(crate) stealer: Stealer<Task>,
    /// The stealer of the worker's queue of timer-woken tasks.
    pub(crate) expired: Stealer<Task>,
    /// The worker's LIFO slot; peers take from it only while the worker is stuck.
    pub(crate) lifo: lifo::LifoSlot<Task>,
    pub(crate) reactor: Arc<Reactor>,
    pub(crate) status: CachePadded<Status>,
}

impl Remote {
    /// Whether the worker's queues hold a task a peer could steal.
    pub(crate) fn has_queued_tasks(&self) -> bool {
        !self.expired.is_empty() || !self.stealer.is_empty()
    }
}

/// A worker's activity, published for the monitor and for peers choosing whom to help.
pub(crate) struct Status {
    /// Bumped when a task poll starts and again when it ends: odd means "inside a poll". The
    /// monitor sees a worker stuck in one poll when the value stays odd and unchanged.
    pub(crate) polls: AtomicU64,
    /// The worker sleeps in its own reactor's blocking poll.
    pub(crate) parked: AtomicBool,
    /// Set by the monitor while the worker is stuck in one poll; parking peers watch it.
    pub(crate) stuck: AtomicBool,
    /// Counters for `RuntimeMetrics` (relaxed; written only by the owner).
    pub(crate) steals: AtomicU64,
    pub(crate) parks: AtomicU64,
    /// Debug mode: the task being polled and when its poll started (poll-clock ticks).
    pub(crate) current_task: AtomicU64,
    pub(crate) poll_started: AtomicU64,
}

pub(crate) struct Shared {
    pub(crate) injector: Injector<Task>,
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) idle: Idle,
    pub(crate) registry: Registry,
    pub(crate) timers: TimerService,
    pub(crate) blocking: BlockingPool,
    pub(crate) config: Config,
    shutdown: AtomicBool,
    /// Round-robin cursor for I/O sources created off-worker.
    next_reactor: AtomicUsize,
    /// Wakers of threads inside `block_on`, woken when the runtime shuts down on its own
    /// (`UnhandledPanic::ShutdownRuntime`) so that they can report it instead of hanging.
    block_on_waiters: Mutex<slab::Slab<Waker>>,
    /// Set when a task panicked and the runtime is configured to shut down on it.
    pub(crate) panicked_shutdown: AtomicBool,
    /// The monitor thread, to wake it out of its idle sleep.
    pub(crate) monitor: Mutex<Option<std::thread::Thread>>,
    pub(crate) monitor_state: super::monitor::MonitorState,
    /// The `call_soon` queue.
    pub(crate) callbacks: super::callbacks::CallbackQueue,
}

impl Shared {
    pub(crate) fn new(config: Config, queues: &[WorkerQueues], reactors: Vec<Arc<Reactor>>) -> Shared {
        let workers = queues.len();
        let remotes = queues
            .iter()
            .zip(reactors)
            .map(|(queues, reactor)| Remote {
                stealer: queues.tasks.stealer(),
                expired: queues.expired.stealer(),
                lifo: lifo::LifoSlot::new(),
                reactor,
                status: CachePadded::new(Status {
                    polls: AtomicU64::new(0),
                    parked: AtomicBool::new(false),
                    stuck: AtomicBool::new(false),
                    steals: AtomicU64::new(0),
                    parks: AtomicU64::new(0),
                    current_task: AtomicU64::new(0),
                    poll_started: AtomicU64::new(0),
                }),
            })
            .collect();
        Shared {
            injector: Injector::new(),
            remotes,
            idle: Idle::new(workers),
            registry: Registry::new(workers),
            timers: TimerService::new(),
            blocking: BlockingPool::new(&config),
            config,
            shutdown: AtomicBool::new(false),
            next_reactor: AtomicUsize::new(0),
            block_on_waiters: Mutex::new(slab::Slab::new()),
            panicked_shutdown: AtomicBool::new(false),
            monitor: Mutex::new(None),
            monitor_state: super::monitor::MonitorState::new(),
            callbacks: Default::default(),
        }
    }

    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        future: F,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = TaskMeta::new(self.clone(), name, location, TaskKind::Async);
        let (runnable, task) = async_task::Builder::new().metadata(meta).spawn(
            // SAFETY: `meta` is the metadata of the very allocation that will own the future.
            |meta| unsafe { TaskFuture::new(future, meta) },
            WithInfo(schedule_task),
        );
        self.register_and_schedule(runnable);
        JoinHandle::new(task)
    }

    pub(crate) fn spawn_blocking<F, R>(
        self: &Arc<Self>,
        f: F,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let meta = TaskMeta::new(self.clone(), name, location, TaskKind::Blocking);
        let mut f = Some(f);
        let future = std::future::poll_fn(move |_| {
            let f = f.take().expect("a blocking task is polled once");
            std::task::Poll::Ready(f())
        });
        let (runnable, task) = async_task::Builder::new().metadata(meta).spawn(
            // SAFETY: as in `spawn`.
            |meta| unsafe { TaskFuture::new(future, meta) },
            schedule_blocking,
        );
        self.register_and_schedule(runnable);
        JoinHandle::new(task)
    }

    fn register_and_schedule(&self, runnable: Task) {
        match self.registry.insert(runnable.metadata(), runnable.waker()) {
            Ok(()) => runnable.schedule(),
            // Shutting down: dropping the runnable drops the future; the handle reports the task
            // as cancelled.
            Err((_closed, waker)) => {
                drop(runnable);
                drop(waker);
            }
        }
    }

    /// Schedules a task from outside this runtime's workers.
    fn schedule_remote(&self, task: Task) {
        if self.is_shutdown() {
            drop(task);
            return;
        }
        self.injector.push(task);
        self.notify_parked();
        // Pairs with the SeqCst store in `begin_shutdown`: either shutdown's drain of the
        // injector sees our push, or we see the flag and drain it ourselves.
        fence(Ordering::SeqCst);
        if self.is_shutdown() {
            self.drain_injector();
        }
    }

    /// Wakes one sleeping worker if the idle protocol asks for it.
    pub(crate) fn notify_parked(&self) {
        if let Some(worker) = self.idle.worker_to_notify() {
            self.remotes[worker].reactor.notify();
        }
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Starts shutdown: no new task runs; every worker is woken so that it exits.
    pub(crate) fn begin_shutdown(&self) {
        if self.shutdown.swap(true, Ordering::SeqCst) {
            return;
        }
        for remote in self.remotes.iter() {
            remote.reactor.notify();
        }
        if let Some(monitor) = lock(&self.monitor).as_ref() {
            monitor.unpark();
        }
        let waiters: Vec<Waker> = lock(&self.block_on_waiters).drain().collect();
        waiters.into_iter().for_each(Waker::wake);
    }

    pub(crate) fn drain_injector(&self) {
        loop {
            match self.injector.steal() {
                Steal::Success(task) => drop(task),
                Steal::Retry => continue,
                Steal::Empty => break,
            }
        }
    }

    /// The reactor for an I/O source created off-worker: round-robin.
    pub(crate) fn next_reactor(&self) -> Arc<Reactor> {
        let index = self.next_reactor.fetch_add(1, Ordering::Relaxed) % self.remotes.len();
        self.remotes[index].reactor.clone()
    }

    /// Called by a task's wrapper when its future panicked.
    pub(crate) fn task_panicked(&self) {
        if self.config.unhandled_panic == super::UnhandledPanic::ShutdownRuntime {
            self.panicked_shutdown.store(true, Ordering::SeqCst);
            self.begin_shutdown();
        }
    }

    pub(crate) fn add_block_on_waiter(&self, waker: Waker) -> usize {
        lock(&self.block_on_waiters).insert(waker)
    }

    pub(crate) fn remove_block_on_waiter(&self, key: usize) {
        let removed = lock(&self.block_on_waiters).try_remove(key);
        drop(removed);
    }

    /// Unregisters a task whose future was dropped: in a batch of its worker's when that is a
    /// worker of this runtime (see `task::registry`), at once anywhere else. Also at once when
    /// this thread spawned the task recently: its registry shard is the one this thread inserts
    /// into, whose lock and slab are in this core's cache, and a batch would only add work
    /// (and delay the task's deallocation: measured, spawn + run + join on one worker went
    /// from 255 to 273 ns).
    pub(crate) fn unregister_task(&self, meta: &TaskMeta) {
        if meta.id.is_from_this_threads_block() {
            return self.registry.remove(meta);
        }
        context::with_worker(|worker| match worker {
            Some(worker) if std::ptr::eq(&*worker.shared, self) => worker.unregister_later(meta),
            _ => self.registry.remove(meta),
        })
    }

    /// A timer earlier than any before was registered: wake the worker whose park timeout was
    /// computed from the old earliest deadline.
    pub(crate) fn notify_timer_owner(&self, worker: usize) {
        self.remotes[worker].reactor.notify();
    }
}

/// The schedule function of every async task.
fn schedule_task(task: Task, info: ScheduleInfo) {
    task.metadata()
        .state
        .store(crate::task::meta::STATE_SCHEDULED, Ordering::Relaxed);
    context::with_worker(|worker| match worker {
        Some(worker) if std::ptr::eq(&*worker.shared, &*task.metadata().shared) => {
            worker.schedule_local(task, info.woken_while_running)
        }
        _ => {
            // Keep the runtime alive across the hand-off: once the task is in the injector,
            // another thread may run it to completion and drop the last reference to `Shared`
            // held by its metadata.
            let shared = task.metadata().shared.clone();
            shared.schedule_remote(task);
        }
    })
}

/// The schedule function of blocking tasks: hand them to the blocking pool.
fn schedule_blocking(task: Task) {
    task.metadata()
        .state
        .store(crate::task::meta::STATE_SCHEDULED, Ordering::Relaxed);
    let shared = task.metadata().shared.clone();
    shared.blocking.schedule(task, &shared);
}
