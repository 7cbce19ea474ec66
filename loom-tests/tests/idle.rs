//! The searching/idle protocol of the scheduler (`src/runtime/scheduler/idle.rs`).
#![cfg(loom)]

use corio::__loom::Idle;
use loom::sync::Arc;
use loom::thread;

// The lost-wakeup race of rule 4 (work pushed while the last searcher parks) is modelled in
// `teeth.rs`, which runs it on the real protocol (`idle_recheck_holds`) and with the re-check
// deliberately skipped, to show the model catches that (`idle_recheck_skipped_is_caught`).

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
