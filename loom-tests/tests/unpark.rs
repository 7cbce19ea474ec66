//! Unparking a parking worker: a wake-up sent while a worker is between "decided to park" and
//! "waiting in its poller" is not lost, a peer polling the worker's reactor cannot swallow it,
//! and coalesced wake-ups are not lost either.
//!
//! A worker parks in `Poller::wait` and is unparked by ringing its reactor's doorbell
//! (`Reactor::notify` in `src/reactor/mod.rs`): an eventfd registered level-triggered, written
//! only when a `rung` flag was clear, and drained (then the flag cleared) only by its owner when
//! it sees it. Peers poll the reactor too (`Reactor::poll_now`), and leave the doorbell alone.
//! The poller is not loom-checkable (epoll and an eventfd); what these models check is the
//! protocol around it:
//! - the real idle set (`Idle`, `src/runtime/scheduler/idle.rs`) decides *whom* to notify;
//! - the doorbell is [`Doorbell`]: the `rung` flag and its orderings as `Reactor::notify` and
//!   `drain_doorbell` use them, and the eventfd as a level that a wait observes without
//!   consuming (that is what level-triggered registration gives; not checked here).
#![cfg(loom)]

use corio::__loom::Idle;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// A reactor's doorbell: the coalescing flag and the eventfd's counter.
#[derive(Default)]
struct Doorbell {
    rung: AtomicBool,
    counter: Mutex<u64>,
    condvar: Condvar,
}

impl Doorbell {
    /// `Reactor::notify`.
    fn notify(&self) {
        if !self.rung.swap(true, Ordering::SeqCst) {
            *self.counter.lock().unwrap() += 1;
            self.condvar.notify_all();
        }
    }

    /// The owner's `Poller::wait` without a timeout: returns once the eventfd is readable, and
    /// drains it (`drain_doorbell`: read the counter, then clear the flag, in that order).
    fn wait_and_drain(&self) {
        let mut counter = self.counter.lock().unwrap();
        while *counter == 0 {
            counter = self.condvar.wait(counter).unwrap();
        }
        drop(counter);
        // The eventfd `read`: one atomic step of its own.
        *self.counter.lock().unwrap() = 0;
        self.rung.swap(false, Ordering::SeqCst);
    }

    /// A peer's `poll_now`: sees a ringing doorbell and leaves it for the owner.
    fn peek(&self) -> bool {
        *self.counter.lock().unwrap() > 0
    }
}

/// Worker 0 parks (joins the sleeper list, waits) while a producer publishes work and notifies
/// the worker the idle set names, and worker 1, busy, polls worker 0's reactor at the same time.
/// If the producer chose worker 0, worker 0 wakes without any other help (else the model
/// deadlocks) and learns that it was notified (so it counts itself as searching). Otherwise
/// worker 0 is woken by a shutdown afterwards.
#[test]
fn a_notify_racing_a_worker_on_its_way_to_wait_is_not_lost() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        let doorbell = Arc::new(Doorbell::default());
        let shutdown = Arc::new(AtomicBool::new(false));

        let worker = {
            let (idle, doorbell, shutdown) = (idle.clone(), doorbell.clone(), shutdown.clone());
            thread::spawn(move || {
                assert!(!idle.transition_worker_to_parked(0, false));
                if !shutdown.load(Ordering::SeqCst) {
                    doorbell.wait_and_drain();
                }
                idle.transition_worker_from_parked(0)
            })
        };
        let producer = {
            let (idle, doorbell) = (idle.clone(), doorbell.clone());
            thread::spawn(move || {
                let target = idle.worker_to_notify();
                if target == Some(0) {
                    doorbell.notify();
                }
                target
            })
        };
        // Worker 1, busy, polls worker 0's reactor (`poll_reactors`): it must not matter.
        let _ = doorbell.peek();

        let target = producer.join().unwrap();
        assert_ne!(target, Some(1), "worker 1 never slept");
        if target == Some(0) {
            let was_notified = worker.join().unwrap();
            assert!(
                was_notified,
                "a notified worker must know it, to count itself as searching"
            );
        } else {
            // Nobody needed worker 0: `begin_shutdown` wakes it (flag first, then notify).
            shutdown.store(true, Ordering::SeqCst);
            doorbell.notify();
            assert!(!worker.join().unwrap(), "worker 0 was not notified");
        }
    });
}

/// Coalescing: a second notification that finds the doorbell still ringing writes nothing.
/// It may come while the owner drains the first one; then the owner, which re-checks for work
/// after every wake before it waits again (the worker loop runs its queues before parking),
/// must see the work behind it, or the second notification must ring anew. Never neither.
#[test]
fn a_notify_coalesced_with_one_being_drained_is_not_lost() {
    loom::model(|| {
        let doorbell = Arc::new(Doorbell::default());
        let work = Arc::new(AtomicBool::new(false));
        // The first ring is already there: the owner is waking up.
        doorbell.notify();
        let second = {
            let (doorbell, work) = (doorbell.clone(), work.clone());
            thread::spawn(move || {
                work.store(true, Ordering::Release);
                doorbell.notify();
            })
        };
        doorbell.wait_and_drain();
        if !work.load(Ordering::Acquire) {
            // No work seen: the owner parks again, and only the second ring can wake it.
            doorbell.wait_and_drain();
            assert!(
                work.load(Ordering::Acquire),
                "woken without the work behind the ring"
            );
        }
        second.join().unwrap();
    });
}

/// A shutdown racing a worker's park: `begin_shutdown` sets its flag and then notifies every
/// poller; the worker checks the flag after announcing itself. Either it sees the flag and does
/// not wait, or the notification ends its wait: it always leaves.
#[test]
fn shutdown_racing_a_park_always_wakes_the_worker() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(1));
        let doorbell = Arc::new(Doorbell::default());
        let shutdown = Arc::new(AtomicBool::new(false));
        let worker = {
            let (idle, doorbell, shutdown) = (idle.clone(), doorbell.clone(), shutdown.clone());
            thread::spawn(move || {
                idle.transition_worker_to_parked(0, false);
                if !shutdown.load(Ordering::SeqCst) {
                    doorbell.wait_and_drain();
                }
                idle.transition_worker_from_parked(0);
            })
        };
        if !shutdown.swap(true, Ordering::SeqCst) {
            doorbell.notify();
        }
        worker.join().unwrap();
        assert!(!idle.all_parked());
    });
}
