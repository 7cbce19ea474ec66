//! Queues: MPMC hand-off across workers, task_done/join, shutdown, ordering of the three kinds,
//! errors, cancel safety, and a property test of each kind against a model.

mod support;

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio::queue::{LifoQueue, PriorityQueue, PutError, Queue, QueueShutDown, TryGetError, TryPutError};
use futures::channel::mpsc;
use futures::StreamExt;
use support::{panic_message, runtime, within, DropCounter, HANG_GUARD};

const WORKERS: usize = 4;

/// A waker that records whether it was woken since the last `take`.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Flag {
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

/// A future polled by hand with its own flag waker.
struct Manual<'a, T> {
    future: Pin<Box<dyn Future<Output = T> + 'a>>,
    flag: Arc<Flag>,
    waker: Waker,
}

impl<'a, T> Manual<'a, T> {
    fn new(future: impl Future<Output = T> + 'a) -> Self {
        let flag = Arc::new(Flag::default());
        let waker = Waker::from(flag.clone());
        Manual {
            future: Box::pin(future),
            flag,
            waker,
        }
    }

    fn poll(&mut self) -> Poll<T> {
        self.future.as_mut().poll(&mut Context::from_waker(&self.waker))
    }

    /// Whether the future was woken since the last call.
    fn woken(&self) -> bool {
        self.flag.take()
    }
}

/// Runs `future` to completion, sending on `registered` the first time it returns `Pending`
/// (it is then queued as a waiter), so the test can act on a waiter known to be blocked.
async fn announce_pending<F: Future>(future: F, registered: mpsc::UnboundedSender<()>) -> F::Output {
    let mut future = pin!(future);
    let mut announced = false;
    std::future::poll_fn(|cx| {
        let poll = future.as_mut().poll(cx);
        if poll.is_pending() && !announced {
            announced = true;
            registered
                .unbounded_send(())
                .expect("the test waits for the announcement");
        }
        poll
    })
    .await
}

/// Polls `future` at most `polls` times, rescheduling itself in between, then gives up and
/// drops it — on the last round *without* polling it, so a waiter notified meanwhile is dropped
/// with its notification unused, the case cancel safety is about.
async fn impatient<F: Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut left = polls;
    std::future::poll_fn(|cx| {
        if left == 0 {
            return Poll::Ready(None);
        }
        left -= 1;
        match future.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready(Some(output)),
            Poll::Pending => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    })
    .await
}

/// Runs an async test body on a multi-worker runtime, failing it if it hangs.
fn run<F: Future<Output = ()> + Send + 'static>(body: impl FnOnce() -> F + Send + 'static) {
    within(HANG_GUARD, move || runtime(WORKERS).block_on(body()));
}

/// 4 producers x 5,000 items through a queue bounded at 8, 4 consumers, all on different
/// workers: every item arrives exactly once; a FIFO queue keeps each producer's order.
macro_rules! mpmc_test {
    ($test:ident, $queue:ident, fifo: $fifo:expr) => {
        #[test]
        fn $test() {
            const PRODUCERS: u64 = 4;
            const PER_PRODUCER: u64 = 5_000;
            run(|| async {
                let queue = Arc::new($queue::new(8));
                let consumers: Vec<_> = (0..4)
                    .map(|_| {
                        let queue = queue.clone();
                        corio::spawn(async move {
                            let mut got = Vec::new();
                            while let Ok(item) = queue.get().await {
                                got.push(item);
                                queue.task_done();
                            }
                            got
                        })
                    })
                    .collect();
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|producer| {
                        let queue = queue.clone();
                        corio::spawn(async move {
                            for seq in 0..PER_PRODUCER {
                                queue.put((producer, seq)).await.expect("not shut down yet");
                                assert!(queue.len() <= 8, "a bounded queue never exceeds maxsize");
                            }
                        })
                    })
                    .collect();
                for producer in producers {
                    producer.await.unwrap();
                }
                queue.join().await;
                assert!(queue.is_empty(), "join returned with items still queued");
                queue.shutdown();
                let mut all = Vec::new();
                for consumer in consumers {
                    let got = consumer.await.unwrap();
                    if $fifo {
                        for producer in 0..PRODUCERS {
                            let seqs: Vec<_> = got
                                .iter()
                                .filter(|(p, _)| *p == producer)
                                .map(|(_, s)| *s)
                                .collect();
                            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "FIFO order broken");
                        }
                    }
                    all.extend(got);
                }
                assert_eq!(
                    all.len() as u64,
                    PRODUCERS * PER_PRODUCER,
                    "an item was lost or duplicated"
                );
                let distinct: BTreeSet<_> = all.into_iter().collect();
                assert_eq!(
                    distinct.len() as u64,
                    PRODUCERS * PER_PRODUCER,
                    "an item came twice"
                );
            });
        }
    };
}

