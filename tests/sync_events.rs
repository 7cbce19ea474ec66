//! `Notify`, `Event` and `Barrier` on a multi-worker runtime, with tasks running in parallel.
mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use corio::sync::{
    Barrier, BarrierWait, BarrierWaitResult, BrokenBarrierError, Event, EventWait, Notified, Notify,
};
use futures::channel::mpsc;
use futures::{poll, FutureExt, StreamExt};
use support::{panic_message, runtime, HANG_GUARD};

const WORKERS: usize = 4;

/// Awaits `future`, failing the test if it takes longer than `HANG_GUARD`.
async fn guarded<F: Future>(what: &str, future: F) -> F::Output {
    match corio::time::timeout(HANG_GUARD, future).await {
        Ok(output) => output,
        Err(_) => panic!("hang: {what}"),
    }
}

/// Receives the next message, failing the test on a hang or a closed channel.
async fn next<T>(receiver: &mut mpsc::UnboundedReceiver<T>) -> T {
    guarded("waiting for a message from a task", receiver.next())
        .await
        .expect("the sending task ended early (did it panic?)")
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn primitives_and_their_futures_are_send_and_sync() {
    assert_send_sync::<Notify>();
    assert_send_sync::<Notified<'static>>();
    assert_send_sync::<Event>();
    assert_send_sync::<EventWait<'static>>();
    assert_send_sync::<Barrier>();
    assert_send_sync::<BarrierWait<'static>>();
    assert_send_sync::<BarrierWaitResult>();
    assert_send_sync::<BrokenBarrierError>();
}

// ----- Notify -----

#[test]
fn notify_one_without_waiters_stores_exactly_one_permit() {
    runtime(WORKERS).block_on(async {
        let notify = Arc::new(Notify::new());
        notify.notify_one();
        notify.notify_one();
        // A task (on any worker) takes the stored permit without waiting.
        let taker = {
            let notify = notify.clone();
            corio::spawn(async move { notify.notified().await })
        };
        guarded("the stored permit", taker).await.unwrap();
        // Two calls stored one permit, not two.
        assert!(
            notify.notified().now_or_never().is_none(),
            "a second permit was stored"
        );

        // With the permit gone, a waiter waits for the next `notify_one`.
        let (ready, mut readies) = mpsc::unbounded();
        let waiter = {
            let notify = notify.clone();
            corio::spawn(async move {
                let mut notified = pin!(notify.notified());
                assert!(!notified.as_mut().enable(), "notified with no permit stored");
                ready.unbounded_send(()).unwrap();
                notified.await;
            })
        };
        next(&mut readies).await;
        notify.notify_one();
        guarded("the waiter woken by notify_one", waiter).await.unwrap();
        assert!(
            notify.notified().now_or_never().is_none(),
            "the waiter's notification was also stored"
        );
    });
}

#[test]
fn notify_one_wakes_waiters_in_fifo_order() {
    const WAITERS: usize = 8;
    runtime(WORKERS).block_on(async {
        let notify = Arc::new(Notify::new());
        let (ready, mut readies) = mpsc::unbounded();
        let (done, mut dones) = mpsc::unbounded();
        let mut waiters = Vec::new();
        for i in 0..WAITERS {
            let (notify, ready, done) = (notify.clone(), ready.clone(), done.clone());
            waiters.push(corio::spawn(async move {
                let mut notified = pin!(notify.notified());
                notified.as_mut().enable();
                ready.unbounded_send(i).unwrap();
                notified.await;
                done.unbounded_send(i).unwrap();
            }));
            // Each waiter is queued before the next is spawned: the FIFO order is 0, 1, 2...
            assert_eq!(next(&mut readies).await, i);
        }
        for i in 0..WAITERS {
            notify.notify_one();
            assert_eq!(
                next(&mut dones).await,
                i,
                "notify_one woke a waiter out of FIFO order"
            );
        }
        for waiter in waiters {
            guarded("a woken waiter", waiter).await.unwrap();
        }
        // Had any `notify_one` woken two waiters, the last one would have found nobody and
        // stored a permit.
        assert!(
            notify.notified().now_or_never().is_none(),
            "a notify_one woke more than one waiter"
        );
    });
}

#[test]
fn notify_waiters_wakes_every_current_waiter_and_stores_no_permit() {
    const WAITERS: usize = 32;
    runtime(WORKERS).block_on(async {
        let notify = Arc::new(Notify::new());
        // Created before the call and never polled: still woken by it.
        let early = notify.notified();
        let (ready, mut readies) = mpsc::unbounded();
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                let (notify, ready) = (notify.clone(), ready.clone());
                corio::spawn(async move {
                    let mut notified = pin!(notify.notified());
                    assert!(!notified.as_mut().enable());
                    ready.unbounded_send(()).unwrap();
                    notified.await;
                })
            })
            .collect();
        for _ in 0..WAITERS {
            next(&mut readies).await;
        }
        // Called from another task, so that the wake-ups cross workers.
        let caller = {
            let notify = notify.clone();
            corio::spawn(async move { notify.notify_waiters() })
        };
        guarded("notify_waiters", caller).await.unwrap();
        for waiter in waiters {
            guarded("a waiter woken by notify_waiters", waiter).await.unwrap();
        }
        assert!(
            early.now_or_never().is_some(),
            "a Notified created before notify_waiters was not woken"
        );

        // None later: no permit was stored, and a waiter registered after the call waits for
        // the next notification.
        let mut later = pin!(notify.notified());
        assert!(!later.as_mut().enable(), "notify_waiters stored a permit");
        assert!(poll!(later.as_mut()).is_pending());
        notify.notify_one();
        assert!(poll!(later.as_mut()).is_ready());
    });
}

