//! Structured concurrency: TaskGroup, JoinSet, wait, as_completed, gather, shield, task_local.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use corio::task::{Failure, JoinSet, ReturnWhen, TaskGroup};
use futures::channel::oneshot;
use futures::StreamExt;
use support::{runtime, DropCounter, HANG_GUARD};

#[test]
fn task_group_returns_results_in_spawn_order_whatever_the_completion_order() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut group: TaskGroup<usize, String> = TaskGroup::new();
        let mut releases = Vec::new();
        for i in 0..5 {
            let (tx, rx) = oneshot::channel::<()>();
            releases.push(tx);
            group.spawn(async move {
                rx.await.unwrap();
                Ok(i * 100)
            });
        }
        // Complete them in reverse order.
        let joined = corio::spawn(group.join());
        for release in releases.into_iter().rev() {
            release.send(()).unwrap();
            corio::task::yield_now().await;
        }
        assert_eq!(joined.await.unwrap().unwrap(), vec![0, 100, 200, 300, 400]);
    });
}

#[test]
fn one_failure_aborts_the_pending_siblings_and_join_returns_without_their_work() {
    let rt = runtime(2);
    let drops = DropCounter::default();
    rt.block_on({
        let drops = drops.clone();
        async move {
            let mut group: TaskGroup<(), String> = TaskGroup::new();
            let (started_tx, mut started_rx) = futures::channel::mpsc::unbounded::<()>();
            for _ in 0..3 {
                let guard = drops.guard();
                let started_tx = started_tx.clone();
                group.spawn(async move {
                    let _guard = guard;
                    started_tx.unbounded_send(()).unwrap();
                    std::future::pending::<()>().await;
                    Ok(())
                });
            }
            for _ in 0..3 {
                started_rx.next().await.unwrap();
            }
            group.spawn(async { Err("boom".to_string()) });
            let error = corio::time::timeout(HANG_GUARD, group.join())
                .await
                .expect("join returned")
                .unwrap_err();
            assert_eq!(error.failures().len(), 1, "cancelled siblings are not failures");
            assert!(matches!(&error.failures()[0], Failure::Error(message) if message == "boom"));
            // Every sibling's future was dropped by the time join returned.
            assert_eq!(drops.dropped(), 3);
            assert!(
                error
                    .to_string()
                    .contains("1 of 4 tasks in the group failed: boom"),
                "{error}"
            );
        }
    });
}

#[test]
fn a_panic_is_a_failure_panic_and_all_failures_are_kept() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut group: TaskGroup<u32, &'static str> = TaskGroup::new();
        // Two children that fail in the same instant, inside polls running in parallel on the
        // two workers (they meet at a barrier first): the group's abort cannot stop either, so
        // both failures are reported.
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let b1 = barrier.clone();
        group.spawn(async move {
            b1.wait();
            panic!("child panicked");
        });
        let b2 = barrier.clone();
        group.spawn(async move {
            b2.wait();
            Err("child failed")
        });
        let error = group.join().await.unwrap_err();
        assert_eq!(error.failures().len(), 2, "{error:?}");
        assert!(error
            .failures()
            .iter()
            .any(|f| matches!(f, Failure::Error("child failed"))));
        match error
            .failures()
            .iter()
            .find(|f| matches!(f, Failure::Panic(_)))
            .expect("the panic is kept")
        {
            Failure::Panic(payload) => assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "child panicked"),
            Failure::Error(_) => unreachable!(),
        }
        // And a single panicking child alone is a `Failure::Panic`.
        let mut group: TaskGroup<u32, &'static str> = TaskGroup::new();
        group.spawn(async { panic!("alone") });
        group.spawn(async { Ok(1) });
        let error = group.join().await.unwrap_err();
        assert!(matches!(error.failures(), [Failure::Panic(_)]), "{error:?}");
    });
}

#[test]
fn groups_nest_and_an_outer_failure_cancels_the_inner_group() {
    let rt = runtime(2);
    let drops = DropCounter::default();
    rt.block_on({
        let drops = drops.clone();
        async move {
            let mut outer: TaskGroup<Vec<u32>, String> = TaskGroup::new();
            // A successful inner group.
            outer.spawn(async {
                let mut inner: TaskGroup<u32, String> = TaskGroup::new();
                inner.spawn(async { Ok(1) });
                inner.spawn(async { Ok(2) });
                inner.join().await.map_err(|e| e.to_string())
            });
            assert_eq!(outer.join().await.unwrap(), vec![vec![1, 2]]);

            // An inner group whose children wait forever, cancelled by a failing sibling.
            let mut outer: TaskGroup<(), String> = TaskGroup::new();
            let (started_tx, started_rx) = oneshot::channel::<()>();
            let guard = drops.guard();
            outer.spawn(async move {
                let mut inner: TaskGroup<(), String> = TaskGroup::new();
                inner.spawn(async move {
                    let _guard = guard;
                    started_tx.send(()).unwrap();
                    std::future::pending::<()>().await;
                    Ok(())
                });
                inner.join().await.map_err(|e| e.to_string())?;
                Ok(())
            });
            outer.spawn(async move {
                started_rx.await.unwrap();
                Err("outer failure".to_string())
            });
            let error = outer.join().await.unwrap_err();
            assert_eq!(error.failures().len(), 1);
            support::eventually("the inner group's child was dropped", || drops.dropped() == 1);
        }
    });
}

