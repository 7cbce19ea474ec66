//! `JoinHandle` completion vs `abort` vs drop (`src/task/join.rs`, `harness.rs`, `meta.rs`,
//! `registry.rs`).
//!
//! The tasks are the runtime's own: `ModelRuntime` spawns through the real `Shared::spawn`, so
//! the task cell, its `TaskMeta`, the `TaskFuture` wrapper (abort check, unregistering on drop),
//! the registry entry that `abort()` wakes through, the schedule function and the `JoinHandle`
//! are all the production code. Only the worker loop is replaced: queued tasks run when a model
//! thread calls `run_queued`.
//!
//! async-task's own state machine uses std atomics, which loom does not see: its transitions
//! are atomic steps to loom, and loom would not interleave a racing `abort`/drop/await with
//! them at all (nothing it sees conflicts). So each task's future steps a loom atomic
//! (`progress`) at every poll, and each racing action touches it just before acting: loom then
//! places the action before the first poll, between the polls, and after completion. What is
//! not explored is an action landing *inside* one of async-task's transitions (async-task's
//! own tests cover those).
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;
use std::task::{Context, Poll};

use corio::__loom::ModelRuntime;
use corio_loom_tests::block_on;
use loom::sync::atomic::AtomicUsize as LoomAtomicUsize;
use loom::sync::Arc;
use loom::thread;

/// Counts its drops.
struct DropCounter(StdArc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Returns `Pending` once (waking itself, as a yield does), then `Ready`.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Counters of one task: how often its future and its output were dropped, and the loom-visible
/// progress of its polls.
#[derive(Clone)]
struct Counts {
    future: StdArc<AtomicUsize>,
    output: StdArc<AtomicUsize>,
    progress: Arc<LoomAtomicUsize>,
}

impl Counts {
    fn new() -> Counts {
        Counts {
            future: StdArc::default(),
            output: StdArc::default(),
            progress: Arc::new(LoomAtomicUsize::new(0)),
        }
    }

    /// A future that yields once and returns an output; both count their drops, and each poll
    /// steps `progress`.
    fn task(&self) -> impl Future<Output = DropCounter> + Send + 'static {
        let guard = DropCounter(self.future.clone());
        let output = self.output.clone();
        let progress = self.progress.clone();
        async move {
            let _guard = guard;
            progress.fetch_add(1, Ordering::SeqCst);
            YieldOnce(false).await;
            progress.fetch_add(1, Ordering::SeqCst);
            DropCounter(output)
        }
    }

    /// A loom-visible step that conflicts with the task's polls (see the module docs).
    fn probe(&self) {
        self.progress.fetch_add(0, Ordering::SeqCst);
    }

    fn future_drops(&self) -> usize {
        self.future.load(Ordering::SeqCst)
    }

    fn output_drops(&self) -> usize {
        self.output.load(Ordering::SeqCst)
    }
}

/// `abort()` races the task running to completion (two polls, with a self-wake between them).
/// Afterwards, with every queued task run, awaiting the handle never hangs and gives either the
/// value or "cancelled"; the future was dropped exactly once and the registry is empty.
#[test]
fn abort_racing_completion_gives_the_value_or_cancelled() {
    loom::model(|| {
        let runtime = Arc::new(ModelRuntime::new(1));
        let counts = Counts::new();
        let handle = runtime.spawn(counts.task());
        let abort = handle.abort_handle();
        let worker = {
            let runtime = runtime.clone();
            thread::spawn(move || runtime.run_queued())
        };
        let aborter = {
            let counts = counts.clone();
            thread::spawn(move || {
                counts.probe();
                abort.abort();
            })
        };
        worker.join().unwrap();
        aborter.join().unwrap();
        // The abort's wake may have queued the task again after the worker's last look.
        runtime.run_queued();

        match block_on(handle) {
            Ok(output) => drop(output),
            Err(error) => assert!(error.is_cancelled(), "not a cancellation: {error}"),
        }
        assert_eq!(counts.future_drops(), 1, "the future is dropped exactly once");
        assert!(counts.output_drops() <= 1);
        assert_eq!(runtime.live_tasks(), 0, "the task is still registered");
    });
}

