//! The teeth of the suite: deliberately broken variants of corio's own code that loom must
//! reject. A model that cannot fail proves nothing, so for each fault below there is a model
//! that passes on the real code (`..._holds`) and the same model run with the fault injected
//! (`..._is_caught`), which is expected to fail, for the stated reason.
//!
//! Faults are injected through `corio::__loom::inject_fault`, which sets a switch that the code
//! under test reads with `fault!(...)` (`src/loom.rs`); without `cfg(loom)` every such check is
//! the constant `false`, so production builds contain none of this.
//!
//! | fault | what it breaks | caught by | failure |
//! |---|---|---|---|
//! | `IdleRecheck` | `Idle::transition_worker_to_parked` never reports the last searcher, so the parking worker skips the re-check of the queues (`src/runtime/scheduler/idle.rs`, rule 4) | work pushed while the last searcher parks | "the pushed work woke nobody" |
//! | `SearcherFence` | `Idle::transition_worker_from_searching` skips the fence before the last searcher's re-check of the queues (`src/runtime/scheduler/idle.rs`, rule 3) | work pushed while the last searcher stops searching | "the work pushed during the search woke nobody" |
//! | `WaiterHandoff` | `WaitList::remove` forgets that a cancelled waiter had been notified, so what it was handed is not passed on (`src/sync/waiters.rs`) | `Semaphore::add_permits` racing the only waiter's cancellation | "the cancelled waiter's permit was lost" |
//! | `LifoRelease` | `LifoSlot::replace` publishes with a `Relaxed` swap (`src/runtime/scheduler/lifo.rs`) | a thief taking the owner's task | loom's "Causality violation" on the task's contents |
//! | `BlockingWake` | `BlockingPool::schedule` counts a wake-up for the idle thread but never signals it (`src/runtime/blocking.rs`) | a job scheduled while the only pool thread goes idle | loom's "deadlock" |
//! | `ReadinessTick` | `Source::clear_ready` ignores the readiness tick (`src/reactor/source.rs`) | clearing stale readiness racing a new event | "a newer readiness event was erased" |
#![cfg(loom)]

use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use corio::__loom::{inject_fault, Direction, Fault, Idle, LifoSlot, ModelRuntime, SlotTask, Source};
use corio::sync::Semaphore;
use corio_loom_tests::{block_on, poll_once};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// A race of the idle protocol: worker 1 sleeps, worker 0 is the only searcher, and a producer
/// publishes work and notifies (rule 1) while worker 0 leaves the search by `leave`, which
/// returns whether worker 0 must re-check the queues. Either the producer's notify finds the
/// sleeper or worker 0's re-check sees the work; `failure` is the message if neither does. The
/// work is published with `Release` and read with `Acquire`, as crossbeam's queues do, so the
/// model relies on the protocol's fences, not on SeqCst accesses.
fn idle_race_model(leave: fn(&Idle) -> bool, failure: &'static str) {
    loom::model(move || {
        let idle = Arc::new(Idle::new(2));
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(idle.transition_worker_to_searching());
        let queue = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (idle, queue) = (idle.clone(), queue.clone());
            thread::spawn(move || {
                queue.fetch_add(1, Ordering::Release);
                idle.worker_to_notify()
            })
        };
        let must_recheck = leave(&idle);
        let recheck_notified = if must_recheck && queue.load(Ordering::Acquire) > 0 {
            idle.worker_to_notify()
        } else {
            None
        };
        let producer_notified = producer.join().unwrap();
        assert!(
            producer_notified.is_some() || recheck_notified.is_some(),
            "{}",
            failure
        );
    });
}

/// Rule 4 of the idle protocol: worker 0, the last searcher, parks while the producer publishes
/// work.
fn idle_recheck_model() {
    idle_race_model(
        |idle| idle.transition_worker_to_parked(0, true),
        "the pushed work woke nobody",
    );
}

#[test]
fn idle_recheck_holds() {
    idle_recheck_model();
}

#[test]
#[should_panic(expected = "the pushed work woke nobody")]
fn idle_recheck_skipped_is_caught() {
    let _fault = inject_fault(Fault::IdleRecheck);
    idle_recheck_model();
}

/// Rule 3 of the idle protocol: worker 0, the last searcher, found a task and stops searching
/// while the producer publishes another.
fn searcher_recheck_model() {
    idle_race_model(
        |idle| idle.transition_worker_from_searching(),
        "the work pushed during the search woke nobody",
    );
}

#[test]
fn searcher_recheck_holds() {
    searcher_recheck_model();
}

