//! Channels: oneshot, mpsc (bounded and unbounded), broadcast, watch — on a multi-worker
//! runtime, with every drop order, backpressure, cancel safety and lag accounting.

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio::sync::{broadcast, mpsc, oneshot, watch};
use futures::StreamExt;
use support::{panic_message, runtime, within, DropCounter, HANG_GUARD};

const WORKERS: usize = 4;

/// Runs `future` on a fresh multi-worker runtime, failing the test if it hangs.
fn run<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    within(HANG_GUARD, move || runtime(WORKERS).block_on(future))
}

/// A waker that records whether it was woken, for futures polled by hand.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Flag {
    fn new() -> (Arc<Flag>, Waker) {
        let flag = Arc::new(Flag::default());
        (flag.clone(), Waker::from(flag))
    }

    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

// ---- oneshot -----------------------------------------------------------------------------

#[test]
fn oneshot_values_cross_workers_both_ways() {
    let total = run(async {
        let mut handles = Vec::new();
        for i in 0..1000u64 {
            let (request_tx, request_rx) = oneshot::channel::<u64>();
            let (reply_tx, reply_rx) = oneshot::channel::<u64>();
            corio::spawn(async move {
                let value = request_rx.await.unwrap();
                reply_tx.send(value * 2).unwrap();
            });
            handles.push(corio::spawn(async move {
                request_tx.send(i).unwrap();
                reply_rx.await.unwrap()
            }));
        }
        let mut total = 0;
        for handle in handles {
            total += handle.await.unwrap();
        }
        total
    });
    assert_eq!(total, 2 * (0..1000u64).sum::<u64>());
}

#[test]
fn oneshot_sender_dropped_without_sending_gives_recv_error() {
    run(async {
        let (tx, rx) = oneshot::channel::<String>();
        let waiter = corio::spawn(rx);
        corio::spawn(async move { drop(tx) }).await.unwrap();
        let error = waiter.await.unwrap().unwrap_err();
        assert!(error.to_string().contains("dropped"));
    });
}

#[test]
fn oneshot_receiver_dropped_first_hands_the_value_back_and_wakes_closed() {
    run(async {
        let (mut tx, rx) = oneshot::channel::<Vec<u8>>();
        let watcher = corio::spawn(async move {
            tx.closed().await;
            tx.send(vec![1, 2, 3])
        });
        corio::spawn(async move { drop(rx) }).await.unwrap();
        assert_eq!(watcher.await.unwrap(), Err(vec![1, 2, 3]));
    });
}

#[test]
fn oneshot_try_recv_and_close_states() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    assert_eq!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty));
    tx.send(1).unwrap();
    rx.close();
    // A value sent before the close is still there.
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(oneshot::error::TryRecvError::Closed));

    let (tx, mut rx) = oneshot::channel::<u8>();
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.send(2), Err(2));
}

#[test]
fn oneshot_value_dropped_with_the_receiver() {
    let counter = DropCounter::default();
    let (tx, rx) = oneshot::channel();
    tx.send(counter.guard())
        .unwrap_or_else(|_| panic!("the receiver is alive"));
    assert_eq!(counter.dropped(), 0);
    drop(rx);
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn oneshot_receiver_polled_before_the_send_is_woken() {
    let (tx, rx) = oneshot::channel::<u32>();
    let (flag, waker) = Flag::new();
    let mut rx = pin!(rx);
    assert!(poll_once(rx.as_mut(), &waker).is_pending());
    tx.send(5).unwrap();
    assert!(flag.take(), "the send woke the receiver");
    assert_eq!(poll_once(rx.as_mut(), &waker), Poll::Ready(Ok(5)));
}

// ---- mpsc: scale and order ---------------------------------------------------------------

#[test]
fn mpsc_ten_producers_by_ten_thousand_through_bounded_16_keep_per_producer_order() {
    const PRODUCERS: usize = 10;
    const MESSAGES: usize = 10_000;
    let received = run(async {
        let (tx, mut rx) = mpsc::channel::<(usize, usize)>(16);
        for producer in 0..PRODUCERS {
            let tx = tx.clone();
            corio::spawn(async move {
                for seq in 0..MESSAGES {
                    tx.send((producer, seq)).await.unwrap();
                }
            });
        }
        drop(tx);
        let mut next = [0usize; PRODUCERS];
        let mut total = 0;
        while let Some((producer, seq)) = rx.recv().await {
            assert_eq!(
                seq, next[producer],
                "producer {producer}'s messages arrive in order"
            );
            next[producer] += 1;
            total += 1;
        }
        assert!(
            next.iter().all(|&n| n == MESSAGES),
            "every producer delivered everything: {next:?}"
        );
        total
    });
    assert_eq!(received, PRODUCERS * MESSAGES);
}

#[test]
fn mpsc_unbounded_from_plain_threads_and_tasks() {
    let received = run(async {
        let (tx, rx) = mpsc::unbounded_channel::<u32>();
        for thread in 0..4u32 {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    tx.send(thread * 1000 + i).unwrap();
                }
            });
        }
        for task in 4..8u32 {
            let tx = tx.clone();
            corio::spawn(async move {
                for i in 0..1000 {
                    tx.send(task * 1000 + i).unwrap();
                }
            });
        }
        drop(tx);
        let mut all: Vec<u32> = rx.collect().await;
        all.sort_unstable();
        all
    });
    assert_eq!(received, (0..8000).collect::<Vec<u32>>());
}

