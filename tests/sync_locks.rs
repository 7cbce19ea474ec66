//! Locks: Semaphore, BoundedSemaphore, Mutex, RwLock, Condvar, OnceCell — exclusion under real
//! parallelism, FIFO fairness, cancel safety, closing.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;

use corio::sync::{
    AcquireError, BoundedSemaphore, Condvar, Mutex, OnceCell, RwLock, Semaphore, SetError, TryAcquireError,
};
use futures::poll;
use support::{runtime, HANG_GUARD};

const WORKERS: usize = 4;

/// Runs `test` as a task on a multi-worker runtime, failing instead of hanging.
fn run<F: Future + Send + 'static>(test: F) -> F::Output
where
    F::Output: Send,
{
    let rt = runtime(WORKERS);
    rt.block_on(async move {
        let task = corio::spawn(test);
        match corio::time::timeout(HANG_GUARD, task).await {
            Ok(Ok(output)) => output,
            Ok(Err(error)) => std::panic::resume_unwind(error.into_panic()),
            Err(_) => panic!("the test hung"),
        }
    })
}

/// Pins a future on the heap so it can be polled by hand, then spawned or dropped.
fn boxed<F: Future>(future: F) -> Pin<Box<F>> {
    Box::pin(future)
}

#[test]
fn primitives_guards_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let semaphore = Arc::new(Semaphore::new(1));
    let bounded = Arc::new(BoundedSemaphore::new(1));
    let mutex = Arc::new(Mutex::new(0));
    let lock = RwLock::new(0);
    let condvar = Condvar::new();
    let cell = OnceCell::<u32>::new();
    send_sync(&*semaphore);
    send_sync(&*bounded);
    send_sync(&*mutex);
    send_sync(&lock);
    send_sync(&condvar);
    send_sync(&cell);
    send(&semaphore.acquire());
    send(&semaphore.clone().acquire_many_owned(1));
    send(&bounded.acquire());
    send(&mutex.lock());
    send(&mutex.clone().lock_owned());
    send(&lock.read());
    send(&lock.write());
    send(&cell.get_or_init(|| async { 1 }));
    let guard = mutex.try_lock().unwrap();
    send_sync(&guard);
    send(&condvar.wait(guard));
    send_sync(&semaphore.try_acquire().unwrap());
    send_sync(&lock.try_read().unwrap());
}

// ---------------------------------------------------------------------------------------------
// Mutex