#[test]
#[should_panic(expected = "the work pushed during the search woke nobody")]
fn searcher_fence_skipped_is_caught() {
    let _fault = inject_fault(Fault::SearcherFence);
    searcher_recheck_model();
}

/// A semaphore waiter is cancelled while `add_permits` hands it the permit: the permit ends up
/// back in the semaphore, handed back by the cancelled waiter if it had reached it.
fn waiter_handoff_model() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(0));
        let mut cancelled = Box::pin(semaphore.acquire());
        assert!(poll_once(cancelled.as_mut()).is_pending());
        let releaser = {
            let semaphore = semaphore.clone();
            thread::spawn(move || semaphore.add_permits(1))
        };
        drop(cancelled);
        releaser.join().unwrap();
        assert_eq!(
            semaphore.available_permits(),
            1,
            "the cancelled waiter's permit was lost"
        );
    });
}

#[test]
fn waiter_handoff_holds() {
    waiter_handoff_model();
}

#[test]
#[should_panic(expected = "the cancelled waiter's permit was lost")]
fn waiter_handoff_dropped_is_caught() {
    let _fault = inject_fault(Fault::WaiterHandoff);
    waiter_handoff_model();
}

/// A task whose contents (written by its creator) are read by whoever takes it from the slot.
struct Payload(Box<UnsafeCell<usize>>);

impl SlotTask for Payload {
    fn into_raw(self) -> NonNull<()> {
        NonNull::from(Box::leak(self.0)).cast()
    }

    unsafe fn from_raw(ptr: NonNull<()>) -> Payload {
        // SAFETY: `ptr` came from `into_raw` (a leaked box), converted back once.
        Payload(unsafe { Box::from_raw(ptr.cast::<UnsafeCell<usize>>().as_ptr()) })
    }
}

/// The owner prepares a task and puts it in its LIFO slot while a thief takes from the slot:
/// the thief must see the task's contents.
fn lifo_release_model() {
    loom::model(|| {
        let slot = Arc::new(LifoSlot::<Payload>::new());
        let thief = {
            let slot = slot.clone();
            thread::spawn(move || {
                slot.take()
                    // SAFETY: the taker owns the task; loom checks the creator's write is visible.
                    .map(|task| task.0.with(|value| unsafe { *value }))
            })
        };
        let task = Payload(Box::new(UnsafeCell::new(0)));
        // SAFETY: the task is not shared yet.
        task.0.with_mut(|value| unsafe { *value = 42 });
        assert!(slot.replace(task).is_none());
        if let Some(value) = thief.join().unwrap() {
            assert_eq!(value, 42, "the thief saw a half-made task");
        }
    });
}

#[test]
fn lifo_release_holds() {
    lifo_release_model();
}

#[test]
#[should_panic(expected = "Causality violation")]
fn lifo_relaxed_publish_is_caught() {
    let _fault = inject_fault(Fault::LifoRelease);
    lifo_release_model();
}

/// A job is scheduled while the pool's only thread, done with its first job, goes idle: the
/// job runs (the handle completes).
fn blocking_wake_model() {
    loom::model(|| {
        let runtime = ModelRuntime::new(1);
        assert_eq!(block_on(runtime.spawn_blocking(|| 1)).unwrap(), 1);
        assert_eq!(block_on(runtime.spawn_blocking(|| 2)).unwrap(), 2);
    });
}

#[test]
fn blocking_wake_holds() {
    blocking_wake_model();
}

#[test]
#[should_panic(expected = "deadlock")]
fn blocking_wake_not_sent_is_caught() {
    let _fault = inject_fault(Fault::BlockingWake);
    blocking_wake_model();
}

/// An operation saw readiness, got `WouldBlock` and clears it while the reactor reports a new
/// event: the new event must survive the clear.
fn readiness_tick_model() {
    loom::model(|| {
        let source = Arc::new(Source::new(0));
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(seen) = source.poll_ready(Direction::Read, &mut cx, None) else {
            panic!("a new source starts optimistic");
        };
        let reactor = {
            let source = source.clone();
            thread::spawn(move || source.set_ready(true, false, false, &mut Vec::new()))
        };
        source.clear_ready(Direction::Read, seen);
        reactor.join().unwrap();
        assert!(
            source.poll_ready(Direction::Read, &mut cx, None).is_ready(),
            "a newer readiness event was erased"
        );
    });
}

#[test]
fn readiness_tick_holds() {
    readiness_tick_model();
}

#[test]
#[should_panic(expected = "a newer readiness event was erased")]
fn readiness_tick_ignored_is_caught() {
    let _fault = inject_fault(Fault::ReadinessTick);
    readiness_tick_model();
}