mpmc_test!(fifo_queue_mpmc_delivers_every_item_exactly_once, Queue, fifo: true);
mpmc_test!(priority_queue_mpmc_delivers_every_item_exactly_once, PriorityQueue, fifo: false);
mpmc_test!(lifo_queue_mpmc_delivers_every_item_exactly_once, LifoQueue, fifo: false);

/// Getters and putters on all workers that give up after a few polls, all the time (many of
/// them right after being notified): every item still arrives exactly once.
#[test]
fn getters_and_putters_cancelled_all_the_time_lose_and_duplicate_nothing() {
    const PER_PRODUCER: u64 = 2_000;
    const ATTEMPTS: usize = 50_000_000;
    run(|| async {
        let queue = Arc::new(Queue::new(2));
        let consumers: Vec<_> = (0..4)
            .map(|consumer| {
                let queue = queue.clone();
                corio::spawn(async move {
                    let mut got = Vec::new();
                    for _ in 0..ATTEMPTS {
                        match impatient(queue.get(), 1 + consumer % 3).await {
                            Some(Ok(item)) => got.push(item),
                            Some(Err(QueueShutDown)) => return got,
                            None => {}
                        }
                    }
                    panic!("the consumer never saw the shutdown");
                })
            })
            .collect();
        let producers: Vec<_> = (0..4u64)
            .map(|producer| {
                let queue = queue.clone();
                corio::spawn(async move {
                    for seq in 0..PER_PRODUCER {
                        let item = producer * PER_PRODUCER + seq;
                        let mut attempts = 0;
                        // A put given up did not put: try again with the same item.
                        while impatient(queue.put(item), 1 + seq as usize % 3).await.is_none() {
                            attempts += 1;
                            assert!(attempts < ATTEMPTS, "the put never completed");
                        }
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.await.unwrap();
        }
        queue.shutdown();
        let mut all = Vec::new();
        for consumer in consumers {
            all.extend(consumer.await.unwrap());
        }
        all.sort_unstable();
        assert_eq!(
            all,
            (0..4 * PER_PRODUCER).collect::<Vec<_>>(),
            "an item was lost or duplicated"
        );
    });
}

/// `join` returns only after `task_done` was called for every item: each consumer counts an
/// item as processed *before* its `task_done`, so a `join` that returned early would see a
/// count short of the total.
#[test]
fn join_returns_only_after_task_done_for_every_item() {
    const ITEMS: usize = 2_000;
    run(|| async {
        let queue = Arc::new(Queue::new(0));
        for item in 0..ITEMS {
            queue.put(item).await.unwrap();
        }
        let processed = Arc::new(AtomicUsize::new(0));
        // A joiner waiting from the start, on another worker.
        let (registered_tx, mut registered_rx) = mpsc::unbounded();
        let joiner = {
            let (queue, processed) = (queue.clone(), processed.clone());
            corio::spawn(async move {
                announce_pending(queue.join(), registered_tx).await;
                processed.load(Ordering::SeqCst)
            })
        };
        registered_rx
            .next()
            .await
            .expect("join waits while items are unfinished");
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let (queue, processed) = (queue.clone(), processed.clone());
                corio::spawn(async move {
                    while let Ok(_item) = queue.get().await {
                        corio::task::yield_now().await; // "process" it
                        processed.fetch_add(1, Ordering::SeqCst);
                        queue.task_done();
                    }
                })
            })
            .collect();
        let seen_by_joiner = joiner.await.unwrap();
        assert_eq!(seen_by_joiner, ITEMS, "join returned before every task_done");
        // And a second join, with nothing unfinished, returns at once.
        queue.join().await;
        queue.shutdown();
        for consumer in consumers {
            consumer.await.unwrap();
        }
    });
}

#[test]
fn join_waits_for_task_done_not_for_get() {
    let queue = Queue::new(0);
    let mut join = Manual::new(queue.join());
    assert!(join.poll().is_ready(), "nothing was put: join returns at once");
    queue.try_put(1).unwrap();
    queue.try_put(2).unwrap();
    let mut join = Manual::new(queue.join());
    assert!(join.poll().is_pending());
    assert_eq!(queue.try_get(), Ok(1));
    assert_eq!(queue.try_get(), Ok(2));
    assert!(
        !join.woken() && join.poll().is_pending(),
        "taken but not done: still unfinished"
    );
    queue.task_done();
    assert!(
        !join.woken() && join.poll().is_pending(),
        "one item is still unfinished"
    );
    queue.task_done();
    assert!(join.woken(), "the last task_done wakes the joiner");
    // Like asyncio's Event, a woken joiner returns even if an item arrived meanwhile.
    queue.try_put(3).unwrap();
    assert!(join.poll().is_ready());
}

#[test]
fn after_shutdown_put_fails_with_its_item_and_get_drains_then_fails() {
    run(|| async {
        let queue = Arc::new(Queue::new(2));
        queue.put("a").await.unwrap();
        queue.put("b").await.unwrap();
        // A putter blocked on the full queue, on another worker.
        let (registered_tx, mut registered_rx) = mpsc::unbounded();
        let blocked_putter = {
            let queue = queue.clone();
            corio::spawn(async move { announce_pending(queue.put("c"), registered_tx).await })
        };
        registered_rx.next().await.unwrap();
        queue.shutdown();
        assert_eq!(
            blocked_putter.await.unwrap(),
            Err(PutError("c")),
            "the blocked put fails with its item"
        );
        assert_eq!(queue.put("d").await, Err(PutError("d")));
        assert_eq!(queue.try_put("e"), Err(TryPutError::ShutDown("e")));
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.get().await, Ok("a"), "get drains what is left");
        assert_eq!(queue.try_get(), Ok("b"));
        assert_eq!(queue.get().await, Err(QueueShutDown));
        assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
        // The drained items are still unfinished until task_done.
        let mut join = Manual::new(queue.join());
        assert!(join.poll().is_pending());
        queue.task_done();
        queue.task_done();
        assert!(join.poll().is_ready());
    });
}

#[test]
fn shutdown_wakes_every_blocked_getter_with_the_error() {
    run(|| async {
        let queue = Arc::new(Queue::<u32>::new(0));
        let (registered_tx, mut registered_rx) = mpsc::unbounded();
        let getters: Vec<_> = (0..8)
            .map(|_| {
                let (queue, registered_tx) = (queue.clone(), registered_tx.clone());
                corio::spawn(async move { announce_pending(queue.get(), registered_tx).await })
            })
            .collect();
        for _ in 0..8 {
            registered_rx.next().await.unwrap();
        }
        queue.shutdown();
        for getter in getters {
            assert_eq!(getter.await.unwrap(), Err(QueueShutDown));
        }
    });
}

#[test]
fn shutdown_immediate_discards_items_releases_join_and_wakes_getters_and_putters() {
    run(|| async {
        let drops = DropCounter::default();
        let full = Arc::new(Queue::new(2));
        let empty = Arc::new(Queue::<support::DropGuard>::new(0));
        full.put(drops.guard()).await.unwrap();
        full.put(drops.guard()).await.unwrap();
        let (registered_tx, mut registered_rx) = mpsc::unbounded();
        let joiner = {
            let (full, registered_tx) = (full.clone(), registered_tx.clone());
            corio::spawn(async move { announce_pending(full.join(), registered_tx).await })
        };
        let putters: Vec<_> = (0..3)
            .map(|_| {
                let (full, registered_tx, guard) = (full.clone(), registered_tx.clone(), drops.guard());
                corio::spawn(async move { announce_pending(full.put(guard), registered_tx).await.is_err() })
            })
            .collect();
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let (empty, registered_tx) = (empty.clone(), registered_tx.clone());
                corio::spawn(async move { announce_pending(empty.get(), registered_tx).await.is_err() })
            })
            .collect();
        for _ in 0..7 {
            registered_rx.next().await.unwrap();
        }
        assert_eq!(drops.dropped(), 0);
        full.shutdown_immediate();
        empty.shutdown_immediate();
        assert!(full.is_empty());
        assert_eq!(drops.dropped(), 2, "the queued items are discarded (dropped)");
        joiner.await.unwrap(); // the discarded items count as done
        for putter in putters {
            assert!(putter.await.unwrap(), "a blocked put fails");
        }
        for getter in getters {
            assert!(getter.await.unwrap(), "a blocked get fails");
        }
        assert_eq!(
            drops.dropped(),
            5,
            "the refused items were handed back and dropped"
        );
        assert_eq!(full.get().await.err(), Some(QueueShutDown));
        full.join().await;
    });
}

