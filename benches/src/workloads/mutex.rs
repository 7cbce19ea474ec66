//! mutex: `mutex_tasks` tasks each lock one async mutex `increments_per_task` times, increment
//! the counter inside and unlock; the root awaits them and checks the total. tokio's
//! `sync::Mutex`, smol's `async-lock`, corio's `sync::Mutex`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::{run_corio, run_tokio, SmolRuntime};
use crate::stats::millis;

fn checked(what: &str, total: u64, elapsed: Duration, params: &Params) -> Sample {
    check::equal(
        what,
        total,
        (params.mutex_tasks * params.increments_per_task) as u64,
    );
    vec![millis(elapsed)]
}

/// corio's mutex.
pub fn corio(runtime: &corio::Runtime, params: &Params) -> Sample {
    let (tasks, per) = (params.mutex_tasks, params.increments_per_task);
    let (total, elapsed) = run_corio(runtime, async move {
        let start = Instant::now();
        let mutex = Arc::new(corio::sync::Mutex::new(0u64));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let mutex = mutex.clone();
                corio::spawn(async move {
                    for _ in 0..per {
                        *mutex.lock().await += 1;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("corio task");
        }
        let total = *mutex.lock().await;
        (total, start.elapsed())
    });
    checked("corio mutex increments", total, elapsed, params)
}

/// tokio's mutex.
pub fn tokio(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let (tasks, per) = (params.mutex_tasks, params.increments_per_task);
    let (total, elapsed) = run_tokio(runtime, async move {
        let start = Instant::now();
        let mutex = Arc::new(tokio::sync::Mutex::new(0u64));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let mutex = mutex.clone();
                tokio::spawn(async move {
                    for _ in 0..per {
                        *mutex.lock().await += 1;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("tokio task");
        }
        let total = *mutex.lock().await;
        (total, start.elapsed())
    });
    checked("tokio mutex increments", total, elapsed, params)
}

/// smol's mutex (async-lock).
pub fn smol(runtime: &SmolRuntime, params: &Params) -> Sample {
    let (tasks, per) = (params.mutex_tasks, params.increments_per_task);
    let executor = runtime.executor().clone();
    let (total, elapsed) = runtime.run(async move {
        let start = Instant::now();
        let mutex = Arc::new(async_lock::Mutex::new(0u64));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let mutex = mutex.clone();
                executor.spawn(async move {
                    for _ in 0..per {
                        *mutex.lock().await += 1;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        let total = *mutex.lock().await;
        (total, start.elapsed())
    });
    checked("smol mutex increments", total, elapsed, params)
}
