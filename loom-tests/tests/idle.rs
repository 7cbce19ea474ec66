//! The searching/idle protocol of the scheduler (`src/runtime/scheduler/idle.rs`).
#![cfg(loom)]

use corio::__loom::Idle;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// The lost-wakeup race: worker 0, the last searcher, parks while a producer publishes work.
/// Either the producer's notify finds worker 0 asleep and wakes it, or worker 0's re-check after
/// registering as a sleeper sees the work. Never neither.
#[test]
fn work_pushed_while_the_last_searcher_parks_is_never_lost() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        // Worker 1 sleeps already; worker 0 is searching.
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(idle.transition_worker_to_searching());
        let queue = Arc::new(AtomicUsize::new(0));

        let producer = {
            let (idle, queue) = (idle.clone(), queue.clone());
            thread::spawn(move || {
                queue.fetch_add(1, Ordering::SeqCst);
                idle.worker_to_notify()
            })
        };
        let last_searcher = idle.transition_worker_to_parked(0, true);
        let rechecked = last_searcher && queue.load(Ordering::SeqCst) > 0;
        let recheck_notified = if rechecked { idle.worker_to_notify() } else { None };
        let producer_notified = producer.join().unwrap();

        assert!(last_searcher, "worker 0 was the only searcher");
        assert!(
            producer_notified.is_some() || recheck_notified.is_some(),
            "the pushed work woke nobody"
        );
    });
}

/// A notified sleeper learns that it was notified (and so is counted as searching); a worker
/// that wakes on its own at the same moment takes itself off the sleeper list instead, and the
/// notification goes to the other sleeper.
#[test]
fn notified_and_spurious_wakeups_are_told_apart() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        idle.transition_worker_to_parked(0, false);
        idle.transition_worker_to_parked(1, false);
        assert!(idle.all_parked());

        let notifier = {
            let idle = idle.clone();
            thread::spawn(move || idle.worker_to_notify())
        };
        // Worker 0 wakes up at the same time, for its own reasons (an I/O event).
        let zero_was_notified = idle.transition_worker_from_parked(0);
        let notified = notifier.join().unwrap();

        let notified = notified.expect("with nobody searching and a sleeper left, someone is woken");
        assert_eq!(
            notified == 0,
            zero_was_notified,
            "worker 0 knows whether the notification was for it"
        );
        assert!(!idle.all_parked());
    });
}