#[test]
fn priority_queue_returns_the_smallest_item_first() {
    run(|| async {
        let queue = PriorityQueue::new(0);
        // A fixed permutation of 0..100.
        for n in (0..100u32).map(|i| (i * 37) % 100) {
            queue.put(n).await.unwrap();
        }
        for expected in 0..100 {
            assert_eq!(queue.get().await, Ok(expected));
        }
        // (priority, data) pairs as in asyncio.
        let queue = PriorityQueue::new(0);
        for job in [(5, "low"), (1, "high"), (3, "mid")] {
            queue.put(job).await.unwrap();
        }
        assert_eq!(queue.get().await.unwrap().1, "high");
        assert_eq!(queue.get().await.unwrap().1, "mid");
        assert_eq!(queue.get().await.unwrap().1, "low");
    });
}

#[test]
fn priority_queue_getter_woken_by_a_put_takes_the_smallest_item_present() {
    let queue = PriorityQueue::new(0);
    let mut getter = Manual::new(queue.get());
    assert!(getter.poll().is_pending());
    queue.try_put(9).unwrap();
    queue.try_put(2).unwrap();
    queue.try_put(5).unwrap();
    assert!(getter.woken());
    assert_eq!(getter.poll(), Poll::Ready(Ok(2)));
}

#[test]
fn lifo_queue_returns_the_newest_item_first() {
    run(|| async {
        let queue = LifoQueue::new(0);
        for n in 0..100 {
            queue.put(n).await.unwrap();
        }
        for expected in (0..100).rev() {
            assert_eq!(queue.get().await, Ok(expected));
        }
    });
}