#[test]
fn dropping_a_group_aborts_its_children() {
    let rt = runtime(2);
    let drops = DropCounter::default();
    rt.block_on({
        let drops = drops.clone();
        async move {
            let mut group: TaskGroup<(), ()> = TaskGroup::new();
            let (started_tx, mut started_rx) = futures::channel::mpsc::unbounded::<()>();
            for _ in 0..4 {
                let (guard, started_tx) = (drops.guard(), started_tx.clone());
                group.spawn(async move {
                    let _guard = guard;
                    started_tx.unbounded_send(()).unwrap();
                    std::future::pending::<()>().await;
                    Ok(())
                });
            }
            for _ in 0..4 {
                started_rx.next().await.unwrap();
            }
            drop(group);
        }
    });
    support::eventually("every child future is dropped", || drops.dropped() == 4);
}

#[test]
fn wait_first_completed_returns_exactly_the_finished_task_and_the_others_keep_running() {
    let rt = runtime(2);
    rt.block_on(async {
        let (tx1, rx1) = oneshot::channel::<u32>();
        let (tx2, rx2) = oneshot::channel::<u32>();
        let (tx3, rx3) = oneshot::channel::<u32>();
        let handles = vec![
            corio::spawn(async move { rx1.await.unwrap() }),
            corio::spawn(async move { rx2.await.unwrap() }),
            corio::spawn(async move { rx3.await.unwrap() }),
        ];
        tx2.send(2).unwrap();
        let (done, pending) = corio::task::wait(handles, ReturnWhen::FirstCompleted).await;
        assert_eq!(done.len(), 1);
        assert_eq!(*done[0].as_ref().unwrap(), 2);
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|h| !h.is_finished()));
        tx1.send(1).unwrap();
        tx3.send(3).unwrap();
        let (done, pending) = corio::task::wait(pending, ReturnWhen::AllCompleted).await;
        assert!(pending.is_empty());
        let mut values: Vec<u32> = done.into_iter().map(Result::unwrap).collect();
        values.sort();
        assert_eq!(values, vec![1, 3]);
    });
}

#[test]
fn wait_first_exception_returns_on_the_first_panic() {
    let rt = runtime(2);
    rt.block_on(async {
        let (tx, rx) = oneshot::channel::<()>();
        let handles = vec![
            corio::spawn(async move {
                rx.await.unwrap();
                panic!("first exception");
            }),
            corio::spawn(async { std::future::pending::<()>().await }),
        ];
        tx.send(()).unwrap();
        let (done, pending) = corio::task::wait(handles, ReturnWhen::FirstException).await;
        assert!(done.iter().any(|r| r.as_ref().is_err_and(|e| e.is_panic())));
        assert_eq!(pending.len(), 1, "the pending task is still running");
        pending[0].abort();
    });
}

#[test]
fn as_completed_yields_in_completion_order() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut senders = Vec::new();
        let mut futures = Vec::new();
        for i in 0..4u32 {
            let (tx, rx) = oneshot::channel::<u32>();
            senders.push((i, tx));
            futures.push(async move { rx.await.unwrap() });
        }
        let mut stream = corio::task::as_completed(futures);
        for (i, tx) in senders.into_iter().rev() {
            tx.send(i).unwrap();
            assert_eq!(stream.next().await, Some(i));
        }
        assert_eq!(stream.next().await, None);
    });
}

#[test]
fn gather_keeps_the_order_and_try_gather_stops_at_the_first_error() {
    let rt = runtime(2);
    rt.block_on(async {
        let values = corio::task::gather((0..10u32).map(|i| async move {
            corio::task::yield_now().await;
            i * i
        }))
        .await;
        assert_eq!(values, (0..10u32).map(|i| i * i).collect::<Vec<_>>());
        let drops = DropCounter::default();
        let result: Result<Vec<()>, &str> = corio::task::try_gather((0..3).map(|i| {
            let guard = drops.guard();
            async move {
                let _guard = guard;
                if i == 1 {
                    Err("second failed")
                } else {
                    std::future::pending().await
                }
            }
        }))
        .await;
        assert_eq!(result, Err("second failed"));
        assert_eq!(drops.dropped(), 3, "the other futures were dropped");
    });
}