#[test]
fn notify_ping_pong_between_workers_loses_no_wake_up() {
    const PAIRS: usize = 4;
    const ROUNDS: usize = 2_000;
    runtime(WORKERS).block_on(async {
        let mut players = Vec::new();
        for _ in 0..PAIRS {
            let ping = Arc::new(Notify::new());
            let pong = Arc::new(Notify::new());
            let ponger = {
                let (ping, pong) = (ping.clone(), pong.clone());
                corio::spawn(async move {
                    for _ in 0..ROUNDS {
                        ping.notified().await;
                        pong.notify_one();
                    }
                })
            };
            let pinger = corio::spawn(async move {
                for _ in 0..ROUNDS {
                    ping.notify_one();
                    pong.notified().await;
                }
            });
            players.push(ponger);
            players.push(pinger);
        }
        for player in players {
            guarded("a ping-pong player (lost wake-up?)", player)
                .await
                .unwrap();
        }
    });
}

#[test]
fn dropped_notified_passes_its_notify_one_to_the_next_waiter() {
    runtime(WORKERS).block_on(async {
        let notify = Notify::new();
        let mut first = Box::pin(notify.notified());
        assert!(poll!(first.as_mut()).is_pending()); // queued first
        let mut second = pin!(notify.notified());
        assert!(poll!(second.as_mut()).is_pending()); // queued second
        notify.notify_one(); // handed to `first`...
        drop(first); // ...which is cancelled before it sees it
        assert!(
            poll!(second.as_mut()).is_ready(),
            "the notification was lost with the dropped waiter"
        );
        // Passed on, not duplicated: no permit left over.
        assert!(notify.notified().now_or_never().is_none());
    });
}

#[test]
fn dropped_notified_gives_its_notify_one_back_as_the_permit() {
    runtime(WORKERS).block_on(async {
        let notify = Notify::new();
        let mut only = Box::pin(notify.notified());
        assert!(poll!(only.as_mut()).is_pending());
        notify.notify_one();
        drop(only);
        assert!(
            notify.notified().now_or_never().is_some(),
            "the notification was lost"
        );
        assert!(
            notify.notified().now_or_never().is_none(),
            "the notification was duplicated"
        );
    });
}