#[test]
fn fifo_queue_returns_the_oldest_item_first() {
    let queue = Queue::new(0);
    for n in [3, 1, 2] {
        queue.try_put(n).unwrap();
    }
    assert_eq!(
        [queue.try_get(), queue.try_get(), queue.try_get()],
        [Ok(3), Ok(1), Ok(2)]
    );
}

#[test]
fn try_put_and_try_get_tell_full_empty_and_shut_down_apart() {
    let queue = Queue::new(1);
    assert_eq!(queue.capacity(), Some(1));
    assert_eq!(queue.try_get(), Err(TryGetError::Empty));
    assert_eq!(queue.try_put(1), Ok(()));
    assert!(queue.is_full());
    let full = queue.try_put(2).unwrap_err();
    assert!(full.is_full() && !full.is_shut_down());
    assert_eq!(full, TryPutError::Full(2));
    queue.shutdown();
    let shut = queue.try_put(3).unwrap_err();
    assert!(shut.is_shut_down() && !shut.is_full());
    assert_eq!(shut.into_inner(), 3);
    assert_eq!(
        queue.try_get(),
        Ok(1),
        "shut down but not empty: the item is still handed out"
    );
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
    assert_ne!(TryGetError::Empty, TryGetError::ShutDown);

    // Each error says what happened, and they are real errors.
    assert_eq!(TryPutError::Full(()).to_string(), "the queue is full");
    assert_eq!(TryPutError::ShutDown(()).to_string(), "the queue is shut down");
    assert_eq!(PutError(()).to_string(), "the queue is shut down");
    assert_eq!(TryGetError::Empty.to_string(), "the queue is empty");
    assert_eq!(
        TryGetError::ShutDown.to_string(),
        "the queue is shut down and empty"
    );
    assert_eq!(QueueShutDown.to_string(), "the queue is shut down and empty");
    let _: &dyn std::error::Error = &TryPutError::Full(String::new());
    let _: &dyn std::error::Error = &PutError(String::new());
    let _: &dyn std::error::Error = &QueueShutDown;
    let _: &dyn std::error::Error = &TryGetError::Empty;

    // An unbounded queue is never full.
    let unbounded = Queue::new(0);
    assert_eq!(unbounded.capacity(), None);
    for n in 0..10_000 {
        unbounded.try_put(n).unwrap();
    }
    assert!(!unbounded.is_full());
    assert_eq!(unbounded.len(), 10_000);
}

#[test]
fn task_done_called_too_many_times_panics_naming_the_call() {
    let queue = Queue::new(0);
    queue.try_put(1).unwrap();
    queue.try_get().unwrap();
    queue.task_done();
    let payload = std::panic::catch_unwind(|| queue.task_done()).unwrap_err();
    let message = panic_message(&*payload);
    assert!(
        message.contains("`Queue::task_done` called more times than there were items"),
        "{message}"
    );
    // The queue is still usable after the panic.
    queue.try_put(2).unwrap();
    assert_eq!(queue.try_get(), Ok(2));

    let priority = PriorityQueue::<u8>::new(0);
    let payload = std::panic::catch_unwind(|| priority.task_done()).unwrap_err();
    assert!(panic_message(&*payload).contains("`PriorityQueue::task_done` called more times"));
    let lifo = LifoQueue::<u8>::new(0);
    let payload = std::panic::catch_unwind(|| lifo.task_done()).unwrap_err();
    assert!(panic_message(&*payload).contains("`LifoQueue::task_done` called more times"));
}

/// The getter notified of an item is dropped before taking it: the next getter is woken and
/// gets the item.
#[test]
fn a_getter_dropped_after_its_notification_passes_the_item_to_the_next_getter() {
    let queue = Queue::new(0);
    let mut first = Manual::new(queue.get());
    let mut second = Manual::new(queue.get());
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    queue.try_put("item").unwrap();
    assert!(first.woken(), "the first getter in line is notified");
    assert!(!second.woken(), "one item, one notification");
    drop(first); // aborted right after the notification
    assert!(second.woken(), "the notification passed to the next getter");
    assert_eq!(second.poll(), Poll::Ready(Ok("item")));
}