#[test]
fn mutex_increments_from_parallel_tasks_sum_exactly() {
    const TASKS: usize = 8;
    const INCREMENTS: usize = 10_000;
    let total = run(async {
        let counter = Arc::new(Mutex::new(0usize));
        let inside = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (counter, inside) = (counter.clone(), inside.clone());
                corio::spawn(async move {
                    for i in 0..INCREMENTS {
                        let mut guard = counter.lock().await;
                        assert!(!inside.swap(true, SeqCst), "two tasks inside the mutex");
                        // A read-modify-write spread over a yield: lost updates would show.
                        let seen = *guard;
                        if i % 64 == 0 {
                            corio::task::yield_now().await;
                        }
                        *guard = seen + 1;
                        inside.store(false, SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert!(!counter.is_locked());
        Arc::try_unwrap(counter).unwrap().into_inner()
    });
    assert_eq!(total, TASKS * INCREMENTS);
}

#[test]
fn mutex_try_lock_owned_lock_and_get_mut() {
    run(async {
        let mutex = Arc::new(Mutex::new(vec![1]));
        let guard = mutex.clone().lock_owned().await;
        assert!(mutex.is_locked());
        assert!(mutex.try_lock().is_err());
        assert_eq!(format!("{guard:?}"), "[1]");
        // The owned guard moves to another task and unlocks there.
        corio::spawn(async move {
            let mut guard = guard;
            guard.push(2);
        })
        .await
        .unwrap();
        assert!(!mutex.is_locked());
        let mut mutex = Arc::try_unwrap(mutex).unwrap();
        mutex.get_mut().push(3);
        assert_eq!(mutex.into_inner(), [1, 2, 3]);
    });
}

#[test]
fn mutex_waiters_get_the_lock_in_the_order_they_queued() {
    const WAITERS: usize = 16;
    let order = run(async {
        let mutex = Arc::new(Mutex::new(Vec::new()));
        let guard = mutex.lock().await;
        let mut tasks = Vec::new();
        for i in 0..WAITERS {
            let mutex2 = mutex.clone();
            let mut waiter = boxed(async move { mutex2.lock().await.push(i) });
            // Queue it now, from here, so the queue order is 0, 1, 2, ...
            assert!(poll!(waiter.as_mut()).is_pending());
            tasks.push(corio::spawn(waiter));
        }
        // The lock goes straight to the first waiter: try_lock cannot barge in.
        drop(guard);
        assert!(mutex.try_lock().is_err(), "try_lock jumped the queue");
        for task in tasks {
            task.await.unwrap();
        }
        let order = mutex.lock().await.clone();
        order
    });
    assert_eq!(order, (0..WAITERS).collect::<Vec<_>>());
}

#[test]
fn mutex_lock_dropped_after_being_handed_the_lock_passes_it_on() {
    run(async {
        let mutex = Mutex::new(0);
        let guard = mutex.lock().await;
        let mut first = boxed(mutex.lock());
        let mut second = boxed(mutex.lock());
        assert!(poll!(first.as_mut()).is_pending());
        assert!(poll!(second.as_mut()).is_pending());
        drop(guard); // hands the lock to `first`
        assert!(mutex.is_locked());
        drop(first); // ... which is cancelled before it runs again
        let Poll::Ready(mut guard) = poll!(second.as_mut()) else {
            panic!("the lock handed to a cancelled waiter was lost");
        };
        *guard += 1;
        drop(guard);
        assert!(!mutex.is_locked());
    });
}

#[test]
fn mutex_aborted_waiters_never_leak_the_lock() {
    run(async {
        let mutex = Arc::new(Mutex::new(0u32));
        for _ in 0..200 {
            let guard = mutex.lock().await;
            let mut waiter = {
                let mutex = mutex.clone();
                boxed(async move { *mutex.lock().await += 1 })
            };
            assert!(poll!(waiter.as_mut()).is_pending());
            let task = corio::spawn(waiter);
            // Unlock (handing the lock to the task) and abort it at once: it may or may not
            // have run; either way the lock must come back.
            drop(guard);
            task.abort();
            let _ = task.await;
        }
        let guard = mutex.lock().await;
        assert!(*guard <= 200);
        drop(guard);
        assert!(!mutex.is_locked());
    });
}

// ---------------------------------------------------------------------------------------------
// Semaphore

#[test]
fn semaphore_never_admits_more_than_its_permits() {
    const PERMITS: usize = 3;
    const TASKS: usize = 16;
    const ROUNDS: usize = 2_000;
    let most = run(async {
        let semaphore = Arc::new(Semaphore::new(PERMITS));
        let held = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let (semaphore, held, most) = (semaphore.clone(), held.clone(), most.clone());
                corio::spawn(async move {
                    for round in 0..ROUNDS {
                        let permit = if (t + round) % 3 == 0 {
                            semaphore.acquire_many(2).await.unwrap()
                        } else {
                            semaphore.acquire().await.unwrap()
                        };
                        let now = held.fetch_add(permit.num_permits(), SeqCst) + permit.num_permits();
                        assert!(now <= PERMITS, "{now} permits held at once");
                        most.fetch_max(now, SeqCst);
                        if round % 8 == 0 {
                            corio::task::yield_now().await;
                        }
                        held.fetch_sub(permit.num_permits(), SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(semaphore.available_permits(), PERMITS);
        most.load(SeqCst)
    });
    assert_eq!(
        most, PERMITS,
        "the semaphore was never fully used: not a real contention test"
    );
}

#[test]
fn semaphore_serves_waiters_in_fifo_order() {
    const WAITERS: usize = 16;
    let order = run(async {
        let semaphore = Arc::new(Semaphore::new(0));
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..WAITERS {
            let (semaphore, order) = (semaphore.clone(), order.clone());
            let mut waiter = boxed(async move {
                let _permit = semaphore.acquire().await.unwrap();
                order.lock().unwrap().push(i);
            });
            assert!(poll!(waiter.as_mut()).is_pending());
            tasks.push(corio::spawn(waiter));
        }
        // One permit circulates: each holder passes it to the next in line when done.
        semaphore.add_permits(1);
        for task in tasks {
            task.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        order
    });
    assert_eq!(order, (0..WAITERS).collect::<Vec<_>>());
}

#[test]
fn a_large_request_blocks_later_small_ones() {
    run(async {
        let semaphore = Semaphore::new(0);
        let mut large = boxed(semaphore.acquire_many(3));
        let mut small = boxed(semaphore.acquire());
        assert!(poll!(large.as_mut()).is_pending());
        assert!(poll!(small.as_mut()).is_pending());

        semaphore.add_permits(2);
        assert!(
            poll!(small.as_mut()).is_pending(),
            "a small request overtook a queued large one"
        );
        assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        assert_eq!(semaphore.available_permits(), 2);

        semaphore.add_permits(1);
        let Poll::Ready(Ok(large_permit)) = poll!(large.as_mut()) else {
            panic!("large not served")
        };
        assert_eq!(large_permit.num_permits(), 3);
        assert!(poll!(small.as_mut()).is_pending());
        drop(large_permit);
        let Poll::Ready(Ok(small_permit)) = poll!(small.as_mut()) else {
            panic!("small not served")
        };
        assert_eq!(small_permit.num_permits(), 1);
        drop(small_permit);
        assert_eq!(semaphore.available_permits(), 3);
    });
}

#[test]
fn acquire_many_beyond_the_total_waits_for_added_permits() {
    run(async {
        let semaphore = Semaphore::new(2);
        let mut waiter = boxed(semaphore.acquire_many(5));
        assert!(poll!(waiter.as_mut()).is_pending());
        semaphore.add_permits(2);
        assert!(poll!(waiter.as_mut()).is_pending());
        semaphore.add_permits(1);
        let Poll::Ready(Ok(permit)) = poll!(waiter.as_mut()) else {
            panic!("not served")
        };
        assert_eq!(permit.num_permits(), 5);
        assert_eq!(semaphore.available_permits(), 0);
    });
}

#[test]
fn semaphore_acquire_dropped_after_being_handed_a_permit_passes_it_on() {
    run(async {
        let semaphore = Semaphore::new(1);
        let held = semaphore.acquire().await.unwrap();
        let mut first = boxed(semaphore.acquire());
        let mut second = boxed(semaphore.acquire());
        assert!(poll!(first.as_mut()).is_pending());
        assert!(poll!(second.as_mut()).is_pending());
        drop(held); // handed to `first`
        assert_eq!(semaphore.available_permits(), 0);
        drop(first);
        let Poll::Ready(Ok(permit)) = poll!(second.as_mut()) else {
            panic!("the permit handed to a cancelled waiter was lost");
        };
        drop(permit);
        assert_eq!(semaphore.available_permits(), 1);
    });
}

#[test]
fn acquire_many_cancelled_returns_every_permit() {
    run(async {
        // Cancelled after being handed its permits.
        let semaphore = Semaphore::new(5);
        let all = semaphore.acquire_many(5).await.unwrap();
        let mut four = boxed(semaphore.acquire_many(4));
        let mut three = boxed(semaphore.acquire_many(3));
        assert!(poll!(four.as_mut()).is_pending());
        assert!(poll!(three.as_mut()).is_pending());
        drop(all); // `four` is handed 4; 1 left, not enough for `three`
        assert_eq!(semaphore.available_permits(), 1);
        assert!(poll!(three.as_mut()).is_pending());
        drop(four); // its 4 come back, `three` is served
        let Poll::Ready(Ok(permit)) = poll!(three.as_mut()) else {
            panic!("not served")
        };
        assert_eq!(semaphore.available_permits(), 2);
        drop(permit);
        assert_eq!(semaphore.available_permits(), 5);

        // Cancelled while queued at the front: the small request behind it is served.
        let semaphore = Semaphore::new(2);
        let one = semaphore.acquire().await.unwrap();
        let mut two = boxed(semaphore.acquire_many(2));
        let mut small = boxed(semaphore.acquire());
        assert!(poll!(two.as_mut()).is_pending());
        assert!(poll!(small.as_mut()).is_pending());
        drop(two);
        let Poll::Ready(Ok(permit)) = poll!(small.as_mut()) else {
            panic!("the queue stayed blocked by a cancelled waiter");
        };
        drop((one, permit));
        assert_eq!(semaphore.available_permits(), 2);
    });
}

#[test]
fn aborted_acquire_many_tasks_conserve_permits() {
    run(async {
        let semaphore = Arc::new(Semaphore::new(4));
        for round in 0..200u32 {
            let held = semaphore.acquire_many(4).await.unwrap();
            let mut tasks = Vec::new();
            for i in 0..3u32 {
                let semaphore = semaphore.clone();
                let mut waiter = boxed(async move {
                    let _permit = semaphore.acquire_many(1 + (round + i) % 4).await.unwrap();
                    corio::task::yield_now().await;
                });
                assert!(poll!(waiter.as_mut()).is_pending());
                tasks.push(corio::spawn(waiter));
            }
            // Hand the permits out and abort one waiter at once, whatever state it is in.
            drop(held);
            tasks[(round % 3) as usize].abort();
            for task in tasks {
                let _ = task.await;
            }
            assert_eq!(semaphore.available_permits(), 4, "round {round} lost permits");
        }
    });
}

#[test]
fn semaphore_ping_pong_loses_no_wakeup() {
    const ROUNDS: usize = 10_000;
    run(async {
        let ping = Arc::new(Semaphore::new(0));
        let pong = Arc::new(Semaphore::new(0));
        let other = {
            let (ping, pong) = (ping.clone(), pong.clone());
            corio::spawn(async move {
                for _ in 0..ROUNDS {
                    ping.acquire().await.unwrap().forget();
                    pong.add_permits(1);
                }
            })
        };
        for _ in 0..ROUNDS {
            ping.add_permits(1);
            pong.acquire().await.unwrap().forget();
        }
        other.await.unwrap();
        assert_eq!((ping.available_permits(), pong.available_permits()), (0, 0));
    });
}

#[test]
fn close_fails_every_waiter_and_later_acquire() {
    run(async {
        let semaphore = Arc::new(Semaphore::new(0));
        let mut tasks = Vec::new();
        for n in 1..=4u32 {
            let semaphore = semaphore.clone();
            let mut waiter =
                boxed(async move { semaphore.acquire_many(n).await.map(|permit| permit.num_permits()) });
            assert!(poll!(waiter.as_mut()).is_pending());
            tasks.push(corio::spawn(waiter));
        }
        semaphore.close();
        for task in tasks {
            let error: AcquireError = task.await.unwrap().unwrap_err();
            assert_eq!(error.to_string(), "the semaphore is closed");
        }
        assert!(semaphore.is_closed());
        assert!(semaphore.acquire().await.is_err());
        assert!(semaphore.clone().acquire_owned().await.is_err());
        assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::Closed);
    });
}

#[test]
fn close_takes_back_permits_handed_to_a_waiter_that_had_not_run() {
    run(async {
        let semaphore = Semaphore::new(2);
        let held = semaphore.acquire_many(2).await.unwrap();
        let mut waiter = boxed(semaphore.acquire_many(2));
        assert!(poll!(waiter.as_mut()).is_pending());
        drop(held); // handed to `waiter`
        assert_eq!(semaphore.available_permits(), 0);
        semaphore.close();
        assert_eq!(semaphore.available_permits(), 2, "close lost the handed permits");
        assert!(matches!(poll!(waiter.as_mut()), Poll::Ready(Err(_))));
        // Permits held through close still come back.
        let semaphore = Semaphore::new(1);
        let held = semaphore.acquire().await.unwrap();
        semaphore.close();
        drop(held);
        assert_eq!(semaphore.available_permits(), 1);
    });
}

#[test]
fn forgotten_permits_stay_out_and_owned_permits_travel() {
    run(async {
        let semaphore = Arc::new(Semaphore::new(3));
        semaphore.acquire().await.unwrap().forget();
        assert_eq!(semaphore.available_permits(), 2);
        let permit = semaphore.clone().acquire_many_owned(2).await.unwrap();
        assert_eq!(permit.num_permits(), 2);
        corio::spawn(async move { drop(permit) }).await.unwrap();
        assert_eq!(semaphore.available_permits(), 2);
        let owned = semaphore.clone().try_acquire_many_owned(2).unwrap();
        assert!(semaphore.clone().try_acquire_owned().is_err());
        owned.forget();
        assert_eq!(semaphore.available_permits(), 0);
    });
}

// ---------------------------------------------------------------------------------------------
// BoundedSemaphore

#[test]
fn bounded_semaphore_refuses_to_grow_beyond_its_initial_count() {
    run(async {
        let semaphore = Arc::new(BoundedSemaphore::new(2));
        let error = semaphore.add_permits(1).unwrap_err();
        assert_eq!((error.requested(), error.room(), error.bound()), (1, 0, 2));
        assert!(error.to_string().contains("released too many times"), "{error}");
        assert_eq!(semaphore.available_permits(), 2);

        semaphore.acquire().await.unwrap().forget();
        assert_eq!(semaphore.available_permits(), 1);
        assert!(semaphore.add_permits(2).is_err(), "only one permit was forgotten");
        assert_eq!(
            semaphore.available_permits(),
            1,
            "a failed add_permits added something"
        );
        semaphore.add_permits(1).unwrap();
        assert_eq!(semaphore.available_permits(), 2);
        assert!(semaphore.add_permits(1).is_err());

        // Under contention, dropped permits never take it beyond its bound.
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let semaphore = semaphore.clone();
                corio::spawn(async move {
                    for _ in 0..500 {
                        let permit = semaphore.acquire().await.unwrap();
                        assert!(semaphore.available_permits() <= 1);
                        drop(permit);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(semaphore.available_permits(), 2);
        let owned = semaphore.clone().acquire_many_owned(2).await.unwrap();
        assert!(semaphore.try_acquire().is_err());
        drop(owned);
        assert!(semaphore.add_permits(1).is_err());
    });
}

// ---------------------------------------------------------------------------------------------
// RwLock

#[test]
fn rwlock_readers_overlap() {
    run(async {
        let lock = Arc::new(RwLock::new(7));
        let (a_in_tx, a_in_rx) = futures::channel::oneshot::channel();
        let (b_in_tx, b_in_rx) = futures::channel::oneshot::channel();
        // Each reader announces it is inside, then waits, still inside, for the other: this
        // completes only if both hold a read guard at the same time.
        let a = {
            let lock = lock.clone();
            corio::spawn(async move {
                let guard = lock.read().await;
                a_in_tx.send(()).unwrap();
                b_in_rx.await.unwrap();
                *guard
            })
        };
        let b = {
            let lock = lock.clone();
            corio::spawn(async move {
                let guard = lock.read().await;
                b_in_tx.send(()).unwrap();
                a_in_rx.await.unwrap();
                *guard
            })
        };
        assert_eq!(a.await.unwrap() + b.await.unwrap(), 14);
        assert!(lock.try_write().is_ok());
    });
}

#[test]
fn rwlock_writers_exclude_readers_and_writers() {
    const TASKS: usize = 8;
    const ROUNDS: usize = 2_000;
    let total = run(async {
        let lock = Arc::new(RwLock::new(0usize));
        let readers = Arc::new(AtomicUsize::new(0));
        let writers = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let (lock, readers, writers) = (lock.clone(), readers.clone(), writers.clone());
                corio::spawn(async move {
                    for round in 0..ROUNDS {
                        if (t + round) % 4 == 0 {
                            let mut guard = lock.write().await;
                            assert_eq!(writers.fetch_add(1, SeqCst), 0, "two writers inside");
                            assert_eq!(readers.load(SeqCst), 0, "a writer with readers inside");
                            let seen = *guard;
                            if round % 16 == 0 {
                                corio::task::yield_now().await;
                            }
                            *guard = seen + 1;
                            writers.fetch_sub(1, SeqCst);
                        } else {
                            let guard = lock.read().await;
                            readers.fetch_add(1, SeqCst);
                            assert_eq!(writers.load(SeqCst), 0, "a reader with a writer inside");
                            let _ = *guard;
                            if round % 16 == 1 {
                                corio::task::yield_now().await;
                            }
                            readers.fetch_sub(1, SeqCst);
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let total = *lock.read().await;
        total
    });
    assert_eq!(total, TASKS * ROUNDS / 4);
}

#[test]
fn a_queued_writer_blocks_later_readers() {
    run(async {
        let lock = RwLock::new(0);
        let reader = lock.read().await;
        let mut writer = boxed(lock.write());
        assert!(poll!(writer.as_mut()).is_pending());
        let mut late_reader = boxed(lock.read());
        assert!(
            poll!(late_reader.as_mut()).is_pending(),
            "a reader overtook a queued writer"
        );
        assert!(lock.try_read().is_err());
        drop(reader);
        let Poll::Ready(mut guard) = poll!(writer.as_mut()) else {
            panic!("writer not served")
        };
        *guard = 1;
        assert!(poll!(late_reader.as_mut()).is_pending());
        drop(guard);
        let Poll::Ready(guard) = poll!(late_reader.as_mut()) else {
            panic!("reader not served")
        };
        assert_eq!(*guard, 1);
    });
}

#[test]
fn rwlock_waiter_dropped_after_being_handed_the_lock_passes_it_on() {
    run(async {
        let lock = RwLock::new(0);
        let held = lock.write().await;
        let mut writer = boxed(lock.write());
        let mut reader = boxed(lock.read());
        assert!(poll!(writer.as_mut()).is_pending());
        assert!(poll!(reader.as_mut()).is_pending());
        drop(held); // handed to `writer`
        assert!(lock.try_read().is_err());
        drop(writer);
        let Poll::Ready(guard) = poll!(reader.as_mut()) else {
            panic!("the write lock handed to a cancelled waiter was lost");
        };
        drop(guard);
        assert!(lock.try_write().is_ok());
    });
}

// ---------------------------------------------------------------------------------------------
// Condvar

#[test]
fn condvar_wait_for_a_predicate_across_tasks() {
    const TASKS: usize = 8;
    const ADDS: usize = 200;
    run(async {
        let shared = Arc::new((Mutex::new(0usize), Condvar::new()));
        let waiter = {
            let shared = shared.clone();
            corio::spawn(async move {
                let (count, condvar) = &*shared;
                let guard = condvar
                    .wait_for(count.lock().await, |count| *count == TASKS * ADDS)
                    .await;
                *guard
            })
        };
        let adders: Vec<_> = (0..TASKS)
            .map(|_| {
                let shared = shared.clone();
                corio::spawn(async move {
                    let (count, condvar) = &*shared;
                    for _ in 0..ADDS {
                        *count.lock().await += 1;
                        condvar.notify_all();
                    }
                })
            })
            .collect();
        for adder in adders {
            adder.await.unwrap();
        }
        assert_eq!(waiter.await.unwrap(), TASKS * ADDS);
    });
}

#[test]
fn condvar_ping_pong_loses_no_wakeup() {
    const ROUNDS: usize = 5_000;
    run(async {
        // Whose move it is: `false` ours, `true` the other task's.
        let shared = Arc::new((Mutex::new(false), Condvar::new()));
        let other = {
            let shared = shared.clone();
            corio::spawn(async move {
                let (turn, condvar) = &*shared;
                for _ in 0..ROUNDS {
                    let mut guard = condvar.wait_for(turn.lock().await, |theirs| *theirs).await;
                    *guard = false;
                    condvar.notify_one();
                }
            })
        };
        let (turn, condvar) = &*shared;
        for _ in 0..ROUNDS {
            let mut guard = condvar.wait_for(turn.lock().await, |theirs| !*theirs).await;
            *guard = true;
            condvar.notify_one();
        }
        other.await.unwrap();
    });
}

#[test]
fn condvar_notifications_reach_only_tasks_already_waiting() {
    run(async {
        let mutex = Mutex::new(());
        let condvar = Condvar::new();
        condvar.notify_all(); // nobody waits: lost, as asyncio's
        condvar.notify_one();
        let mut waiter = boxed(condvar.wait(mutex.lock().await));
        assert!(poll!(waiter.as_mut()).is_pending());
        assert!(!mutex.is_locked(), "wait released the mutex");
        assert!(
            poll!(waiter.as_mut()).is_pending(),
            "an earlier notification was stored"
        );
        condvar.notify_one();
        let Poll::Ready(guard) = poll!(waiter.as_mut()) else {
            panic!("not woken")
        };
        assert!(mutex.is_locked());
        drop(guard);

        // notify(n) wakes n of them, in order.
        let mut waiters = Vec::new();
        for _ in 0..3 {
            let mut waiter = boxed(condvar.wait(mutex.lock().await));
            assert!(poll!(waiter.as_mut()).is_pending());
            waiters.push(waiter);
        }
        condvar.notify(2);
        let Poll::Ready(guard) = poll!(waiters[0].as_mut()) else {
            panic!("first not woken")
        };
        drop(guard);
        let Poll::Ready(guard) = poll!(waiters[1].as_mut()) else {
            panic!("second not woken")
        };
        drop(guard);
        assert!(poll!(waiters[2].as_mut()).is_pending());
    });
}

#[test]
fn condvar_notification_of_a_cancelled_waiter_passes_on() {
    run(async {
        let mutex = Mutex::new(0);
        let condvar = Condvar::new();
        let mut first = boxed(condvar.wait(mutex.lock().await));
        assert!(poll!(first.as_mut()).is_pending());
        let mut second = boxed(condvar.wait(mutex.lock().await));
        assert!(poll!(second.as_mut()).is_pending());
        condvar.notify_one(); // reaches `first`
        drop(first); // cancelled before it ran
        let Poll::Ready(guard) = poll!(second.as_mut()) else {
            panic!("the notification of a cancelled waiter was lost");
        };
        drop(guard);
    });
}

#[test]
fn condvar_waiter_is_registered_before_the_mutex_is_released() {
    // The notifier takes the mutex as soon as the waiter releases it, and notifies at once; the
    // waiter must not miss it. Repeated across workers to shake the interleavings.
    run(async {
        for _ in 0..500 {
            let shared = Arc::new((Mutex::new(false), Condvar::new()));
            let (flag, condvar) = &*shared;
            let guard = flag.lock().await;
            let notifier = {
                let shared = shared.clone();
                corio::spawn(async move {
                    let (flag, condvar) = &*shared;
                    *flag.lock().await = true;
                    condvar.notify_one();
                })
            };
            // No predicate loop: a single wait must see the notification.
            let guard = condvar.wait(guard).await;
            assert!(*guard);
            drop(guard);
            notifier.await.unwrap();
        }
    });
}

// ---------------------------------------------------------------------------------------------
// OnceCell

#[test]
fn once_cell_concurrent_initializers_run_once() {
    const TASKS: usize = 16;
    run(async {
        let cell = Arc::new(OnceCell::new());
        let inits = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                let (cell, inits) = (cell.clone(), inits.clone());
                corio::spawn(async move {
                    *cell
                        .get_or_init(|| async move {
                            inits.fetch_add(1, SeqCst);
                            corio::task::yield_now().await;
                            i
                        })
                        .await
                })
            })
            .collect();
        let mut values = Vec::new();
        for task in tasks {
            values.push(task.await.unwrap());
        }
        assert_eq!(inits.load(SeqCst), 1, "the initializer ran more than once");
        assert!(values.iter().all(|&value| value == values[0]), "{values:?}");
        assert_eq!(cell.get(), Some(&values[0]));
        assert_eq!(cell.set(99), Err(SetError::AlreadyInitializedError(99)));
    });
}

#[test]
fn once_cell_cancelled_initializer_lets_the_next_caller_initialize() {
    run(async {
        // Deterministic: the first initializer is dropped while the second waits.
        let cell = OnceCell::new();
        let mut first = boxed(cell.get_or_init(std::future::pending::<u32>));
        assert!(poll!(first.as_mut()).is_pending());
        assert!(matches!(cell.set(0), Err(SetError::InitializingError(0))));
        let mut second = boxed(cell.get_or_init(|| async { 2 }));
        assert!(poll!(second.as_mut()).is_pending());
        drop(first);
        assert_eq!(poll!(second.as_mut()), Poll::Ready(&2));
        drop(second);
        assert_eq!(cell.into_inner(), Some(2));

        // With tasks: the initializer task is aborted mid-initialization.
        let cell = Arc::new(OnceCell::new());
        let (started_tx, started_rx) = futures::channel::oneshot::channel();
        let stuck = {
            let cell = cell.clone();
            corio::spawn(async move {
                *cell
                    .get_or_init(|| async move {
                        started_tx.send(()).unwrap();
                        std::future::pending::<u32>().await
                    })
                    .await
            })
        };
        started_rx.await.unwrap();
        let next = {
            let cell = cell.clone();
            corio::spawn(async move { *cell.get_or_init(|| async { 7 }).await })
        };
        stuck.abort();
        assert!(stuck.await.unwrap_err().is_cancelled());
        assert_eq!(next.await.unwrap(), 7);
        assert_eq!(cell.get(), Some(&7));
    });
}

#[test]
fn once_cell_failed_try_init_leaves_it_empty() {
    run(async {
        let cell = OnceCell::new();
        assert_eq!(
            cell.get_or_try_init(|| async { Err::<u32, _>("boom") }).await,
            Err("boom")
        );
        assert!(!cell.initialized());
        assert_eq!(cell.get_or_try_init(|| async { Ok::<_, &str>(3) }).await, Ok(&3));
        assert!(cell.initialized());
        assert_eq!(cell.get_or_try_init(|| async { Ok::<_, &str>(4) }).await, Ok(&3));
    });
}