#[test]
fn dropped_notified_does_not_pass_on_a_notify_waiters() {
    runtime(WORKERS).block_on(async {
        let notify = Notify::new();
        let mut first = Box::pin(notify.notified());
        assert!(poll!(first.as_mut()).is_pending());
        notify.notify_waiters();
        drop(first);
        // `notify_waiters` was for the tasks waiting at the time: nothing is passed on.
        let mut later = pin!(notify.notified());
        assert!(poll!(later.as_mut()).is_pending());
    });
}

#[test]
fn notify_one_then_notify_waiters_then_drop_still_passes_the_notify_one_on() {
    runtime(WORKERS).block_on(async {
        let notify = Notify::new();
        let mut first = Box::pin(notify.notified());
        assert!(poll!(first.as_mut()).is_pending());
        notify.notify_one(); // handed to `first`
        notify.notify_waiters(); // `first` is no longer queued; nobody else waits
        drop(first);
        assert!(
            notify.notified().now_or_never().is_some(),
            "the notify_one handed to the dropped waiter was lost"
        );
    });
}

#[test]
fn aborted_waiter_task_passes_its_notification_on() {
    const ITERATIONS: usize = 200;
    runtime(WORKERS).block_on(async {
        let notify = Arc::new(Notify::new());
        for _ in 0..ITERATIONS {
            let (ready, mut readies) = mpsc::unbounded();
            let spawn_waiter = || {
                let (notify, ready) = (notify.clone(), ready.clone());
                corio::spawn(async move {
                    let mut notified = pin!(notify.notified());
                    notified.as_mut().enable();
                    ready.unbounded_send(()).unwrap();
                    notified.await;
                })
            };
            let first = spawn_waiter();
            next(&mut readies).await;
            let second = spawn_waiter();
            next(&mut readies).await;

            // Race: the notification reaches `first`, and `first` is cancelled.
            notify.notify_one();
            first.abort();
            match guarded("the aborted waiter", first).await {
                // `first` was dropped unwoken: the notification must reach `second` on its own.
                Err(error) => assert!(error.is_cancelled()),
                // `first` consumed it; `second` needs another one.
                Ok(()) => notify.notify_one(),
            }
            guarded("the second waiter (notification lost?)", second)
                .await
                .unwrap();
            assert!(
                notify.notified().now_or_never().is_none(),
                "a notification was duplicated"
            );
        }
    });
}

// ----- Event -----

#[test]
fn event_set_wakes_every_waiter_even_if_cleared_right_after() {
    const WAITERS: usize = 64;
    runtime(WORKERS).block_on(async {
        let event = Arc::new(Event::new());
        let (ready, mut readies) = mpsc::unbounded();
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                let (event, ready) = (event.clone(), ready.clone());
                corio::spawn(async move {
                    let mut wait = pin!(event.wait());
                    assert!(poll!(wait.as_mut()).is_pending(), "waited on an unset event");
                    ready.unbounded_send(()).unwrap();
                    wait.await;
                })
            })
            .collect();
        for _ in 0..WAITERS {
            next(&mut readies).await;
        }
        assert!(!event.is_set());
        event.set();
        // As in asyncio, waking happens at `set`: the waiters complete though the flag drops.
        event.clear();
        for waiter in waiters {
            guarded("a waiter woken by set", waiter).await.unwrap();
        }
        assert!(!event.is_set());
        assert!(
            event.wait().now_or_never().is_none(),
            "a cleared event let a new wait through"
        );
    });
}