// ---- mpsc: drop orders -------------------------------------------------------------------

#[test]
fn mpsc_senders_dropped_first_deliver_everything_in_flight_then_none() {
    let (bounded, unbounded) = run(async {
        let (tx, mut rx) = mpsc::channel(64);
        let (utx, mut urx) = mpsc::unbounded_channel();
        for i in 0..50 {
            tx.send(i).await.unwrap();
            utx.send(i).unwrap();
        }
        // The senders go away on another worker while the messages are still queued.
        corio::spawn(async move {
            drop(tx);
            drop(utx);
        })
        .await
        .unwrap();
        let mut bounded = Vec::new();
        while let Some(i) = rx.recv().await {
            bounded.push(i);
        }
        let mut unbounded = Vec::new();
        while let Some(i) = urx.recv().await {
            unbounded.push(i);
        }
        assert_eq!(rx.recv().await, None, "None again after the end");
        assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected));
        (bounded, unbounded)
    });
    assert_eq!(bounded, (0..50).collect::<Vec<_>>());
    assert_eq!(unbounded, (0..50).collect::<Vec<_>>());
}

#[test]
fn mpsc_last_sender_dropped_wakes_a_parked_receiver() {
    run(async {
        let (tx, mut rx) = mpsc::channel::<u8>(4);
        let (parked_tx, parked_rx) = oneshot::channel();
        let receiver = corio::spawn(async move {
            let mut recv = pin!(rx.recv());
            // Make sure the receiver is parked before the sender goes.
            std::future::poll_fn(|cx| {
                assert!(recv.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            parked_tx.send(()).unwrap();
            recv.await
        });
        parked_rx.await.unwrap();
        drop(tx);
        assert_eq!(receiver.await.unwrap(), None);
    });
}

#[test]
fn mpsc_receiver_dropped_first_fails_every_waiting_sender_with_its_value() {
    let results = run(async {
        let (tx, rx) = mpsc::channel::<usize>(1);
        tx.send(0).await.unwrap();
        let (parked_tx, mut parked_rx) = mpsc::unbounded_channel();
        let mut senders = Vec::new();
        for i in 1..=8 {
            let tx = tx.clone();
            let parked_tx = parked_tx.clone();
            senders.push(corio::spawn(async move {
                let mut send = pin!(tx.send(i));
                let first = std::future::poll_fn(|cx| Poll::Ready(send.as_mut().poll(cx))).await;
                assert!(first.is_pending(), "the channel is full");
                parked_tx.send(()).unwrap();
                send.await
            }));
        }
        for _ in 0..8 {
            parked_rx.recv().await.unwrap();
        }
        corio::spawn(async move { drop(rx) }).await.unwrap();
        assert!(tx.is_closed());
        tx.closed().await;
        let mut results = Vec::new();
        for sender in senders {
            results.push(sender.await.unwrap().unwrap_err().0);
        }
        results
    });
    assert_eq!(results, (1..=8).collect::<Vec<_>>());
}

#[test]
fn mpsc_receiver_dropped_drops_queued_messages_and_fails_later_sends() {
    let counter = DropCounter::default();
    let (tx, rx) = mpsc::channel(8);
    let (utx, urx) = mpsc::unbounded_channel();
    for _ in 0..5 {
        tx.try_send(counter.guard())
            .unwrap_or_else(|_| panic!("room for 8"));
        utx.send(counter.guard()).unwrap_or_else(|_| panic!("unbounded"));
    }
    drop(rx);
    drop(urx);
    assert_eq!(
        counter.dropped(),
        10,
        "queued messages are dropped with the receiver"
    );
    match tx.try_send(counter.guard()) {
        Err(mpsc::error::TrySendError::Closed(_)) => {}
        other => panic!("expected Closed, got {:?}", other.map(|_| ())),
    }
    assert!(utx.send(counter.guard()).is_err());
    assert_eq!(
        counter.dropped(),
        12,
        "the failed messages were handed back, then dropped"
    );
}

#[test]
fn mpsc_close_lets_the_receiver_drain_and_outstanding_permits_send() {
    run(async {
        let (tx, mut rx) = mpsc::channel::<u32>(4);
        tx.send(1).await.unwrap();
        let permit = tx.clone().reserve_owned().await.unwrap();
        rx.close();
        assert!(tx.is_closed());
        assert!(tx.send(99).await.is_err(), "sending after close fails");
        assert_eq!(rx.recv().await, Some(1));
        // The permit taken before the close still delivers; the end comes after it.
        assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Empty));
        let sender = corio::spawn(async move {
            permit.send(2);
        });
        assert_eq!(rx.recv().await, Some(2));
        sender.await.unwrap();
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn mpsc_dropping_the_last_permit_after_close_ends_the_stream() {
    run(async {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let permit = tx.clone().reserve_owned().await.unwrap();
        rx.close();
        drop(tx);
        let releaser = corio::spawn(async move { drop(permit) });
        assert_eq!(rx.recv().await, None);
        releaser.await.unwrap();
    });
}

// ---- mpsc: capacity ----------------------------------------------------------------------

#[test]
fn mpsc_bounded_1_sender_waits_until_a_recv() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let (flag, waker) = Flag::new();
    let mut first = pin!(tx.send(1));
    assert_eq!(poll_once(first.as_mut(), &waker), Poll::Ready(Ok(())));
    let mut second = pin!(tx.send(2));
    assert!(
        poll_once(second.as_mut(), &waker).is_pending(),
        "the channel is full"
    );
    assert!(poll_once(second.as_mut(), &waker).is_pending(), "still full");
    assert!(!flag.take());
    assert_eq!(tx.capacity(), 0);
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(flag.take(), "the recv woke the waiting sender");
    assert_eq!(poll_once(second.as_mut(), &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn mpsc_producer_never_runs_more_than_capacity_ahead_across_workers() {
    const CAPACITY: usize = 3;
    run(async {
        let (tx, mut rx) = mpsc::channel::<usize>(CAPACITY);
        let completed = Arc::new(AtomicUsize::new(0));
        let producer = {
            let completed = completed.clone();
            corio::spawn(async move {
                for i in 0..2000 {
                    tx.send(i).await.unwrap();
                    completed.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let mut received = 0;
        while let Some(i) = rx.recv().await {
            assert_eq!(i, received);
            received += 1;
            let done = completed.load(Ordering::SeqCst);
            assert!(
                done <= received + CAPACITY,
                "{done} sends completed after {received} receives"
            );
            if received % 7 == 0 {
                corio::task::yield_now().await;
            }
        }
        producer.await.unwrap();
        assert_eq!(received, 2000);
    });
}

#[test]
fn mpsc_waiting_senders_are_served_in_fifo_order() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let (_flag, waker) = Flag::new();
    let mut a = pin!(tx.send(1));
    let mut b = pin!(tx.send(2));
    let mut c = pin!(tx.send(3));
    assert!(poll_once(a.as_mut(), &waker).is_pending());
    assert!(poll_once(b.as_mut(), &waker).is_pending());
    assert!(poll_once(c.as_mut(), &waker).is_pending());
    // A newcomer does not overtake the waiters, even right after a slot frees.
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(matches!(tx.try_send(9), Err(mpsc::error::TrySendError::Full(9))));
    // Poll in reverse order: only the head was handed the slot.
    assert!(poll_once(c.as_mut(), &waker).is_pending());
    assert!(poll_once(b.as_mut(), &waker).is_pending());
    assert_eq!(poll_once(a.as_mut(), &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(poll_once(c.as_mut(), &waker).is_pending());
    assert_eq!(poll_once(b.as_mut(), &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(poll_once(c.as_mut(), &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn mpsc_capacity_zero_panics_with_a_clear_message() {
    let payload = std::panic::catch_unwind(|| mpsc::channel::<()>(0)).unwrap_err();
    let message = panic_message(&*payload);
    assert!(
        message.contains("`mpsc::channel`") && message.contains("capacity of 0"),
        "{message}"
    );
}

#[test]
fn mpsc_try_send_reports_full_and_closed_with_the_value() {
    let (tx, mut rx) = mpsc::channel::<String>(2);
    assert_eq!(tx.max_capacity(), 2);
    tx.try_send("a".into()).unwrap();
    tx.try_send("b".into()).unwrap();
    assert_eq!(
        tx.try_send("c".into()),
        Err(mpsc::error::TrySendError::Full("c".into()))
    );
    assert_eq!(rx.len(), 2);
    rx.close();
    assert_eq!(
        tx.try_send("d".into()),
        Err(mpsc::error::TrySendError::Closed("d".into()))
    );
    assert_eq!(rx.try_recv().as_deref(), Ok("a"));
}

// ---- mpsc: cancel safety -----------------------------------------------------------------

#[test]
fn mpsc_sender_cancelled_after_being_handed_the_slot_passes_it_on() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let (flag_a, waker_a) = Flag::new();
    let (flag_b, waker_b) = Flag::new();
    let mut a = Box::pin(tx.send(1));
    let mut b = pin!(tx.send(2));
    assert!(poll_once(a.as_mut(), &waker_a).is_pending());
    assert!(poll_once(b.as_mut(), &waker_b).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(flag_a.take(), "the freed slot went to the first waiter");
    assert!(!flag_b.take());
    // Cancelled right after the hand-off, before it could use the slot.
    drop(a);
    assert!(flag_b.take(), "the slot was passed to the next waiter");
    assert_eq!(poll_once(b.as_mut(), &waker_b), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Empty));
    assert_eq!(tx.capacity(), 1, "no slot was lost");
}

#[test]
fn mpsc_cancelled_queued_sender_and_dropped_permits_lose_no_slot() {
    let (tx, mut rx) = mpsc::channel::<u32>(2);
    let (_flag, noop) = Flag::new();
    let permit = tx.try_reserve().unwrap();
    let owned = {
        let mut reserve = pin!(tx.clone().reserve_owned());
        match poll_once(reserve.as_mut(), &noop) {
            Poll::Ready(Ok(permit)) => permit,
            _ => panic!("one slot is still free"),
        }
    };
    assert_eq!(tx.capacity(), 0);
    let mut queued = Box::pin(tx.send(1));
    assert!(poll_once(queued.as_mut(), &noop).is_pending());
    // Still queued (not handed anything): it just unlinks.
    drop(queued);
    let (flag, waker) = Flag::new();
    let mut waiting = pin!(tx.send(2));
    assert!(poll_once(waiting.as_mut(), &waker).is_pending());
    drop(permit);
    assert!(
        flag.take(),
        "a dropped permit hands its slot to the waiting sender"
    );
    assert_eq!(poll_once(waiting.as_mut(), &waker), Poll::Ready(Ok(())));
    let tx2 = owned.release();
    assert_eq!(
        tx2.capacity(),
        1,
        "the released owned permit's slot is free again"
    );
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(tx.capacity(), 2);
}

#[test]
fn mpsc_aborted_senders_under_contention_lose_no_slot() {
    run(async {
        let (tx, mut rx) = mpsc::channel::<u64>(2);
        let mut doomed = Vec::new();
        let mut kept = Vec::new();
        for i in 0..200u64 {
            let tx = tx.clone();
            let handle = corio::spawn(async move { tx.send(i).await });
            if i % 2 == 0 {
                doomed.push(handle);
            } else {
                kept.push(handle);
            }
        }
        drop(tx);
        for handle in &doomed {
            handle.abort();
        }
        let mut received = Vec::new();
        while let Some(i) = rx.recv().await {
            received.push(i);
        }
        for handle in kept {
            handle.await.unwrap().unwrap();
        }
        // Every kept sender got through, whatever the aborted ones were holding (a lost slot
        // would leave some of them waiting forever).
        let mut odd: Vec<u64> = received.iter().copied().filter(|i| i % 2 == 1).collect();
        odd.sort_unstable();
        assert_eq!(odd, (0..100).map(|i| 2 * i + 1).collect::<Vec<_>>());
        let mut all = received.clone();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), received.len(), "no message delivered twice");
    });
}

// ---- mpsc: handles -----------------------------------------------------------------------

#[test]
fn mpsc_weak_senders_do_not_keep_the_channel_open() {
    run(async {
        let (tx, mut rx) = mpsc::channel::<u8>(4);
        let weak = tx.downgrade();
        weak.upgrade().unwrap().send(1).await.unwrap();
        drop(tx);
        assert!(weak.upgrade().is_none());
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn mpsc_recv_many_takes_a_batch_and_frees_the_slots() {
    run(async {
        let (tx, mut rx) = mpsc::channel::<u32>(4);
        let producer = corio::spawn(async move {
            for i in 0..100 {
                tx.send(i).await.unwrap();
            }
        });
        let mut all = Vec::new();
        let mut batch = Vec::new();
        loop {
            batch.clear();
            let n = rx.recv_many(&mut batch, 3).await;
            if n == 0 {
                break;
            }
            assert!(n <= 3 && n == batch.len());
            all.extend_from_slice(&batch);
        }
        producer.await.unwrap();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn mpsc_receiver_is_a_stream() {
    let collected = run(async {
        let (tx, rx) = mpsc::channel::<u32>(8);
        corio::spawn(async move {
            for i in 0..20 {
                tx.send(i).await.unwrap();
            }
        });
        rx.map(|i| i * 10).collect::<Vec<_>>().await
    });
    assert_eq!(collected, (0..20).map(|i| i * 10).collect::<Vec<_>>());
}

#[test]
fn channel_handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<oneshot::Sender<String>>();
    assert_send_sync::<oneshot::Receiver<String>>();
    assert_send_sync::<mpsc::Sender<String>>();
    assert_send_sync::<mpsc::Receiver<String>>();
    assert_send_sync::<mpsc::UnboundedSender<String>>();
    assert_send_sync::<mpsc::UnboundedReceiver<String>>();
    assert_send_sync::<mpsc::Permit<'static, String>>();
    assert_send_sync::<mpsc::OwnedPermit<String>>();
    assert_send_sync::<broadcast::Sender<String>>();
    assert_send_sync::<broadcast::Receiver<String>>();
    assert_send_sync::<watch::Sender<String>>();
    assert_send_sync::<watch::Receiver<String>>();
    fn assert_send<T: Send>(_: &T) {}
    let (tx, mut rx) = mpsc::channel::<String>(1);
    assert_send(&tx.send(String::new()));
    assert_send(&rx.recv());
    let (btx, mut brx) = broadcast::channel::<String>(1);
    assert_send(&brx.recv());
    drop(btx);
    let (_wtx, mut wrx) = watch::channel(String::new());
    assert_send(&wrx.changed());
    assert_send(&wrx.wait_for(|_| true));
}

// ---- broadcast ---------------------------------------------------------------------------

#[test]
fn broadcast_every_receiver_sees_every_message_in_order() {
    let seen = run(async {
        let (tx, rx) = broadcast::channel::<u32>(1024);
        let mut receivers = vec![rx];
        for _ in 0..3 {
            receivers.push(tx.subscribe());
        }
        let handles: Vec<_> = receivers
            .into_iter()
            .map(|mut rx| {
                corio::spawn(async move {
                    let mut got = Vec::new();
                    loop {
                        match rx.recv().await {
                            Ok(i) => got.push(i),
                            Err(broadcast::error::RecvError::Closed) => return got,
                            Err(error) => panic!("unexpected {error}"),
                        }
                    }
                })
            })
            .collect();
        corio::spawn(async move {
            for i in 0..1000 {
                assert_eq!(tx.send(i).unwrap(), 4);
                if i % 100 == 0 {
                    corio::task::yield_now().await;
                }
            }
        });
        let mut seen = Vec::new();
        for handle in handles {
            seen.push(handle.await.unwrap());
        }
        seen
    });
    for got in seen {
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    }
}

#[test]
fn broadcast_slow_receiver_sees_lagged_with_the_exact_count_then_the_oldest_retained() {
    let (tx, mut slow) = broadcast::channel::<u32>(4);
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    assert_eq!(slow.len(), 10);
    assert_eq!(slow.try_recv(), Err(broadcast::error::TryRecvError::Lagged(6)));
    assert_eq!(
        (0..4).map(|_| slow.try_recv().unwrap()).collect::<Vec<_>>(),
        [6, 7, 8, 9]
    );
    assert_eq!(slow.try_recv(), Err(broadcast::error::TryRecvError::Empty));

    // Lagging again, through the async API, after reading part of the ring.
    run(async move {
        tx.send(10).unwrap();
        assert_eq!(slow.recv().await, Ok(10));
        for i in 11..20 {
            tx.send(i).unwrap();
        }
        // 11..=19 were sent, 16..=19 are retained: 11..=15 (five) were missed.
        assert_eq!(slow.recv().await, Err(broadcast::error::RecvError::Lagged(5)));
        assert_eq!(slow.recv().await, Ok(16));
        drop(tx);
        assert_eq!(slow.recv().await, Ok(17));
        assert_eq!(slow.recv().await, Ok(18));
        assert_eq!(slow.recv().await, Ok(19));
        assert_eq!(slow.recv().await, Err(broadcast::error::RecvError::Closed));
    });
}

#[test]
fn broadcast_lagged_counts_add_up_under_a_concurrent_sender() {
    run(async {
        let (tx, mut rx) = broadcast::channel::<u64>(8);
        let sender = corio::spawn(async move {
            for i in 0..10_000 {
                tx.send(i).unwrap();
            }
        });
        let mut accounted = 0u64;
        let mut last = None;
        loop {
            match rx.recv().await {
                Ok(i) => {
                    assert_eq!(
                        i, accounted,
                        "after a lag, reception resumes where the count says"
                    );
                    if let Some(last) = last {
                        assert!(i > last);
                    }
                    last = Some(i);
                    accounted += 1;
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => accounted += missed,
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
        sender.await.unwrap();
        assert_eq!(accounted, 10_000, "received + missed == sent");
    });
}

#[test]
fn broadcast_senders_dropped_first_deliver_what_is_retained_then_closed() {
    run(async {
        let (tx, mut rx) = broadcast::channel::<u8>(8);
        let tx2 = tx.clone();
        tx.send(1).unwrap();
        tx2.send(2).unwrap();
        corio::spawn(async move {
            drop(tx);
            drop(tx2);
        })
        .await
        .unwrap();
        assert!(rx.is_closed());
        assert_eq!(rx.recv().await, Ok(1));
        assert_eq!(rx.recv().await, Ok(2));
        assert_eq!(rx.recv().await, Err(broadcast::error::RecvError::Closed));
        assert_eq!(rx.try_recv(), Err(broadcast::error::TryRecvError::Closed));
    });
}

#[test]
fn broadcast_last_sender_dropped_wakes_parked_receivers() {
    run(async {
        let (tx, rx) = broadcast::channel::<u8>(2);
        let (parked_tx, mut parked_rx) = mpsc::unbounded_channel();
        let mut waiting = Vec::new();
        for mut rx in [rx.resubscribe(), rx.resubscribe(), rx] {
            let parked_tx = parked_tx.clone();
            waiting.push(corio::spawn(async move {
                let mut recv = pin!(rx.recv());
                let first = std::future::poll_fn(|cx| Poll::Ready(recv.as_mut().poll(cx))).await;
                assert!(first.is_pending());
                parked_tx.send(()).unwrap();
                recv.await
            }));
        }
        for _ in 0..3 {
            parked_rx.recv().await.unwrap();
        }
        drop(tx);
        for handle in waiting {
            assert_eq!(handle.await.unwrap(), Err(broadcast::error::RecvError::Closed));
        }
    });
}

#[test]
fn broadcast_receivers_dropped_first_make_send_fail_and_free_messages() {
    let counter = DropCounter::default();
    let (tx, rx) = broadcast::channel(4);
    let rx2 = tx.subscribe();
    assert_eq!(tx.receiver_count(), 2);
    let guard = Arc::new(counter.guard());
    assert_eq!(tx.send(guard.clone()).unwrap(), 2);
    drop(guard);
    drop(rx);
    assert_eq!(counter.dropped(), 0, "rx2 has not read it yet");
    drop(rx2);
    assert_eq!(counter.dropped(), 1, "the last receiver's drop frees the message");
    assert_eq!(tx.receiver_count(), 0);
    let error = tx.send(Arc::new(counter.guard())).unwrap_err();
    drop(error);
    assert_eq!(counter.dropped(), 2);
    // A new subscriber revives sending.
    let mut rx3 = tx.subscribe();
    assert_eq!(tx.send(Arc::new(counter.guard())).unwrap(), 1);
    assert!(rx3.try_recv().is_ok());
    assert_eq!(counter.dropped(), 3, "read by every receiver: freed at once");
}

#[test]
fn broadcast_cancelled_recv_keeps_the_message_for_the_next_one() {
    let (tx, mut rx) = broadcast::channel::<u32>(4);
    let (flag, waker) = Flag::new();
    {
        let mut recv = pin!(rx.recv());
        assert!(poll_once(recv.as_mut(), &waker).is_pending());
        tx.send(1).unwrap();
        assert!(flag.take());
        // Dropped without being polled again.
    }
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn broadcast_capacity_zero_panics_with_a_clear_message() {
    let payload = std::panic::catch_unwind(|| broadcast::channel::<()>(0)).unwrap_err();
    let message = panic_message(&*payload);
    assert!(
        message.contains("`broadcast::channel`") && message.contains("capacity of 0"),
        "{message}"
    );
}

// ---- watch -------------------------------------------------------------------------------

#[test]
fn watch_receivers_see_the_latest_value_and_changed_wakes_after_each_send() {
    let finals = run(async {
        let (tx, rx) = watch::channel(0u32);
        let mut handles = Vec::new();
        for mut rx in [rx.clone(), rx.clone(), rx] {
            handles.push(corio::spawn(async move {
                let mut last = 0;
                let mut wakeups = 0;
                while rx.changed().await.is_ok() {
                    let value = *rx.borrow_and_update();
                    assert!(value > last, "versions only move forward: {last} then {value}");
                    last = value;
                    wakeups += 1;
                }
                assert!(wakeups >= 1);
                last
            }));
        }
        corio::spawn(async move {
            for i in 1..=1000 {
                tx.send(i).unwrap();
                if i % 50 == 0 {
                    corio::task::yield_now().await;
                }
            }
        });
        let mut finals = Vec::new();
        for handle in handles {
            finals.push(handle.await.unwrap());
        }
        finals
    });
    assert_eq!(
        finals,
        [1000, 1000, 1000],
        "every receiver saw the last value before the close"
    );
}

#[test]
fn watch_changed_is_pending_until_a_send_after_the_last_seen_version() {
    let (tx, mut rx) = watch::channel("a");
    let (flag, waker) = Flag::new();
    {
        let mut changed = pin!(rx.changed());
        assert!(poll_once(changed.as_mut(), &waker).is_pending());
        tx.send("b").unwrap();
        assert!(flag.take(), "the send woke the waiting receiver");
        assert_eq!(poll_once(changed.as_mut(), &waker), Poll::Ready(Ok(())));
    }
    assert_eq!(*rx.borrow(), "b");
    {
        let mut changed = pin!(rx.changed());
        assert!(
            poll_once(changed.as_mut(), &waker).is_pending(),
            "b was marked seen"
        );
        tx.send_modify(|value| *value = "c");
        assert!(flag.take());
        assert_eq!(poll_once(changed.as_mut(), &waker), Poll::Ready(Ok(())));
    }
    // Two sends with no wait in between: one change, showing the latest value.
    tx.send("d").unwrap();
    tx.send("e").unwrap();
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow_and_update(), "e");
    assert!(!rx.has_changed().unwrap());
    assert!(!tx.send_if_modified(|_| false));
    assert!(!rx.has_changed().unwrap(), "an unmodified send does not count");
    rx.mark_changed();
    assert!(rx.has_changed().unwrap());
    rx.mark_unchanged();
    assert!(!rx.has_changed().unwrap());
}

#[test]
fn watch_sender_dropped_first_lets_receivers_see_the_last_value_then_fails() {
    run(async {
        let (tx, mut rx) = watch::channel(1);
        let tx2 = tx.clone();
        tx.send(2).unwrap();
        corio::spawn(async move {
            drop(tx);
            tx2.send(3).unwrap();
            drop(tx2);
        })
        .await
        .unwrap();
        assert_eq!(rx.changed().await, Ok(()), "the last value is still news");
        assert_eq!(*rx.borrow_and_update(), 3);
        assert!(rx.changed().await.is_err());
        assert!(rx.has_changed().is_err());
        assert_eq!(*rx.borrow(), 3, "the value stays readable");
    });
}

#[test]
fn watch_last_sender_dropped_wakes_parked_receivers() {
    run(async {
        let (tx, rx) = watch::channel(());
        let (parked_tx, mut parked_rx) = mpsc::unbounded_channel();
        let mut waiting = Vec::new();
        for mut rx in [rx.clone(), rx] {
            let parked_tx = parked_tx.clone();
            waiting.push(corio::spawn(async move {
                let mut changed = pin!(rx.changed());
                let first = std::future::poll_fn(|cx| Poll::Ready(changed.as_mut().poll(cx))).await;
                assert!(first.is_pending());
                parked_tx.send(()).unwrap();
                changed.await
            }));
        }
        for _ in 0..2 {
            parked_rx.recv().await.unwrap();
        }
        drop(tx);
        for handle in waiting {
            assert!(handle.await.unwrap().is_err());
        }
    });
}

#[test]
fn watch_receivers_dropped_first_fail_send_and_wake_closed() {
    run(async {
        let (tx, rx) = watch::channel(0);
        let rx2 = rx.clone();
        let tx = Arc::new(tx);
        let watcher = {
            let tx = tx.clone();
            corio::spawn(async move { tx.closed().await })
        };
        corio::spawn(async move {
            drop(rx);
            drop(rx2);
        })
        .await
        .unwrap();
        watcher.await.unwrap();
        assert!(tx.is_closed());
        assert_eq!(tx.send(5).unwrap_err().0, 5);
        assert_eq!(*tx.borrow(), 0, "a failed send stores nothing");
        assert_eq!(tx.send_replace(6), 0, "send_replace stores regardless");
        let rx = tx.subscribe();
        assert_eq!(*rx.borrow(), 6);
    });
}

#[test]
fn watch_wait_for_returns_the_first_matching_value() {
    run(async {
        let (tx, mut rx) = watch::channel(0u32);
        corio::spawn(async move {
            for i in 1..=100 {
                tx.send(i).unwrap();
            }
        });
        let value = *rx.wait_for(|v| *v >= 50).await.unwrap();
        assert!(value >= 50);
        let last = *rx.wait_for(|v| *v == 100).await.unwrap();
        assert_eq!(last, 100);
        assert!(rx.wait_for(|v| *v > 100).await.is_err(), "the sender is gone");
    });
}

#[test]
fn watch_borrows_from_two_receivers_at_once_do_not_deadlock() {
    let (tx, rx1) = watch::channel(7);
    let rx2 = tx.subscribe();
    let a = rx1.borrow();
    let b = rx2.borrow();
    assert_eq!(*a + *b, 14);
}

#[test]
fn mpsc_sender_served_a_slot_before_the_close_sends_through_it() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let mut send = Box::pin(tx.send(1));
    let waker = Waker::noop();
    assert!(
        poll_once(send.as_mut(), waker).is_pending(),
        "full: the sender queues"
    );
    // Frees the slot, which goes to the queued sender.
    assert_eq!(rx.try_recv(), Ok(0));
    rx.close();
    assert_eq!(
        rx.try_recv(),
        Err(mpsc::error::TryRecvError::Empty),
        "the end waits for the sender holding a slot, as for a permit"
    );
    assert!(matches!(poll_once(send.as_mut(), waker), Poll::Ready(Ok(()))));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected));
}

#[test]
fn mpsc_sender_queued_at_the_close_fails_even_when_polled_with_a_new_waker() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let mut send = Box::pin(tx.send(1));
    assert!(
        poll_once(send.as_mut(), Waker::noop()).is_pending(),
        "full: the sender queues"
    );
    rx.close();
    // A different waker than the one queued: the close woke the old one, and this poll must
    // still see the close instead of waiting forever.
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(flag.clone());
    match poll_once(send.as_mut(), &waker) {
        Poll::Ready(Err(mpsc::error::SendError(value))) => assert_eq!(value, 1),
        other => panic!("expected the message back, got {other:?}"),
    }
    assert_eq!(
        rx.try_recv(),
        Ok(0),
        "the message queued before the close is still received"
    );
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected));
}
