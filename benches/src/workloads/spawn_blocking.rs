//! spawn_blocking: `blocking_jobs` no-op jobs handed to the runtime's blocking thread pool,
//! all at once from a task, then awaited. smol's pool is the `blocking` crate (`unblock`).
//! Each job bumps a counter, checked at the end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::{run_corio, run_tokio, SmolRuntime};
use crate::stats::millis;

fn checked(what: &str, jobs: &AtomicUsize, elapsed: Duration, params: &Params) -> Sample {
    check::equal(what, jobs.load(Ordering::Relaxed), params.blocking_jobs);
    vec![millis(elapsed)]
}

/// corio's spawn_blocking.
pub fn corio(runtime: &corio::Runtime, params: &Params) -> Sample {
    let count = params.blocking_jobs;
    let jobs = Arc::new(AtomicUsize::new(0));
    let counter = jobs.clone();
    let elapsed = run_corio(runtime, async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..count)
            .map(|_| {
                let counter = counter.clone();
                corio::spawn_blocking(move || {
                    counter.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("corio blocking job");
        }
        start.elapsed()
    });
    checked("corio spawn_blocking jobs run", &jobs, elapsed, params)
}

/// tokio's spawn_blocking.
pub fn tokio(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let count = params.blocking_jobs;
    let jobs = Arc::new(AtomicUsize::new(0));
    let counter = jobs.clone();
    let elapsed = run_tokio(runtime, async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..count)
            .map(|_| {
                let counter = counter.clone();
                tokio::task::spawn_blocking(move || {
                    counter.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("tokio blocking job");
        }
        start.elapsed()
    });
    checked("tokio spawn_blocking jobs run", &jobs, elapsed, params)
}

/// smol's spawn_blocking (`blocking::unblock`).
pub fn smol(runtime: &SmolRuntime, params: &Params) -> Sample {
    let count = params.blocking_jobs;
    let jobs = Arc::new(AtomicUsize::new(0));
    let counter = jobs.clone();
    let elapsed = runtime.run(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..count)
            .map(|_| {
                let counter = counter.clone();
                blocking::unblock(move || {
                    counter.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        start.elapsed()
    });
    checked("smol spawn_blocking jobs run", &jobs, elapsed, params)
}