/// A notified getter that finds the item already taken (by `try_get`) waits again and is woken
/// by the next put.
#[test]
fn a_notified_getter_that_lost_the_race_waits_again() {
    let queue = Queue::new(0);
    let mut getter = Manual::new(queue.get());
    assert!(getter.poll().is_pending());
    queue.try_put(1).unwrap();
    assert_eq!(queue.try_get(), Ok(1)); // barges in
    assert!(getter.woken());
    assert!(getter.poll().is_pending());
    queue.try_put(2).unwrap();
    assert!(getter.woken(), "queued again, so the next put wakes it");
    assert_eq!(getter.poll(), Poll::Ready(Ok(2)));
}

/// The putter notified of a free slot is dropped before using it: the next putter gets it.
#[test]
fn a_putter_dropped_after_its_notification_passes_the_slot_to_the_next_putter() {
    let queue = Queue::new(1);
    queue.try_put(0).unwrap();
    let mut first = Manual::new(queue.put(1));
    let mut second = Manual::new(queue.put(2));
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    assert_eq!(queue.try_get(), Ok(0));
    assert!(first.woken() && !second.woken());
    drop(first);
    assert!(second.woken(), "the free slot passed to the next putter");
    assert_eq!(second.poll(), Poll::Ready(Ok(())));
    assert_eq!(queue.try_get(), Ok(2), "the dropped putter's item was not put");
    assert_eq!(queue.try_get(), Err(TryGetError::Empty));
}

/// Getter tasks aborted on other workers right after the puts that notify them strand no item:
/// a getter queued behind them receives whatever they did not take, before any shutdown.
#[test]
fn aborted_getter_tasks_strand_no_item() {
    const DOOMED: usize = 8;
    const ITEMS: usize = 4;
    run(|| async {
        let queue = Arc::new(Queue::new(0));
        let (registered_tx, mut registered_rx) = mpsc::unbounded();
        let doomed: Vec<_> = (0..DOOMED)
            .map(|_| {
                let (queue, registered_tx) = (queue.clone(), registered_tx.clone());
                corio::spawn(async move { announce_pending(queue.get(), registered_tx).await })
            })
            .collect();
        for _ in 0..DOOMED {
            registered_rx.next().await.unwrap();
        }
        // The survivor queues behind the doomed getters and reports each item it gets.
        let (got_tx, mut got_rx) = mpsc::unbounded();
        let survivor = {
            let queue = queue.clone();
            corio::spawn(async move {
                let mut item = announce_pending(queue.get(), registered_tx).await;
                while let Ok(got) = item {
                    got_tx.unbounded_send(got).unwrap();
                    item = queue.get().await;
                }
            })
        };
        registered_rx.next().await.unwrap();
        // Each put notifies a doomed getter, which is aborted while it may be waking up.
        for item in 0..ITEMS {
            queue.put(item).await.unwrap();
        }
        for getter in &doomed {
            getter.abort();
        }
        let mut all = Vec::new();
        for getter in doomed {
            if let Ok(Ok(item)) = getter.await {
                all.push(item);
            }
        }
        // The rest must reach the survivor without any shutdown or further put.
        for _ in all.len()..ITEMS {
            all.push(got_rx.next().await.expect("the survivor reports items"));
        }
        queue.shutdown();
        survivor.await.unwrap();
        assert!(got_rx.next().await.is_none(), "an item was delivered twice");
        all.sort_unstable();
        assert_eq!(all, (0..ITEMS).collect::<Vec<_>>());
    });
}

#[test]
fn queues_are_send_and_sync_for_send_items() {
    fn send_sync<X: Send + Sync>(_: &X) {}
    fn send<X: Send>(_: &X) {}
    let fifo = Queue::<Vec<u8>>::new(0);
    let lifo = LifoQueue::<Vec<u8>>::new(0);
    let priority = PriorityQueue::<u8>::new(0);
    send_sync(&fifo);
    send_sync(&lifo);
    send_sync(&priority);
    // `Cell` is Send but not Sync: the queue is still Sync.
    send_sync(&Queue::<std::cell::Cell<u8>>::new(0));
    send(&fifo.get());
    send(&fifo.put(Vec::new()));
    send(&fifo.join());
    send(&priority.get());
    send(&lifo.put(Vec::new()));
    assert!(format!("{fifo:?}").contains("Queue"));
}

