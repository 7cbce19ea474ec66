//! `Notify`, `Event` and `Barrier` (`src/sync/{notify,event,barrier}.rs`): no lost wake-up, no
//! lost notification on cancellation, one leader per barrier round.
//!
//! `block_on` parks the loom thread until its future's waker is woken; loom reports a
//! deadlock if that never happens, so "the future completes" also checks that the right waker
//! was woken.
#![cfg(loom)]

use std::pin::pin;

use corio::sync::{Barrier, Event, Notify};
use loom::sync::Arc;
use loom::thread;

use corio_loom_tests::{block_on, poll_once};

/// `notify_one` races with a waiter that registers: either the waiter is queued and is woken,
/// or it finds the stored permit. Never neither.
#[test]
fn notify_one_racing_with_registration_is_not_lost() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        block_on(notify.notified());
        notifier.join().unwrap();
        // The one notification was consumed: no permit is left.
        assert!(poll_once(pin!(notify.notified())).is_pending());
    });
}

/// A queued waiter is dropped while `notify_one` runs: whether the notification reached it or
/// not, the waiter queued behind it gets it.
#[test]
fn notify_one_racing_with_a_cancelled_waiter_reaches_the_next() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let mut cancelled = Box::pin(notify.notified());
        assert!(!cancelled.as_mut().enable());
        let mut next = Box::pin(notify.notified());
        assert!(!next.as_mut().enable());

        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        drop(cancelled);
        block_on(next);
        notifier.join().unwrap();
        assert!(
            poll_once(pin!(notify.notified())).is_pending(),
            "the notification was duplicated"
        );
    });
}

/// The only waiter is dropped while `notify_one` runs: the notification ends up as the stored
/// permit, either directly or handed back by the dropped waiter.
#[test]
fn notify_one_racing_with_the_only_waiter_cancelled_becomes_the_permit() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let mut cancelled = Box::pin(notify.notified());
        assert!(!cancelled.as_mut().enable());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        drop(cancelled);
        notifier.join().unwrap();
        assert!(
            poll_once(pin!(notify.notified())).is_ready(),
            "the notification was lost"
        );
    });
}

/// `notify_waiters` wakes a `Notified` created before the call, whether its first poll comes
/// before or after the call.
#[test]
fn notify_waiters_racing_with_the_first_poll_is_not_lost() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let notified = notify.notified();
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_waiters())
        };
        block_on(notified);
        notifier.join().unwrap();
        assert!(
            poll_once(pin!(notify.notified())).is_pending(),
            "notify_waiters stored a permit"
        );
    });
}

/// `set` races with a waiter that checks the flag and registers: the waiter always completes.
#[test]
fn event_set_racing_with_wait_is_not_lost() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let setter = {
            let event = event.clone();
            thread::spawn(move || event.set())
        };
        block_on(event.wait());
        assert!(event.is_set());
        setter.join().unwrap();
    });
}

/// A queued waiter woken by `set` completes even when `clear` follows at once, racing with
/// the waiter's next poll.
#[test]
fn event_waiter_woken_by_set_completes_despite_clear() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let mut wait = Box::pin(event.wait());
        assert!(poll_once(wait.as_mut()).is_pending());
        let setter = {
            let event = event.clone();
            thread::spawn(move || {
                event.set();
                event.clear();
            })
        };
        block_on(wait);
        setter.join().unwrap();
        assert!(!event.is_set());
    });
}

/// Two parties on two threads: both are released, with indices 0 and 1 and one leader.
#[test]
fn barrier_of_two_releases_both_with_one_leader() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2));
        let other = {
            let barrier = barrier.clone();
            thread::spawn(move || block_on(barrier.wait()).unwrap())
        };
        let mine = block_on(barrier.wait()).unwrap();
        let theirs = other.join().unwrap();
        assert_eq!(mine.index() + theirs.index(), 1, "indices are not 0 and 1");
        assert!(mine.is_leader() != theirs.is_leader(), "not exactly one leader");
        assert_eq!(barrier.n_waiting(), 0);
    });
}

/// `abort` races with a waiter: it fails, at once or when aborted, but never hangs.
#[test]
fn barrier_abort_racing_with_a_waiter_fails_it() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2));
        let aborter = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.abort())
        };
        assert!(block_on(barrier.wait()).is_err());
        aborter.join().unwrap();
        assert_eq!(barrier.n_waiting(), 0);
    });
}
