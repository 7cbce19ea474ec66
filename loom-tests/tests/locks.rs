//! The locks of `corio::sync` (`src/sync/{semaphore,mutex,rwlock,condvar}.rs`): permit hand-off,
//! cancel safety, mutual exclusion and condition-variable registration, checked on the real
//! types built with loom's atomics and locks.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Waker};

use corio::sync::{Condvar, Mutex, RwLock, Semaphore};
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

use corio_loom_tests::block_on;

/// Polls `future` once with a waker that does nothing, then drops it: a waiter that queues
/// (and may then be handed permits) and is cancelled.
fn poll_once_then_cancel<F: Future>(future: F) {
    let mut future = pin!(future);
    let _ = future.as_mut().poll(&mut Context::from_waker(Waker::noop()));
}

/// A permit released on another thread while a task goes to wait for it: either the task sees
/// the permit when it checks, or it is queued in time to be handed it and woken. Never neither
/// (loom reports a deadlock if `block_on` parks with nobody left to wake it).
#[test]
fn semaphore_release_racing_an_acquire_loses_no_wakeup() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(1));
        let held = semaphore.clone().try_acquire_owned().unwrap();
        let releaser = thread::spawn(move || drop(held));
        let permit = block_on(semaphore.acquire()).unwrap();
        assert_eq!(permit.num_permits(), 1);
        assert_eq!(semaphore.available_permits(), 0);
        releaser.join().unwrap();
        drop(permit);
        assert_eq!(semaphore.available_permits(), 1);
    });
}

/// An `acquire_many` cancelled at any point (queued, or after it was handed its permits)
/// while permits are released and another task waits: every permit comes back, and the other
/// waiter is served.
#[test]
fn acquire_many_cancelled_conserves_permits() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(2));
        let held = semaphore.clone().try_acquire_many_owned(2).unwrap();
        let releaser = thread::spawn(move || drop(held));
        let canceller = {
            let semaphore = semaphore.clone();
            thread::spawn(move || poll_once_then_cancel(semaphore.acquire_many(2)))
        };
        let permit = block_on(semaphore.acquire()).unwrap();
        drop(permit);
        releaser.join().unwrap();
        canceller.join().unwrap();
        assert_eq!(semaphore.available_permits(), 2, "permits were lost or created");
    });
}

/// Two threads increment through the mutex with a separate load and store: an interleaving
/// inside the critical section would lose an update or see two holders.
#[test]
fn mutex_excludes_two_threads() {
    loom::model(|| {
        let mutex = Arc::new(Mutex::new(()));
        let counter = Arc::new(AtomicUsize::new(0));
        let inside = Arc::new(AtomicUsize::new(0));
        let increment = {
            let (mutex, counter, inside) = (mutex.clone(), counter.clone(), inside.clone());
            move || {
                block_on(async {
                    let guard = mutex.lock().await;
                    assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders at once");
                    let seen = counter.load(SeqCst);
                    counter.store(seen + 1, SeqCst);
                    inside.fetch_sub(1, SeqCst);
                    drop(guard);
                })
            }
        };
        let other = thread::spawn(increment.clone());
        increment();
        other.join().unwrap();
        assert_eq!(counter.load(SeqCst), 2);
        assert!(!mutex.is_locked());
    });
}

/// The waiter registers before releasing the mutex, so a notifier that takes the mutex right
/// after, sets the flag and notifies (after unlocking) always reaches it: a single `wait`
/// returns with the flag set.
#[test]
fn condvar_notify_cannot_fall_between_unlock_and_wait() {
    loom::model(|| {
        let shared = Arc::new((Mutex::new(false), Condvar::new()));
        let notifier = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (flag, condvar) = &*shared;
                block_on(async {
                    *flag.lock().await = true;
                });
                condvar.notify_one();
            })
        };
        let (flag, condvar) = &*shared;
        block_on(async {
            let mut guard = flag.lock().await;
            if !*guard {
                guard = condvar.wait(guard).await;
                assert!(*guard, "woken without the notifier's update");
            }
        });
        notifier.join().unwrap();
    });
}

/// A notification racing the cancellation of the first waiter reaches the second one: either
/// it lands on the first, whose drop passes it on, or it finds the second at the front.
#[test]
fn condvar_notification_of_a_cancelled_waiter_passes_on() {
    loom::model(|| {
        let shared = Arc::new((Mutex::new(()), Condvar::new()));
        let (mutex, condvar) = &*shared;
        let mut noop = Context::from_waker(Waker::noop());
        let mut first = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
        assert!(first.as_mut().poll(&mut noop).is_pending());
        let mut second = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
        assert!(second.as_mut().poll(&mut noop).is_pending());
        let notifier = {
            let shared = shared.clone();
            thread::spawn(move || shared.1.notify_one())
        };
        drop(first);
        drop(block_on(second));
        notifier.join().unwrap();
        assert!(!mutex.is_locked());
    });
}

/// A writer and a reader never hold the lock at the same time.
#[test]
fn rwlock_writer_excludes_reader() {
    loom::model(|| {
        let lock = Arc::new(RwLock::new(0usize));
        let readers = Arc::new(AtomicUsize::new(0));
        let writers = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (lock, readers, writers) = (lock.clone(), readers.clone(), writers.clone());
            thread::spawn(move || {
                block_on(async {
                    let mut guard = lock.write().await;
                    writers.fetch_add(1, SeqCst);
                    assert_eq!(readers.load(SeqCst), 0, "a writer with a reader inside");
                    *guard += 1;
                    writers.fetch_sub(1, SeqCst);
                })
            })
        };
        let seen = block_on(async {
            let guard = lock.read().await;
            readers.fetch_add(1, SeqCst);
            assert_eq!(writers.load(SeqCst), 0, "a reader with a writer inside");
            let seen = *guard;
            readers.fetch_sub(1, SeqCst);
            seen
        });
        writer.join().unwrap();
        assert!(seen <= 1);
        assert!(lock.try_write().is_ok());
    });
}
