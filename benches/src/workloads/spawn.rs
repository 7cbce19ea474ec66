//! spawn_many_local, spawn_many_remote and chained_spawn: creating, scheduling and finishing
//! tasks, as tokio's own `rt_multi_threaded` benches measure it.
//!
//! - spawn_many_local: from inside a task, spawn `spawns` tasks that each bump a counter, then
//!   await every join handle.
//! - spawn_many_remote: the same spawns from the main thread, outside the runtime (the
//!   injection path); the main thread then blocks on awaiting all of them.
//! - chained_spawn: a chain of `chain` tasks, each spawning the next; the last one wakes the
//!   main thread through a std channel (tokio's bench does the same).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_executor::Executor;

use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::{run_corio, run_tokio, SmolRuntime};
use crate::stats::millis;

fn counted(what: &str, counter: &AtomicUsize, expected: usize, elapsed: Duration) -> Sample {
    check::equal(what, counter.load(Ordering::Relaxed), expected);
    vec![millis(elapsed)]
}

// spawn_many_local

/// corio's spawn_many_local.
pub fn corio_many_local(runtime: &corio::Runtime, params: &Params) -> Sample {
    let spawns = params.spawns;
    let counter = Arc::new(AtomicUsize::new(0));
    let count = counter.clone();
    let elapsed = run_corio(runtime, async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..spawns)
            .map(|_| {
                let count = count.clone();
                corio::spawn(async move {
                    count.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("corio task");
        }
        start.elapsed()
    });
    counted("corio spawn_many_local tasks run", &counter, spawns, elapsed)
}

/// tokio's spawn_many_local.
pub fn tokio_many_local(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let spawns = params.spawns;
    let counter = Arc::new(AtomicUsize::new(0));
    let count = counter.clone();
    let elapsed = run_tokio(runtime, async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..spawns)
            .map(|_| {
                let count = count.clone();
                tokio::spawn(async move {
                    count.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("tokio task");
        }
        start.elapsed()
    });
    counted("tokio spawn_many_local tasks run", &counter, spawns, elapsed)
}

/// smol's spawn_many_local.
pub fn smol_many_local(runtime: &SmolRuntime, params: &Params) -> Sample {
    let spawns = params.spawns;
    let counter = Arc::new(AtomicUsize::new(0));
    let count = counter.clone();
    let executor = runtime.executor().clone();
    let elapsed = runtime.run(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..spawns)
            .map(|_| {
                let count = count.clone();
                executor.spawn(async move {
                    count.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        start.elapsed()
    });
    counted("smol spawn_many_local tasks run", &counter, spawns, elapsed)
}

// spawn_many_remote

/// corio's spawn_many_remote.
pub fn corio_many_remote(runtime: &corio::Runtime, params: &Params) -> Sample {
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..params.spawns)
        .map(|_| {
            let count = counter.clone();
            runtime.spawn(async move {
                count.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    runtime.block_on(async {
        for task in tasks {
            task.await.expect("corio task");
        }
    });
    let elapsed = start.elapsed();
    counted(
        "corio spawn_many_remote tasks run",
        &counter,
        params.spawns,
        elapsed,
    )
}

/// tokio's spawn_many_remote.
pub fn tokio_many_remote(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..params.spawns)
        .map(|_| {
            let count = counter.clone();
            runtime.spawn(async move {
                count.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    runtime.block_on(async {
        for task in tasks {
            task.await.expect("tokio task");
        }
    });
    let elapsed = start.elapsed();
    counted(
        "tokio spawn_many_remote tasks run",
        &counter,
        params.spawns,
        elapsed,
    )
}

/// smol's spawn_many_remote.
pub fn smol_many_remote(runtime: &SmolRuntime, params: &Params) -> Sample {
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..params.spawns)
        .map(|_| {
            let count = counter.clone();
            runtime.executor().spawn(async move {
                count.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    crate::runtimes::wait(async {
        for task in tasks {
            task.await;
        }
    });
    let elapsed = start.elapsed();
    counted(
        "smol spawn_many_remote tasks run",
        &counter,
        params.spawns,
        elapsed,
    )
}

// chained_spawn

fn corio_link(left: usize, links: Arc<AtomicUsize>, done: SyncSender<()>) {
    links.fetch_add(1, Ordering::Relaxed);
    if left == 0 {
        done.send(()).expect("the main thread waits");
    } else {
        drop(corio::spawn(async move { corio_link(left - 1, links, done) }));
    }
}

fn tokio_link(left: usize, links: Arc<AtomicUsize>, done: SyncSender<()>) {
    links.fetch_add(1, Ordering::Relaxed);
    if left == 0 {
        done.send(()).expect("the main thread waits");
    } else {
        drop(tokio::spawn(async move { tokio_link(left - 1, links, done) }));
    }
}

fn smol_link(executor: Arc<Executor<'static>>, left: usize, links: Arc<AtomicUsize>, done: SyncSender<()>) {
    links.fetch_add(1, Ordering::Relaxed);
    if left == 0 {
        done.send(()).expect("the main thread waits");
    } else {
        let next = executor.clone();
        executor
            .spawn(async move { smol_link(next, left - 1, links, done) })
            .detach();
    }
}

/// corio's chained_spawn.
pub fn corio_chained(runtime: &corio::Runtime, params: &Params) -> Sample {
    let (done, finished) = sync_channel(1);
    let links = Arc::new(AtomicUsize::new(0));
    let chain = params.chain;
    let start = Instant::now();
    let first = links.clone();
    drop(runtime.spawn(async move { corio_link(chain - 1, first, done) }));
    finished.recv().expect("the chain ends");
    let elapsed = start.elapsed();
    counted("corio chained_spawn links run", &links, chain, elapsed)
}

/// tokio's chained_spawn.
pub fn tokio_chained(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let (done, finished) = sync_channel(1);
    let links = Arc::new(AtomicUsize::new(0));
    let chain = params.chain;
    let start = Instant::now();
    let first = links.clone();
    drop(runtime.spawn(async move { tokio_link(chain - 1, first, done) }));
    finished.recv().expect("the chain ends");
    let elapsed = start.elapsed();
    counted("tokio chained_spawn links run", &links, chain, elapsed)
}

/// smol's chained_spawn.
pub fn smol_chained(runtime: &SmolRuntime, params: &Params) -> Sample {
    let (done, finished) = sync_channel(1);
    let links = Arc::new(AtomicUsize::new(0));
    let chain = params.chain;
    let start = Instant::now();
    let first = links.clone();
    let executor = runtime.executor().clone();
    runtime
        .executor()
        .spawn(async move { smol_link(executor, chain - 1, first, done) })
        .detach();
    finished.recv().expect("the chain ends");
    let elapsed = start.elapsed();
    counted("smol chained_spawn links run", &links, chain, elapsed)
}
