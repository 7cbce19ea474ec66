//! Unparking a parking worker: a wake-up sent while a worker is between "decided to park" and
//! "waiting in its poller" is not lost.
//!
//! A worker parks in `Poller::wait` and is unparked by `Poller::notify` (see
//! `src/runtime/scheduler/worker.rs`, `park` and `help_poll`). The poller itself is not
//! loom-checkable (epoll and an eventfd); what these models check is the protocol around it:
//! - the real idle set (`Idle`, `src/runtime/scheduler/idle.rs`) decides *whom* to notify;
//! - the worker's `parked` flag and the helper's re-notify after polling a peer's poller are
//!   written here as the worker loop does them (`park`, `help_poll`), because they live inside
//!   the worker loop, which needs real pollers;
//! - the poller is modelled by [`PollerModel`]: a notification is a sticky token that a wait, or
//!   any poll (the owner's or a helper's), consumes. That is `polling`'s documented behaviour
//!   (a notify before the wait makes the wait return at once), not something checked here.
#![cfg(loom)]

use corio::__loom::Idle;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// A worker's poller, reduced to its notification: `notify` leaves a token that the next
/// `wait` or `poll` consumes.
#[derive(Default)]
struct PollerModel {
    token: Mutex<bool>,
    condvar: Condvar,
}

impl PollerModel {
    fn notify(&self) {
        *self.token.lock().unwrap() = true;
        self.condvar.notify_all();
    }

    /// `Poller::wait` without a timeout: returns once a notification arrives.
    fn wait(&self) {
        let mut token = self.token.lock().unwrap();
        while !*token {
            token = self.condvar.wait(token).unwrap();
        }
        *token = false;
    }

    /// A zero-timeout poll (`help_poll`): may swallow a notification meant for the owner.
    fn poll_now(&self) {
        *self.token.lock().unwrap() = false;
    }
}

/// Worker 0 parks (raises `parked`, joins the sleeper list, waits) while a producer publishes
/// work and notifies the worker the idle set names, and worker 1, busy, helps by polling worker
/// 0's poller, which may swallow that very notification. If the producer chose worker 0, worker
/// 0 wakes without any other help (else the model deadlocks) and learns that it was notified
/// (so it counts itself as searching). Otherwise worker 0 is woken by a shutdown afterwards.
#[test]
fn a_notify_racing_a_worker_on_its_way_to_wait_is_not_lost() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        let poller = Arc::new(PollerModel::default());
        let parked = Arc::new(AtomicBool::new(false));
        let shutdown = Arc::new(AtomicBool::new(false));

        let worker = {
            let (idle, poller, parked, shutdown) =
                (idle.clone(), poller.clone(), parked.clone(), shutdown.clone());
            thread::spawn(move || {
                // `park`: raised before joining the sleeper list, so before anyone can send a
                // wake-up meant for this park.
                parked.store(true, Ordering::SeqCst);
                assert!(!idle.transition_worker_to_parked(0, false));
                if !shutdown.load(Ordering::SeqCst) {
                    poller.wait();
                }
                parked.store(false, Ordering::SeqCst);
                idle.transition_worker_from_parked(0)
            })
        };
        let producer = {
            let (idle, poller) = (idle.clone(), poller.clone());
            thread::spawn(move || {
                let target = idle.worker_to_notify();
                if target == Some(0) {
                    poller.notify();
                }
                target
            })
        };
        // Worker 1, busy, helps worker 0's reactor (`help_poll`).
        if !parked.load(Ordering::SeqCst) {
            poller.poll_now();
            if parked.load(Ordering::SeqCst) {
                poller.notify();
            }
        }

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
            poller.notify();
            assert!(!worker.join().unwrap(), "worker 0 was not notified");
        }
    });
}

/// A shutdown racing a worker's park: `begin_shutdown` sets its flag and then notifies every
/// poller; the worker checks the flag after announcing itself. Either it sees the flag and does
/// not wait, or the notification ends its wait: it always leaves.
#[test]
fn shutdown_racing_a_park_always_wakes_the_worker() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(1));
        let poller = Arc::new(PollerModel::default());
        let shutdown = Arc::new(AtomicBool::new(false));
        let worker = {
            let (idle, poller, shutdown) = (idle.clone(), poller.clone(), shutdown.clone());
            thread::spawn(move || {
                idle.transition_worker_to_parked(0, false);
                if !shutdown.load(Ordering::SeqCst) {
                    poller.wait();
                }
                idle.transition_worker_from_parked(0);
            })
        };
        if !shutdown.swap(true, Ordering::SeqCst) {
            poller.notify();
        }
        worker.join().unwrap();
        assert!(!idle.all_parked());
    });
}