/// An item destructor panicking in `shutdown_immediate` does not keep the waiters asleep.
#[test]
fn a_panicking_item_destructor_in_shutdown_immediate_still_wakes_the_waiters() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("boom");
        }
    }
    let queue = Queue::new(1);
    queue.try_put(Bomb).unwrap_or_else(|_| unreachable!());
    let mut putter = Manual::new(queue.put(Bomb));
    assert!(putter.poll().is_pending());
    let mut joiner = Manual::new(queue.join());
    assert!(joiner.poll().is_pending());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| queue.shutdown_immediate()));
    assert!(result.is_err(), "the destructor's panic propagates");
    assert!(
        putter.woken() && joiner.woken(),
        "the waiters were woken before the items dropped"
    );
    assert!(joiner.poll().is_ready());
    match putter.poll() {
        Poll::Ready(Err(PutError(bomb))) => std::mem::forget(bomb),
        _ => panic!("the put fails after the shutdown"),
    }
    assert!(queue.is_empty());
    assert_eq!(queue.try_get().err(), Some(TryGetError::ShutDown));
}

// ---------------------------------------------------------------------------------------------
// Property tests: random single-threaded sequences against a model.

mod model {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Order {
        Fifo,
        Lifo,
        Smallest,
    }

    #[derive(Debug, Clone)]
    pub enum Op {
        TryPut(u8),
        TryGet,
        TaskDone,
        Shutdown,
        ShutdownImmediate,
        /// Start a `get` and poll it once; kept if pending.
        Get,
        /// Start a `put` and poll it once; kept if pending.
        Put(u8),
        /// Start a `join` and poll it once; kept if pending.
        Join,
        /// Poll (resp. drop) the pending getter, putter or joiner at this index (modulo).
        PollGetter(usize),
        DropGetter(usize),
        PollPutter(usize),
        DropPutter(usize),
        PollJoiner(usize),
        DropJoiner(usize),
    }

    pub fn ops() -> impl Strategy<Value = Vec<Op>> {
        let op = prop_oneof![
            6 => any::<u8>().prop_map(Op::TryPut),
            5 => Just(Op::TryGet),
            4 => Just(Op::TaskDone),
            1 => Just(Op::Shutdown),
            1 => Just(Op::ShutdownImmediate),
            4 => Just(Op::Get),
            4 => any::<u8>().prop_map(Op::Put),
            2 => Just(Op::Join),
            4 => any::<usize>().prop_map(Op::PollGetter),
            2 => any::<usize>().prop_map(Op::DropGetter),
            4 => any::<usize>().prop_map(Op::PollPutter),
            2 => any::<usize>().prop_map(Op::DropPutter),
            2 => any::<usize>().prop_map(Op::PollJoiner),
            1 => any::<usize>().prop_map(Op::DropJoiner),
        ];
        proptest::collection::vec(op, 0..80)
    }

    /// The operations of the three kinds, so that one checker drives them all.
    pub trait Kind {
        fn new(maxsize: usize) -> Self;
        fn try_put(&self, item: u8) -> Result<(), TryPutError<u8>>;
        fn try_get(&self) -> Result<u8, TryGetError>;
        fn get(&self) -> impl Future<Output = Result<u8, QueueShutDown>> + '_;
        fn put(&self, item: u8) -> impl Future<Output = Result<(), PutError<u8>>> + '_;
        fn join(&self) -> impl Future<Output = ()> + '_;
        fn task_done(&self);
        fn shutdown(&self);
        fn shutdown_immediate(&self);
        fn len(&self) -> usize;
        fn is_empty(&self) -> bool;
        fn is_full(&self) -> bool;
        fn capacity(&self) -> Option<usize>;
    }

