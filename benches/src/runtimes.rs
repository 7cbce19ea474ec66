//! The three runtimes under test, each with the same number of worker threads.
//!
//! - corio: `corio::runtime::Builder::worker_threads(n)`.
//! - tokio: the multi-thread runtime, `worker_threads(n)`, I/O and time enabled.
//! - smol: one `async_executor::Executor` run by `n` threads, each inside `async_io::block_on`
//!   so that whichever worker is idle also drives async-io's reactor (smol's own recipe for a
//!   multi-threaded executor).
//!
//! Every workload body runs as a task on the runtime, never on the thread that started it, so
//! no runtime gets an extra thread: `run_*` spawns the body and blocks the calling thread on its
//! join handle. For smol that wait is `futures_lite::future::block_on`, a plain park: with
//! `async_io::block_on` the waiting main thread would also drive the reactor, a third worker
//! the other two runtimes do not get. (async-io's own fallback "async-io" thread, which drives
//! the reactor while no worker does, is part of smol's design and stays.)

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;

use async_executor::Executor;

/// The three runtimes, built once and kept for the whole run.
pub struct Runtimes {
    /// corio.
    pub corio: corio::Runtime,
    /// tokio.
    pub tokio: tokio::runtime::Runtime,
    /// smol.
    pub smol: SmolRuntime,
}

impl Runtimes {
    /// Builds the three runtimes with `workers` worker threads each.
    pub fn new(workers: usize) -> Runtimes {
        let corio = corio::runtime::Builder::new()
            .worker_threads(workers)
            .build()
            .expect("build the corio runtime");
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("build the tokio runtime");
        Runtimes {
            corio,
            tokio,
            smol: SmolRuntime::new(workers),
        }
    }
}

/// smol's multi-threaded executor: `workers` threads running one shared `Executor`.
pub struct SmolRuntime {
    executor: Arc<Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl SmolRuntime {
    /// Starts `workers` threads running the executor.
    pub fn new(workers: usize) -> SmolRuntime {
        let executor = Arc::new(Executor::new());
        // Closed (never sent to) when the runtime drops: every worker's `run` then returns.
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|index| {
                let executor = executor.clone();
                let stopped = stopped.clone();
                std::thread::Builder::new()
                    .name(format!("smol-worker-{index}"))
                    .spawn(move || {
                        async_io::block_on(executor.run(async {
                            let _ = stopped.recv().await;
                        }))
                    })
                    .expect("spawn a smol worker thread")
            })
            .collect();
        SmolRuntime {
            executor,
            stop: Some(stop),
            threads,
        }
    }

    /// The executor, for spawning (tasks spawn their children through a clone of it).
    pub fn executor(&self) -> &Arc<Executor<'static>> {
        &self.executor
    }

    /// Runs `body` as a task on the workers and waits for its result.
    pub fn run<T: Send + 'static>(&self, body: impl Future<Output = T> + Send + 'static) -> T {
        wait(self.executor.spawn(body))
    }
}

/// Blocks the calling thread until `future` completes, parking it in between: for the main
/// thread's waits on smol tasks (see the module documentation for why not `async_io::block_on`).
pub fn wait<T>(future: impl Future<Output = T>) -> T {
    futures_lite::future::block_on(future)
}

impl Drop for SmolRuntime {
    fn drop(&mut self) {
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Runs `body` as a corio task and waits for its result.
pub fn run_corio<T: Send + 'static>(
    runtime: &corio::Runtime,
    body: impl Future<Output = T> + Send + 'static,
) -> T {
    runtime
        .block_on(runtime.spawn(body))
        .expect("the corio benchmark task failed")
}

/// Runs `body` as a tokio task and waits for its result.
pub fn run_tokio<T: Send + 'static>(
    runtime: &tokio::runtime::Runtime,
    body: impl Future<Output = T> + Send + 'static,
) -> T {
    runtime
        .block_on(runtime.spawn(body))
        .expect("the tokio benchmark task failed")
}
