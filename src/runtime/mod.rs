//! The runtime: worker threads with per-core reactors, the shared timer service, the blocking
//! pool and the monitor. asyncio's `asyncio.run` is [`crate::run`]; its `Runner` and event loop
//! are [`Runtime`]; `get_running_loop()` is [`Handle::current`].

mod block_on;
pub(crate) mod blocking;
mod builder;
pub(crate) mod callbacks;
pub(crate) mod config;
pub(crate) mod context;
mod debug;
mod handle;
mod metrics;
pub(crate) mod monitor;
pub(crate) mod scheduler;

use std::future::Future;
use std::io;
use std::panic::Location;
use std::thread;
use std::time::Duration;

pub use builder::{Builder, WORKER_THREADS_ENV};
pub use callbacks::TimerHandle;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use metrics::{RuntimeMetrics, WorkerMetrics};

use self::config::Config;
use self::scheduler::Shared;
use crate::loom::lock;
use crate::reactor::Reactor;
use crate::task::JoinHandle;
use std::sync::Arc;

/// What a panic in a spawned task does to the runtime (asyncio's exception handler).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// The panic is caught and given to whoever awaits the task's `JoinHandle`. Default.
    #[default]
    Ignore,
    /// The runtime shuts down: every task is cancelled, and `block_on` panics.
    ShutdownRuntime,
}

/// How long dropping a runtime waits for blocking-pool jobs that are still running.
pub const DROP_BLOCKING_GRACE: Duration = Duration::from_secs(10);

/// A corio runtime: worker threads, their reactors, the timer service and the blocking pool.
///
/// Dropping a `Runtime` shuts it down: every task's future is dropped (a cancellation), the
/// worker threads are joined, every registered I/O source and timer is released, and running
/// blocking jobs get [`DROP_BLOCKING_GRACE`] to finish.
///
/// ```
/// let runtime = corio::Runtime::new().unwrap();
/// let answer = runtime.block_on(async {
///     corio::spawn(async { 42 }).await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
#[derive(Debug)]
pub struct Runtime {
    handle: Handle,
    workers: Vec<thread::JoinHandle<()>>,
    monitor: Option<thread::JoinHandle<()>>,
    shut_down: bool,
}

impl Runtime {
    /// A runtime with the default settings (see [`Builder`]).
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    pub(crate) fn start(config: Config) -> io::Result<Runtime> {
        crate::task::clock::init();
        let workers = config.worker_threads;
        let queues: Vec<_> = (0..workers).map(|_| scheduler::WorkerQueues::new()).collect();
        let reactors = (0..workers)
            .map(|_| Reactor::new().map(Arc::new))
            .collect::<io::Result<Vec<_>>>()?;
        let shared = Arc::new(Shared::new(config, &queues, reactors));
        let mut runtime = Runtime {
            handle: Handle::from_shared(shared.clone()),
            workers: Vec::with_capacity(workers),
            monitor: None,
            shut_down: false,
        };
        for (index, queue) in queues.into_iter().enumerate() {
            let worker_shared = shared.clone();
            let thread = runtime_thread(&shared.config, move || {
                scheduler::worker::run(worker_shared, index, queue);
            })?;
            runtime.workers.push(thread);
        }
        let monitor_shared = shared.clone();
        let monitor = thread::Builder::new()
            .name("corio-monitor".into())
            .spawn(move || monitor::run(monitor_shared))?;
        *lock(&shared.monitor) = Some(monitor.thread().clone());
        runtime.monitor = Some(monitor);
        Ok(runtime)
    }

    /// Runs `future` to completion on the current thread, with this runtime entered (so
    /// `spawn`, timers and I/O work inside it), and returns its output. Tasks it spawns run on
    /// the worker threads.
    ///
    /// # Panics
    /// When called on a worker thread of a corio runtime (it would block that worker; `.await`
    /// instead), and when the runtime shut down because of `UnhandledPanic::ShutdownRuntime`.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task; see [`crate::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.shared().spawn(future, None, Location::caller())
    }

    /// Runs a blocking closure on the blocking pool; see [`crate::spawn_blocking`].
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.shared().spawn_blocking(f, None, Location::caller())
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Enters the runtime on this thread until the guard drops: `spawn`, timers and I/O objects
    /// then find it.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// A snapshot of the runtime's counters.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Shuts down, waiting at most `timeout` for running blocking jobs (tasks are cancelled and
    /// workers joined regardless).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = corio::Runtime::new().unwrap();
    /// runtime.spawn_blocking(|| std::thread::sleep(Duration::from_millis(50)));
    /// runtime.shutdown_timeout(Duration::from_millis(1)); // does not wait the 50 ms
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout), true);
    }

    /// Shuts down without waiting for anything: threads finish in the background.
    pub fn shutdown_background(mut self) {
        self.shutdown(None, false);
    }

    fn shutdown(&mut self, blocking_timeout: Option<Duration>, join: bool) {
        if std::mem::replace(&mut self.shut_down, true) {
            return;
        }
        let shared = self.handle.shared().clone();
        shared.begin_shutdown();
        // A runtime dropped from one of its own workers cannot join that worker.
        let on_own_worker = context::with_worker(|worker| {
            worker.is_some_and(|worker| std::ptr::eq(&*worker.shared, &*shared))
        });
        if join && !on_own_worker {
            for worker in self.workers.drain(..) {
                let _ = worker.join();
            }
            if let Some(monitor) = self.monitor.take() {
                let _ = monitor.join();
            }
        }
        // Tasks that no queue holds (waiting on I/O, a timer, a channel) are reached through the
        // registry: waking them after shutdown drops their futures, here.
        for waker in shared.registry.close_and_collect() {
            waker.wake();
        }
        shared.drain_injector();
        shared.timers.close();
        for remote in shared.remotes.iter() {
            remote.reactor.close();
        }
        shared.blocking.shutdown(blocking_timeout);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(Some(DROP_BLOCKING_GRACE), true);
    }
}

/// Spawns a runtime thread with the configured name, stack size and start/stop hooks.
fn runtime_thread(
    config: &Config,
    body: impl FnOnce() + Send + 'static,
) -> io::Result<thread::JoinHandle<()>> {
    let mut builder = thread::Builder::new().name((config.thread_name)());
    if let Some(size) = config.thread_stack_size {
        builder = builder.stack_size(size);
    }
    let on_start = config.on_thread_start.clone();
    let on_stop = config.on_thread_stop.clone();
    builder.spawn(move || {
        if let Some(on_start) = on_start {
            on_start();
        }
        body();
        if let Some(on_stop) = on_stop {
            on_stop();
        }
    })
}