    macro_rules! kind {
        ($queue:ident) => {
            impl Kind for $queue<u8> {
                fn new(maxsize: usize) -> Self {
                    $queue::new(maxsize)
                }
                fn try_put(&self, item: u8) -> Result<(), TryPutError<u8>> {
                    $queue::try_put(self, item)
                }
                fn try_get(&self) -> Result<u8, TryGetError> {
                    $queue::try_get(self)
                }
                fn get(&self) -> impl Future<Output = Result<u8, QueueShutDown>> + '_ {
                    $queue::get(self)
                }
                fn put(&self, item: u8) -> impl Future<Output = Result<(), PutError<u8>>> + '_ {
                    $queue::put(self, item)
                }
                fn join(&self) -> impl Future<Output = ()> + '_ {
                    $queue::join(self)
                }
                fn task_done(&self) {
                    $queue::task_done(self)
                }
                fn shutdown(&self) {
                    $queue::shutdown(self)
                }
                fn shutdown_immediate(&self) {
                    $queue::shutdown_immediate(self)
                }
                fn len(&self) -> usize {
                    $queue::len(self)
                }
                fn is_empty(&self) -> bool {
                    $queue::is_empty(self)
                }
                fn is_full(&self) -> bool {
                    $queue::is_full(self)
                }
                fn capacity(&self) -> Option<usize> {
                    $queue::capacity(self)
                }
            }
        };
    }
    kind!(Queue);
    kind!(LifoQueue);
    kind!(PriorityQueue);

    /// A pending `get` and whether it was woken since its last poll.
    type PendingGet<'a> = (Manual<'a, Result<u8, QueueShutDown>>, bool);
    /// A pending `put`, its item, and whether it was woken since its last poll.
    type PendingPut<'a> = (Manual<'a, Result<(), PutError<u8>>>, u8, bool);
    /// A pending `join` and whether it was woken since its last poll.
    type PendingJoin<'a> = (Manual<'a, ()>, bool);

    struct Model {
        order: Order,
        items: Vec<u8>,
        maxsize: usize,
        unfinished: usize,
        shut_down: bool,
    }

    impl Model {
        fn is_full(&self) -> bool {
            self.maxsize > 0 && self.items.len() >= self.maxsize
        }

        fn push(&mut self, item: u8) {
            self.items.push(item);
            self.unfinished += 1;
        }

        fn pop(&mut self) -> Option<u8> {
            if self.items.is_empty() {
                return None;
            }
            Some(match self.order {
                Order::Fifo => self.items.remove(0),
                Order::Lifo => self.items.pop().unwrap(),
                Order::Smallest => {
                    let (at, _) = self
                        .items
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, item)| **item)
                        .unwrap();
                    self.items.remove(at)
                }
            })
        }

        fn check_get(&mut self, result: Result<u8, QueueShutDown>) -> Result<(), TestCaseError> {
            match result {
                Ok(item) => prop_assert_eq!(self.pop(), Some(item)),
                Err(QueueShutDown) => prop_assert!(self.shut_down && self.items.is_empty()),
            }
            Ok(())
        }

        fn check_put(&mut self, item: u8, result: Result<(), PutError<u8>>) -> Result<(), TestCaseError> {
            match result {
                Ok(()) => {
                    prop_assert!(!self.shut_down && !self.is_full());
                    self.push(item);
                }
                Err(PutError(back)) => {
                    prop_assert!(self.shut_down);
                    prop_assert_eq!(back, item);
                }
            }
            Ok(())
        }
    }

    /// Records the wake-ups of the pending futures since the last call.
    fn record_wakeups(
        getters: &mut [PendingGet<'_>],
        putters: &mut [PendingPut<'_>],
        joiners: &mut [PendingJoin<'_>],
    ) {
        for (getter, woken) in getters {
            *woken |= getter.woken();
        }
        for (putter, _, woken) in putters {
            *woken |= putter.woken();
        }
        for (joiner, woken) in joiners {
            *woken |= joiner.woken();
        }
    }

    /// Runs `ops` on a fresh queue and on the model, comparing every result and, after each
    /// step, the sizes and the wake-up invariants: while items are queued enough pending getters
    /// have been woken, while slots are free enough pending putters have, after a shutdown every
    /// pending getter and putter has, and with nothing unfinished every pending joiner has. A
    /// pending future that was not woken stays pending when polled; a woken one completes when
    /// it can.
    pub fn check<Q: Kind>(order: Order, maxsize: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
        let queue = Q::new(maxsize);
        let mut model = Model {
            order,
            items: Vec::new(),
            maxsize,
            unfinished: 0,
            shut_down: false,
        };
        let mut getters: Vec<PendingGet<'_>> = Vec::new();
        let mut putters: Vec<PendingPut<'_>> = Vec::new();
        let mut joiners: Vec<PendingJoin<'_>> = Vec::new();

        for op in ops {
            match op {
                Op::TryPut(item) => {
                    let expected = if model.shut_down {
                        Err(TryPutError::ShutDown(item))
                    } else if model.is_full() {
                        Err(TryPutError::Full(item))
                    } else {
                        model.push(item);
                        Ok(())
                    };
                    prop_assert_eq!(queue.try_put(item), expected);
                }
                Op::TryGet => {
                    let expected = match model.pop() {
                        Some(item) => Ok(item),
                        None if model.shut_down => Err(TryGetError::ShutDown),
                        None => Err(TryGetError::Empty),
                    };
                    prop_assert_eq!(queue.try_get(), expected);
                }
                Op::TaskDone => {
                    // Calling it too often panics; that is tested on its own.
                    if model.unfinished > 0 {
                        queue.task_done();
                        model.unfinished -= 1;
                    }
                }
                Op::Shutdown => {
                    queue.shutdown();
                    model.shut_down = true;
                }
                Op::ShutdownImmediate => {
                    queue.shutdown_immediate();
                    model.shut_down = true;
                    model.unfinished = model.unfinished.saturating_sub(model.items.len());
                    model.items.clear();
                }
                Op::Get => {
                    let mut getter = Manual::new(queue.get());
                    match getter.poll() {
                        Poll::Ready(result) => model.check_get(result)?,
                        Poll::Pending => {
                            prop_assert!(
                                model.items.is_empty() && !model.shut_down,
                                "a get waits only on empty"
                            );
                            getters.push((getter, false));
                        }
                    }
                }
                Op::Put(item) => {
                    let mut putter = Manual::new(queue.put(item));
                    match putter.poll() {
                        Poll::Ready(result) => model.check_put(item, result)?,
                        Poll::Pending => {
                            prop_assert!(model.is_full() && !model.shut_down, "a put waits only on full");
                            putters.push((putter, item, false));
                        }
                    }
                }
                Op::Join => {
                    let mut joiner = Manual::new(queue.join());
                    match joiner.poll() {
                        Poll::Ready(()) => prop_assert_eq!(model.unfinished, 0),
                        Poll::Pending => {
                            prop_assert!(model.unfinished > 0);
                            joiners.push((joiner, false));
                        }
                    }
                }
                Op::PollGetter(index) if !getters.is_empty() => {
                    let index = index % getters.len();
                    let (getter, woken) = &mut getters[index];
                    let was_woken = std::mem::take(woken);
                    match getter.poll() {
                        Poll::Ready(result) => {
                            prop_assert!(was_woken, "a getter completed without being woken");
                            model.check_get(result)?;
                            getters.remove(index);
                        }
                        Poll::Pending => prop_assert!(
                            !was_woken || (model.items.is_empty() && !model.shut_down),
                            "a woken getter found an item (or the shutdown) and still waits"
                        ),
                    }
                }
                Op::DropGetter(index) if !getters.is_empty() => {
                    getters.remove(index % getters.len());
                }
                Op::PollPutter(index) if !putters.is_empty() => {
                    let index = index % putters.len();
                    let (putter, item, woken) = &mut putters[index];
                    let (item, was_woken) = (*item, std::mem::take(woken));
                    match putter.poll() {
                        Poll::Ready(result) => {
                            prop_assert!(was_woken, "a putter completed without being woken");
                            model.check_put(item, result)?;
                            putters.remove(index);
                        }
                        Poll::Pending => prop_assert!(
                            !was_woken || (model.is_full() && !model.shut_down),
                            "a woken putter found a free slot (or the shutdown) and still waits"
                        ),
                    }
                }
                Op::DropPutter(index) if !putters.is_empty() => {
                    putters.remove(index % putters.len());
                }
                Op::PollJoiner(index) if !joiners.is_empty() => {
                    let index = index % joiners.len();
                    let (joiner, woken) = &mut joiners[index];
                    let was_woken = *woken;
                    let ready = joiner.poll().is_ready();
                    prop_assert_eq!(ready, was_woken, "a joiner completes exactly when woken");
                    if ready {
                        joiners.remove(index);
                    }
                }
                Op::DropJoiner(index) if !joiners.is_empty() => {
                    joiners.remove(index % joiners.len());
                }
                Op::PollGetter(_)
                | Op::DropGetter(_)
                | Op::PollPutter(_)
                | Op::DropPutter(_)
                | Op::PollJoiner(_)
                | Op::DropJoiner(_) => {}
            }

            record_wakeups(&mut getters, &mut putters, &mut joiners);
            prop_assert_eq!(queue.len(), model.items.len());
            prop_assert_eq!(queue.is_empty(), model.items.is_empty());
            prop_assert_eq!(queue.is_full(), model.is_full());
            prop_assert_eq!(queue.capacity(), (maxsize > 0).then_some(maxsize));
            let woken_getters = getters.iter().filter(|(_, woken)| *woken).count();
            let woken_putters = putters.iter().filter(|(_, _, woken)| *woken).count();
            if model.shut_down {
                prop_assert_eq!(woken_getters, getters.len(), "shutdown woke every getter");
                prop_assert_eq!(woken_putters, putters.len(), "shutdown woke every putter");
            }
            prop_assert!(
                woken_getters >= model.items.len().min(getters.len()),
                "an item is queued while the getters sleep"
            );
            if maxsize > 0 {
                let free = maxsize.saturating_sub(model.items.len());
                prop_assert!(
                    woken_putters >= free.min(putters.len()),
                    "a slot is free while the putters sleep"
                );
            }
            if model.unfinished == 0 {
                prop_assert!(
                    joiners.iter().all(|(_, woken)| *woken),
                    "nothing unfinished, a joiner sleeps"
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn fifo_queue_matches_the_model(maxsize in 0usize..4, ops in ops()) {
            check::<Queue<u8>>(Order::Fifo, maxsize, ops)?;
        }

        #[test]
        fn lifo_queue_matches_the_model(maxsize in 0usize..4, ops in ops()) {
            check::<LifoQueue<u8>>(Order::Lifo, maxsize, ops)?;
        }

        #[test]
        fn priority_queue_matches_the_model(maxsize in 0usize..4, ops in ops()) {
            check::<PriorityQueue<u8>>(Order::Smallest, maxsize, ops)?;
        }
    }
}
