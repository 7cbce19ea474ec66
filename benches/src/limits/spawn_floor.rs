//! The spawn floor: `async-task` spawn + run + join on one thread, with no scheduler.
//!
//! The tasks do what the runtimes' tasks do (bump a shared counter) and are spawned, then run,
//! then joined, as spawn_many spawns all before awaiting all. Nothing is ever rescheduled: each
//! task completes on its first run, so the schedule function is never called.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::check;
use crate::params::Params;
use crate::stats::millis;
use crate::workloads::Sample;

/// The floor for spawn_many_local and spawn_many_remote (`spawns` tasks).
pub fn many(params: &Params) -> Sample {
    spawn_run_join(params.spawns)
}

/// The floor for chained_spawn (`chain` tasks).
pub fn chain(params: &Params) -> Sample {
    spawn_run_join(params.chain)
}

fn spawn_run_join(tasks: usize) -> Sample {
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let spawned: Vec<_> = (0..tasks)
        .map(|_| {
            let count = counter.clone();
            async_task::spawn(
                async move {
                    count.fetch_add(1, Ordering::Relaxed);
                },
                |_rescheduled| unreachable!("a floor task completes on its first run"),
            )
        })
        .collect();
    let mut joins = Vec::with_capacity(tasks);
    for (runnable, task) in spawned {
        runnable.run();
        joins.push(task);
    }
    for task in joins {
        join_completed(task);
    }
    let elapsed = start.elapsed();
    check::equal(
        "async-task floor tasks run",
        counter.load(Ordering::Relaxed),
        tasks,
    );
    vec![millis(elapsed)]
}

/// Takes the output of a task that has already completed.
fn join_completed<F: Future>(task: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(task).poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the task was run before being joined"),
    }
}
