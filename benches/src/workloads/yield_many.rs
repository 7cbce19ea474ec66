//! yield_many: `yield_tasks` tasks, each calling `yield_now` `yields_per_task` times; the
//! root task awaits them all. Measures the reschedule path.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::{run_corio, run_tokio, SmolRuntime};
use crate::stats::millis;

fn checked(what: &str, yields: &AtomicUsize, params: &Params, elapsed: std::time::Duration) -> Sample {
    check::equal(
        what,
        yields.load(Ordering::Relaxed),
        params.yield_tasks * params.yields_per_task,
    );
    vec![millis(elapsed)]
}

/// corio's yield_many.
pub fn corio(runtime: &corio::Runtime, params: &Params) -> Sample {
    let (tasks, per_task) = (params.yield_tasks, params.yields_per_task);
    let yields = Arc::new(AtomicUsize::new(0));
    let counter = yields.clone();
    let elapsed = run_corio(runtime, async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let counter = counter.clone();
                corio::spawn(async move {
                    for _ in 0..per_task {
                        corio::task::yield_now().await;
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("corio task");
        }
        start.elapsed()
    });
    checked("corio yield_many yields", &yields, params, elapsed)
}

/// tokio's yield_many.
pub fn tokio(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let (tasks, per_task) = (params.yield_tasks, params.yields_per_task);
    let yields = Arc::new(AtomicUsize::new(0));
    let counter = yields.clone();
    let elapsed = run_tokio(runtime, async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let counter = counter.clone();
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        tokio::task::yield_now().await;
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("tokio task");
        }
        start.elapsed()
    });
    checked("tokio yield_many yields", &yields, params, elapsed)
}

/// smol's yield_many.
pub fn smol(runtime: &SmolRuntime, params: &Params) -> Sample {
    let (tasks, per_task) = (params.yield_tasks, params.yields_per_task);
    let yields = Arc::new(AtomicUsize::new(0));
    let counter = yields.clone();
    let executor = runtime.executor().clone();
    let elapsed = runtime.run(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let counter = counter.clone();
                executor.spawn(async move {
                    for _ in 0..per_task {
                        futures_lite::future::yield_now().await;
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        start.elapsed()
    });
    checked("smol yield_many yields", &yields, params, elapsed)
}
