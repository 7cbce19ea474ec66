//! Micro-benchmarks of the runtime core: spawn + run + join, and yield.
//!
//! ```sh
//! cargo run --release -p corio-benches --bin micro
//! ```
//!
//! The *floor* row is raw `async-task` spawn + run + join on one thread with no scheduler: the
//! allocation and state-machine cost every runtime pays. The side-by-side comparison with tokio
//! and smol is the `compare` harness (a later issue); this binary only tracks corio against
//! its own floor.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SPAWNS: usize = 100_000;
const SAMPLES: usize = 9;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Raw async-task on one thread: spawn, run, join, one task at a time.
fn floor_spawn_run_join() -> Duration {
    let start = Instant::now();
    for i in 0..SPAWNS {
        let (runnable, task) = async_task::spawn(async move { black_box(i) }, |_| {});
        runnable.run();
        let value = futures_lite_block_on(task);
        black_box(value);
    }
    start.elapsed()
}

/// Raw async-task on one thread, joined the way a task joins another: a parent task spawns a
/// child and awaits its handle, on a minimal executor (a queue and a loop). Per iteration: the
/// child's spawn and run, the parent's registration as the child's awaiter, its wake-up and its
/// second poll. That is the work `corio_spawn_run_join` asks of any runtime, so this is its floor.
fn floor_spawn_run_await() -> Duration {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    // The schedule function must be `Send + Sync` for `spawn`; this executor is single-threaded,
    // so it schedules through a thread-local instead of capturing the `Rc`.
    thread_local! {
        static QUEUE: RefCell<VecDeque<async_task::Runnable>> = RefCell::default();
    }
    fn schedule(runnable: async_task::Runnable) {
        QUEUE.with(|queue| queue.borrow_mut().push_back(runnable));
    }
    let start = Instant::now();
    let (parent, parent_task) = async_task::spawn(
        async {
            for i in 0..SPAWNS {
                let (child, task) = async_task::spawn(async move { black_box(i) }, schedule);
                child.schedule();
                black_box(task.await);
            }
        },
        schedule,
    );
    parent.schedule();
    while let Some(runnable) = QUEUE.with(|queue| queue.borrow_mut().pop_front()) {
        runnable.run();
    }
    assert!(parent_task.is_finished(), "the parent ran to completion");
    start.elapsed()
}

/// Polls a future that is already complete (the task output) without a runtime.
fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("the task was run before being joined"),
    }
}

/// corio: from inside a task, spawn and await one empty task at a time.
fn corio_spawn_run_join(rt: &corio::Runtime) -> Duration {
    rt.block_on(async {
        corio::spawn(async {
            let start = Instant::now();
            for i in 0..SPAWNS {
                black_box(corio::spawn(async move { black_box(i) }).await.unwrap());
            }
            start.elapsed()
        })
        .await
        .unwrap()
    })
}

/// corio: spawn 10,000 counter tasks from inside a task and wait for all (BENCHMARKS.md's
/// spawn_many_local).
fn corio_spawn_many_local(rt: &corio::Runtime) -> Duration {
    rt.block_on(async {
        corio::spawn(async {
            let counter = Arc::new(AtomicUsize::new(0));
            let start = Instant::now();
            let handles: Vec<_> = (0..10_000)
                .map(|_| {
                    let counter = counter.clone();
                    corio::spawn(async move {
                        counter.fetch_add(1, Ordering::Relaxed);
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
            assert_eq!(counter.load(Ordering::Relaxed), 10_000);
            start.elapsed()
        })
        .await
        .unwrap()
    })
}

/// corio: 200 tasks × 1,000 `yield_now` (BENCHMARKS.md's yield_many).
fn corio_yield_many(rt: &corio::Runtime) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..200)
            .map(|_| {
                corio::spawn(async {
                    for _ in 0..1_000 {
                        corio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        start.elapsed()
    })
}

/// `--only a,b`: run only the benchmarks whose name contains one of the words.
fn selected(name: &str) -> bool {
    let only: Option<String> = std::env::args().skip_while(|arg| arg != "--only").nth(1);
    only.is_none_or(|only| only.split(',').any(|word| name.contains(word)))
}

fn report(name: &str, per: usize, sample: impl FnMut() -> Duration) -> Duration {
    if !selected(name) {
        return Duration::from_nanos(1);
    }
    let samples: Vec<Duration> = std::iter::repeat_with(sample).take(SAMPLES).collect();
    let min = *samples.iter().min().unwrap();
    let max = *samples.iter().max().unwrap();
    let median = median(samples);
    println!(
        "{name:<34} median {:>9.2?}  ({:>7.1} ns/op)  range {:.2?}..{:.2?}",
        median,
        median.as_nanos() as f64 / per as f64,
        min,
        max
    );
    median
}

fn main() {
    let workers: usize = std::env::args()
        .skip_while(|arg| arg != "--workers")
        .nth(1)
        .map(|n| n.parse().expect("--workers N"))
        .unwrap_or(2);
    println!("corio micro-benchmarks, {workers} workers, median of {SAMPLES} samples");
    let rt = corio::runtime::Builder::new()
        .worker_threads(workers)
        .build()
        .unwrap();
    let one = corio::runtime::Builder::new().worker_threads(1).build().unwrap();

    let floor = report("floor: async-task spawn+run+join", SPAWNS, floor_spawn_run_join);
    let await_floor = report("floor: async-task spawn+run+await", SPAWNS, floor_spawn_run_await);
    let single = report("corio spawn+run+join (1 worker)", SPAWNS, || {
        corio_spawn_run_join(&one)
    });
    let multi = report(
        &format!("corio spawn+run+join ({workers} workers)"),
        SPAWNS,
        || corio_spawn_run_join(&rt),
    );
    report("corio spawn_many_local (10k)", 10_000, || {
        corio_spawn_many_local(&rt)
    });
    report("corio yield_many (200 x 1000)", 200_000, || corio_yield_many(&rt));
    // `report` returns 1 ns for a benchmark that `--only` left out.
    let ran = |d: Duration| d > Duration::from_nanos(1);
    if ran(floor) && ran(single) && ran(multi) {
        println!(
            "spawn+run+join vs floor: {:.2}x (1 worker), {:.2}x ({workers} workers)",
            single.as_secs_f64() / floor.as_secs_f64(),
            multi.as_secs_f64() / floor.as_secs_f64()
        );
    }
    if ran(await_floor) && ran(single) && ran(multi) {
        println!(
            "spawn+run+join vs the await floor: {:.2}x (1 worker), {:.2}x ({workers} workers); goal <= 2x",
            single.as_secs_f64() / await_floor.as_secs_f64(),
            multi.as_secs_f64() / await_floor.as_secs_f64()
        );
    }
}
