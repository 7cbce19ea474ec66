//! The queues (`src/queue/`): hand-off between a putter and a getter, `join` against
//! `task_done`, shutdown against a blocked `get`, and cancel safety of a notified getter or
//! putter. Each model drives the real `corio::queue` types; a lost wake-up shows as a loom
//! deadlock (a `block_on` that is never woken).
#![cfg(loom)]

use std::sync::Arc;

use corio::queue::{Queue, QueueShutDown};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use corio_loom_tests::{block_on, poll_once};

/// A producer puts two items into a queue bounded at one while the consumer gets them: the
/// consumer waits on empty, the producer on full, and each wakes the other. Never a lost
/// wake-up, never a lost or reordered item.
#[test]
fn put_and_get_hand_off_through_a_bounded_queue() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(1));
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || {
                block_on(queue.put(1)).unwrap();
                block_on(queue.put(2)).unwrap();
            })
        };
        assert_eq!(block_on(queue.get()), Ok(1));
        assert_eq!(block_on(queue.get()), Ok(2));
        producer.join().unwrap();
        assert!(queue.is_empty());
    });
}

/// `join` returns only after the consumer's `task_done`, and whatever the consumer did before
/// it is visible to the joiner.
#[test]
fn join_returns_after_the_last_task_done() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(0));
        queue.try_put("job").unwrap();
        let processed = Arc::new(AtomicBool::new(false));
        let consumer = {
            let (queue, processed) = (queue.clone(), processed.clone());
            thread::spawn(move || {
                assert_eq!(queue.try_get(), Ok("job"));
                // Relaxed on purpose: `join` must provide the happens-before itself.
                processed.store(true, Ordering::Relaxed);
                queue.task_done();
            })
        };
        block_on(queue.join());
        assert!(
            processed.load(Ordering::Relaxed),
            "join returned before task_done"
        );
        consumer.join().unwrap();
    });
}

/// A getter blocked on an empty queue is woken by a concurrent `shutdown` and fails; an item put
/// before the shutdown is still handed out first.
#[test]
fn shutdown_wakes_a_blocked_get() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(0));
        let closer = {
            let queue = queue.clone();
            thread::spawn(move || {
                queue.try_put(7).unwrap();
                queue.shutdown();
            })
        };
        assert_eq!(block_on(queue.get()), Ok(7));
        assert_eq!(block_on(queue.get()), Err(QueueShutDown));
        closer.join().unwrap();
    });
}

/// The first getter in line is dropped while an item is put: whether the put notified it before
/// the drop or not, the second getter (blocked on another thread) gets the item.
#[test]
fn a_getter_cancelled_after_its_notification_does_not_lose_the_item() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(0));
        let mut first = Box::pin(queue.get());
        assert!(poll_once(first.as_mut()).is_pending());
        let second = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.get()))
        };
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_put(7).unwrap())
        };
        drop(first);
        producer.join().unwrap();
        assert_eq!(second.join().unwrap(), Ok(7));
    });
}

/// The first putter waiting on a full queue is dropped while a slot is freed: the second putter
/// (blocked on another thread) gets the slot.
#[test]
fn a_putter_cancelled_after_its_notification_does_not_lose_the_slot() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(1));
        queue.try_put(0).unwrap();
        let mut first = Box::pin(queue.put(1));
        assert!(poll_once(first.as_mut()).is_pending());
        let second = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.put(2)))
        };
        let consumer = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_get())
        };
        drop(first);
        assert_eq!(consumer.join().unwrap(), Ok(0));
        assert_eq!(second.join().unwrap(), Ok(()));
        assert_eq!(queue.try_get(), Ok(2), "the dropped putter's item was never put");
    });
}

/// Two getters blocked at once, two puts from two threads: both getters are woken, each item is
/// taken exactly once.
#[test]
fn two_getters_and_two_putters_lose_nothing() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(0));
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.get()).unwrap())
        };
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_put(1).unwrap())
        };
        queue.try_put(2).unwrap();
        let mine = block_on(queue.get()).unwrap();
        let theirs = getter.join().unwrap();
        putter.join().unwrap();
        let mut both = [mine, theirs];
        both.sort_unstable();
        assert_eq!(both, [1, 2]);
    });
}