#[test]
fn event_set_and_clear_over_many_rounds_across_workers() {
    const ROUNDS: usize = 50;
    const WAITERS: usize = 8;
    runtime(WORKERS).block_on(async {
        let event = Arc::new(Event::new());
        let completed = Arc::new(AtomicUsize::new(0));
        for round in 0..ROUNDS {
            let (ready, mut readies) = mpsc::unbounded();
            let waiters: Vec<_> = (0..WAITERS)
                .map(|_| {
                    let (event, ready, completed) = (event.clone(), ready.clone(), completed.clone());
                    corio::spawn(async move {
                        let mut wait = pin!(event.wait());
                        let was_pending = poll!(wait.as_mut()).is_pending();
                        ready.unbounded_send(was_pending).unwrap();
                        wait.await;
                        completed.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for _ in 0..WAITERS {
                assert!(
                    next(&mut readies).await,
                    "round {round}: the cleared event was still set"
                );
            }
            assert_eq!(
                completed.load(Ordering::SeqCst),
                round * WAITERS,
                "a waiter ran ahead of set"
            );
            // Set from a task, so that the setter and the waiters are on different workers.
            let setter = {
                let event = event.clone();
                corio::spawn(async move { event.set() })
            };
            guarded("the setter", setter).await.unwrap();
            assert!(event.is_set());
            // A wait on a set event returns at once.
            assert!(event.wait().now_or_never().is_some());
            for waiter in waiters {
                guarded("a waiter woken by set", waiter).await.unwrap();
            }
            event.clear();
        }
        assert_eq!(completed.load(Ordering::SeqCst), ROUNDS * WAITERS);
    });
}

#[test]
fn dropped_event_waiter_leaves_the_others_unaffected() {
    runtime(WORKERS).block_on(async {
        let event = Event::new();
        let mut dropped = Box::pin(event.wait());
        assert!(poll!(dropped.as_mut()).is_pending());
        let mut kept = pin!(event.wait());
        assert!(poll!(kept.as_mut()).is_pending());
        drop(dropped);
        event.set();
        assert!(poll!(kept.as_mut()).is_ready());
    });
}

// ----- Barrier -----

#[test]
fn barrier_rounds_give_distinct_indices_and_one_leader() {
    const PARTIES: usize = 4;
    const ROUNDS: usize = 100;
    runtime(WORKERS).block_on(async {
        let barrier = Arc::new(Barrier::new(PARTIES));
        let tasks: Vec<_> = (0..PARTIES)
            .map(|_| {
                let barrier = barrier.clone();
                corio::spawn(async move {
                    let mut results = Vec::with_capacity(ROUNDS);
                    for _ in 0..ROUNDS {
                        results.push(barrier.wait().await.expect("the barrier is not broken"));
                    }
                    results
                })
            })
            .collect();
        let mut per_task = Vec::new();
        for task in tasks {
            per_task.push(guarded("a barrier task", task).await.unwrap());
        }
        // With exactly `PARTIES` tasks, the r-th wait of every task belongs to round r.
        for round in 0..ROUNDS {
            let mut indices: Vec<usize> = per_task.iter().map(|results| results[round].index()).collect();
            indices.sort_unstable();
            assert_eq!(indices, (0..PARTIES).collect::<Vec<_>>(), "round {round}");
            let leaders: Vec<_> = per_task
                .iter()
                .filter(|results| results[round].is_leader())
                .collect();
            assert_eq!(leaders.len(), 1, "round {round}: not exactly one leader");
            assert_eq!(
                leaders[0][round].index(),
                PARTIES - 1,
                "the leader is the last to arrive"
            );
        }
        assert_eq!(barrier.n_waiting(), 0);
    });
}

#[test]
fn barrier_with_more_tasks_than_parties_forms_full_rounds() {
    const PARTIES: usize = 4;
    const TASKS: usize = 8;
    const ROUNDS: usize = 100;
    // Far more waits than any task needs: the loops end when the barrier is aborted.
    const MAX_WAITS: usize = 10 * ROUNDS;
    runtime(WORKERS).block_on(async {
        let barrier = Arc::new(Barrier::new(PARTIES));
        let leaders_seen = Arc::new(AtomicUsize::new(0));
        let (enough, mut enough_rounds) = mpsc::unbounded();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (barrier, leaders_seen, enough) = (barrier.clone(), leaders_seen.clone(), enough.clone());
                corio::spawn(async move {
                    // Which tasks meet in a round is up to the scheduler, so a fixed number of
                    // waits per task could leave a task without partners; instead every task
                    // waits until the barrier is aborted.
                    let mut results = Vec::new();
                    for _ in 0..MAX_WAITS {
                        let Ok(result) = barrier.wait().await else { break };
                        if result.is_leader() && leaders_seen.fetch_add(1, Ordering::SeqCst) + 1 == ROUNDS {
                            enough.unbounded_send(()).unwrap();
                        }
                        results.push(result);
                    }
                    results
                })
            })
            .collect();
        next(&mut enough_rounds).await;
        barrier.abort();
        let mut per_index = [0; PARTIES];
        let mut leaders = 0;
        for task in tasks {
            for result in guarded("a barrier task", task).await.unwrap() {
                per_index[result.index()] += 1;
                leaders += result.is_leader() as usize;
            }
        }
        // Every completed round delivered each index once and one leader, even when the abort
        // came before its waiters ran again.
        assert!(leaders >= ROUNDS);
        assert_eq!(
            per_index, [leaders; PARTIES],
            "a round handed out an index twice or not at all"
        );
    });
}

#[test]
fn barrier_abort_fails_present_and_future_waiters_until_reset() {
    const PARTIES: usize = 3;
    runtime(WORKERS).block_on(async {
        let barrier = Arc::new(Barrier::new(PARTIES));
        let (ready, mut readies) = mpsc::unbounded();
        let spawn_waiter = |ready: mpsc::UnboundedSender<()>| {
            let barrier = barrier.clone();
            corio::spawn(async move {
                let mut wait = pin!(barrier.wait());
                assert!(poll!(wait.as_mut()).is_pending());
                ready.unbounded_send(()).unwrap();
                wait.await
            })
        };
        let present: Vec<_> = (0..PARTIES - 1).map(|_| spawn_waiter(ready.clone())).collect();
        for _ in 0..PARTIES - 1 {
            next(&mut readies).await;
        }
        assert_eq!(barrier.n_waiting(), PARTIES - 1);

        barrier.abort();
        assert!(barrier.is_broken());
        for waiter in present {
            let error = guarded("an aborted waiter", waiter).await.unwrap().unwrap_err();
            assert_eq!(error.to_string(), "barrier is broken: it was aborted or reset");
        }
        assert_eq!(barrier.n_waiting(), 0);
        // Future waiters fail at once, even a whole round of them.
        for _ in 0..PARTIES {
            assert!(guarded("a wait on a broken barrier", barrier.wait())
                .await
                .is_err());
        }
        assert!(barrier.is_broken());

        barrier.reset();
        assert!(!barrier.is_broken());
        let round: Vec<_> = (0..PARTIES)
            .map(|_| {
                let barrier = barrier.clone();
                corio::spawn(async move { barrier.wait().await })
            })
            .collect();
        let mut indices = Vec::new();
        for waiter in round {
            indices.push(
                guarded("a round after reset", waiter)
                    .await
                    .unwrap()
                    .unwrap()
                    .index(),
            );
        }
        indices.sort_unstable();
        assert_eq!(indices, vec![0, 1, 2]);
    });
}

#[test]
fn barrier_reset_fails_waiting_tasks_and_leaves_it_empty_and_working() {
    runtime(WORKERS).block_on(async {
        let barrier = Arc::new(Barrier::new(2));
        let (ready, mut readies) = mpsc::unbounded();
        let waiter = {
            let barrier = barrier.clone();
            corio::spawn(async move {
                let mut wait = pin!(barrier.wait());
                assert!(poll!(wait.as_mut()).is_pending());
                ready.unbounded_send(()).unwrap();
                wait.await
            })
        };
        next(&mut readies).await;
        assert_eq!(barrier.n_waiting(), 1);
        barrier.reset();
        assert!(guarded("a waiter of a reset barrier", waiter)
            .await
            .unwrap()
            .is_err());
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
        // Empty again: a round needs two new parties.
        let mut first = pin!(barrier.wait());
        assert!(poll!(first.as_mut()).is_pending());
        let second = guarded("the second party", barrier.wait()).await.unwrap();
        assert_eq!(second.index(), 1);
        assert_eq!(first.await.unwrap().index(), 0);
    });
}

#[test]
fn cancelled_barrier_waiter_leaves_the_round() {
    runtime(WORKERS).block_on(async {
        let barrier = Arc::new(Barrier::new(2));
        let (ready, mut readies) = mpsc::unbounded();
        let spawn_waiter = || {
            let (barrier, ready) = (barrier.clone(), ready.clone());
            corio::spawn(async move {
                let mut wait = pin!(barrier.wait());
                let was_pending = poll!(wait.as_mut()).is_pending();
                ready.unbounded_send(was_pending).unwrap();
                wait.await
            })
        };
        let cancelled = spawn_waiter();
        assert!(next(&mut readies).await);
        assert_eq!(barrier.n_waiting(), 1);
        cancelled.abort();
        assert!(guarded("the aborted waiter", cancelled)
            .await
            .unwrap_err()
            .is_cancelled());
        assert_eq!(barrier.n_waiting(), 0, "the cancelled waiter still counts");

        // Had the cancelled waiter still counted, this arrival would have completed the round.
        let second = spawn_waiter();
        assert!(next(&mut readies).await, "the cancelled waiter completed a round");
        assert_eq!(barrier.n_waiting(), 1);
        let mine = guarded("the third party", barrier.wait()).await.unwrap();
        let theirs = guarded("the second party", second).await.unwrap().unwrap();
        assert_eq!((theirs.index(), theirs.is_leader()), (0, false));
        assert_eq!((mine.index(), mine.is_leader()), (1, true));
    });
}

#[test]
fn cancelled_barrier_waiter_keeps_indices_distinct() {
    runtime(WORKERS).block_on(async {
        let barrier = Barrier::new(4);
        let mut first = pin!(barrier.wait());
        assert!(poll!(first.as_mut()).is_pending());
        let mut leaving = Box::pin(barrier.wait());
        assert!(poll!(leaving.as_mut()).is_pending());
        let mut third = pin!(barrier.wait());
        assert!(poll!(third.as_mut()).is_pending());
        // The second arrival leaves: numbering on arrival would now give the next arrival the
        // index the third one already holds.
        drop(leaving);
        assert_eq!(barrier.n_waiting(), 2);
        let mut fourth = pin!(barrier.wait());
        assert!(
            poll!(fourth.as_mut()).is_pending(),
            "the round completed without a fourth party"
        );
        let last = barrier.wait().await.unwrap();
        assert!(last.is_leader());
        let first = first.await.unwrap();
        let third = third.await.unwrap();
        let fourth = fourth.await.unwrap();
        let indices = [first.index(), third.index(), fourth.index(), last.index()];
        assert_eq!(
            indices,
            [0, 1, 2, 3],
            "indices in arrival order among the parties that stayed"
        );
    });
}

#[test]
fn barrier_with_zero_parties_panics_with_a_clear_message() {
    let payload = std::panic::catch_unwind(|| Barrier::new(0)).unwrap_err();
    let message = panic_message(&*payload);
    assert!(
        message.contains("Barrier::new(0)"),
        "unclear panic message: {message}"
    );
}

#[test]
fn broken_barrier_error_is_an_error() {
    runtime(WORKERS).block_on(async {
        let barrier = Barrier::new(2);
        barrier.abort();
        let error: Box<dyn std::error::Error + Send + Sync> = Box::new(barrier.wait().await.unwrap_err());
        assert_eq!(error.to_string(), "barrier is broken: it was aborted or reset");
    });
}