/// Dropping the `JoinHandle` (detaching the task) races its completion: the task still runs to
/// completion, and its future and its output are each dropped exactly once, by whichever side
/// finishes last.
#[test]
fn handle_drop_racing_completion_drops_the_output_once() {
    loom::model(|| {
        let runtime = Arc::new(ModelRuntime::new(1));
        let counts = Counts::new();
        let handle = runtime.spawn(counts.task());
        let worker = {
            let runtime = runtime.clone();
            thread::spawn(move || runtime.run_queued())
        };
        counts.probe();
        drop(handle);
        worker.join().unwrap();
        assert_eq!(runtime.run_queued(), 0, "the task was left half-run");
        assert_eq!(counts.future_drops(), 1, "the future is dropped exactly once");
        assert_eq!(counts.output_drops(), 1, "the output is dropped exactly once");
        assert_eq!(runtime.live_tasks(), 0);
    });
}

/// Awaiting the handle on another thread races the task's completion: the awaiter is woken
/// (never hangs) and gets the value.
#[test]
fn awaiting_racing_completion_is_woken_with_the_value() {
    loom::model(|| {
        let runtime = Arc::new(ModelRuntime::new(1));
        let counts = Counts::new();
        let handle = runtime.spawn(counts.task());
        let worker = {
            let runtime = runtime.clone();
            thread::spawn(move || runtime.run_queued())
        };
        counts.probe();
        let output = block_on(handle).unwrap_or_else(|error| panic!("the task failed: {error}"));
        worker.join().unwrap();
        drop(output);
        assert_eq!(counts.future_drops(), 1);
        assert_eq!(counts.output_drops(), 1);
    });
}

/// An abort after completion changes nothing: an `AbortHandle` used after the task finished,
/// racing the owner's await, leaves the result `Ok`.
#[test]
fn abort_after_completion_keeps_the_value() {
    loom::model(|| {
        let runtime = Arc::new(ModelRuntime::new(1));
        let counts = Counts::new();
        let handle = runtime.spawn(counts.task());
        let abort = handle.abort_handle();
        assert_eq!(runtime.run_queued(), 2, "two polls: the yield and the completion");
        let aborter = {
            let counts = counts.clone();
            thread::spawn(move || {
                counts.probe();
                abort.abort();
            })
        };
        counts.probe();
        let result = block_on(handle);
        aborter.join().unwrap();
        assert_eq!(
            runtime.run_queued(),
            0,
            "an abort after completion scheduled the task"
        );
        assert!(result.is_ok(), "an abort after completion cancelled the task");
        drop(result);
        assert_eq!(counts.future_drops(), 1);
        assert_eq!(counts.output_drops(), 1);
    });
}

/// `abort()` of a task that is idle (pending, nothing will wake it) racing the worker: the
/// abort's wake reaches the task through its registry entry, its future is dropped, and the
/// handle reports the cancellation.
#[test]
fn abort_of_an_idle_task_cancels_it() {
    loom::model(|| {
        let runtime = Arc::new(ModelRuntime::new(1));
        let counts = Counts::new();
        let guard = DropCounter(counts.future.clone());
        let progress = counts.progress.clone();
        let handle = runtime.spawn(async move {
            let _guard = guard;
            progress.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<()>().await;
        });
        let worker = {
            let runtime = runtime.clone();
            thread::spawn(move || runtime.run_queued())
        };
        counts.probe();
        handle.abort();
        worker.join().unwrap();
        runtime.run_queued();
        let error = block_on(handle).expect_err("a pending task cannot complete");
        assert!(error.is_cancelled());
        assert_eq!(counts.future_drops(), 1);
        assert_eq!(runtime.live_tasks(), 0);
    });
}