#[test]
fn shield_keeps_the_work_running_when_its_awaiter_is_aborted() {
    let rt = runtime(2);
    rt.block_on(async {
        let (release_tx, release_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel::<&str>();
        let (waiting_tx, waiting_rx) = oneshot::channel::<()>();
        let awaiter = corio::spawn(async move {
            let work = corio::task::shield(async move {
                release_rx.await.unwrap();
                done_tx.send("shielded work finished").unwrap();
            });
            waiting_tx.send(()).unwrap();
            work.await.unwrap();
        });
        waiting_rx.await.unwrap();
        awaiter.abort();
        assert!(awaiter.await.unwrap_err().is_cancelled());
        release_tx.send(()).unwrap();
        assert_eq!(done_rx.await.unwrap(), "shielded work finished");
    });
}

corio::task_local! {
    static REQUEST: u32;
}

#[test]
fn task_local_values_follow_their_task_across_workers_and_stay_private() {
    let rt = runtime(2);
    let (migrated_tx, migrated_rx) = std::sync::mpsc::channel();
    let (wake_tx, wake_rx) = oneshot::channel::<()>();
    let (blocked_tx, blocked_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let scoped = rt.spawn(REQUEST.scope(7, async move {
        let before = std::thread::current().id();
        // Block this worker with a task of its own (it runs next on this worker), then wait to
        // be woken from outside: the wake-up can only be served by the other worker.
        corio::spawn(async move {
            blocked_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        wake_rx.await.unwrap();
        let after = std::thread::current().id();
        migrated_tx.send(before != after).unwrap();
        REQUEST.get()
    }));
    blocked_rx.recv_timeout(HANG_GUARD).unwrap();
    wake_tx.send(()).unwrap();
    assert!(
        migrated_rx.recv_timeout(HANG_GUARD).unwrap(),
        "the task moved to the other worker"
    );
    release_tx.send(()).unwrap();
    assert_eq!(rt.block_on(scoped).unwrap(), 7, "the value followed the task");

    // Other tasks, even interleaved on the same workers, never see it.
    let seen_elsewhere = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let tasks: Vec<_> = (0..8u32)
            .map(|i| {
                let seen_elsewhere = seen_elsewhere.clone();
                corio::spawn(async move {
                    let observer = corio::spawn(async move {
                        for _ in 0..100 {
                            if REQUEST.try_with(|_| ()).is_ok() {
                                seen_elsewhere.fetch_add(1, Ordering::SeqCst);
                            }
                            corio::task::yield_now().await;
                        }
                    });
                    REQUEST
                        .scope(i, async move {
                            for _ in 0..100 {
                                assert_eq!(REQUEST.get(), i);
                                corio::task::yield_now().await;
                            }
                        })
                        .await;
                    observer.await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(seen_elsewhere.load(Ordering::SeqCst), 0);
    assert!(REQUEST.try_with(|_| ()).is_err());
    let error = std::panic::catch_unwind(|| REQUEST.get()).unwrap_err();
    assert!(support::panic_message(&*error).contains("not inside its `LocalKey::scope`"));
}

#[test]
fn join_set_joins_in_completion_order_and_aborts_on_drop() {
    let rt = runtime(2);
    let drops = DropCounter::default();
    rt.block_on({
        let drops = drops.clone();
        async move {
            let mut set = JoinSet::new();
            let mut senders = Vec::new();
            for i in 0..5u32 {
                let (tx, rx) = oneshot::channel::<()>();
                senders.push(tx);
                set.spawn(async move {
                    rx.await.unwrap();
                    i
                });
            }
            assert_eq!(set.len(), 5);
            for (i, tx) in senders.into_iter().enumerate().rev() {
                tx.send(()).unwrap();
                assert_eq!(set.join_next().await.unwrap().unwrap(), i as u32);
            }
            assert!(set.join_next().await.is_none());
            assert!(set.is_empty());

            let mut set = JoinSet::new();
            for _ in 0..3 {
                let guard = drops.guard();
                set.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
            }
            set.shutdown().await;
            assert_eq!(drops.dropped(), 3);
            assert!(set.is_empty());
            for _ in 0..2 {
                let guard = drops.guard();
                set.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
            }
        }
    });
    support::eventually("a dropped JoinSet aborts its tasks", || drops.dropped() == 5);
}

/// A task-local scope's future is dropped (cancelled) outside the scope: cleanup code in its
/// destructors cannot see the value (asyncio runs `finally` blocks inside the task's context).
#[test]
fn task_local_is_visible_while_the_scoped_future_is_dropped() {
    struct Guard(std::sync::mpsc::Sender<Option<u32>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.send(REQUEST.try_with(|v| *v).ok());
        }
    }
    let rt = runtime(2);
    rt.block_on(async {
        let (tx, rx) = std::sync::mpsc::channel();
        let (polled_tx, polled_rx) = corio::sync::oneshot::channel::<()>();
        let task = corio::spawn(REQUEST.scope(7, async move {
            let _guard = Guard(tx);
            let _ = polled_tx.send(());
            std::future::pending::<()>().await;
        }));
        polled_rx.await.unwrap();
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(
            rx.recv().unwrap(),
            Some(7),
            "the value was not set while the future was dropped"
        );
    });
}
