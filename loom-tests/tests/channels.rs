//! The channels of `corio::sync` (`src/sync/{oneshot,broadcast,watch}.rs`, `src/sync/mpsc/`):
//! send against receive against drop, close against send, the bounded channel's slot hand-off
//! with a cancelled waiter, broadcast lag accounting and watch's change notification, checked on
//! the real types built with loom's atomics and locks.
//!
//! A lost wake-up shows as a loom deadlock: `block_on` parks the loom thread, and if the code
//! under test never wakes it, no thread is left to run.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Waker};

use corio::sync::{broadcast, mpsc, oneshot, watch};
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

use corio_loom_tests::block_on;

/// Counts drops of the values it hands out, so that a model can check a message is neither
/// lost nor dropped twice.
#[derive(Clone)]
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

// ---- oneshot -----------------------------------------------------------------------------

/// A send on another thread racing the receiver's first poll: the receiver gets the value,
/// whether it looked before the send (and was woken) or after.
#[test]
fn oneshot_send_racing_recv_delivers() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u32>();
        let sender = thread::spawn(move || tx.send(7).is_ok());
        assert_eq!(block_on(rx), Ok(7));
        assert!(sender.join().unwrap());
    });
}

/// The sender dropped on another thread without sending: the waiting receiver is woken with an
/// error.
#[test]
fn oneshot_sender_drop_racing_recv_wakes_with_error() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u32>();
        let dropper = thread::spawn(move || drop(tx));
        assert!(block_on(rx).is_err());
        dropper.join().unwrap();
    });
}

/// The receiver dropped while the value is being sent: either the send fails and hands the
/// value back, or it succeeds and the receiver's drop frees it. Exactly one drop either way,
/// and a sender waiting in `closed` is woken.
#[test]
fn oneshot_send_racing_receiver_drop_drops_the_value_once() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel::<Tracked>();
        let receiver = thread::spawn(move || drop(rx));
        let value = Tracked(drops.clone());
        match tx.send(value) {
            Ok(()) => {}
            Err(value) => drop(value),
        }
        receiver.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// `closed()` waiting while the receiver is dropped on another thread: woken, not lost.
#[test]
fn oneshot_closed_racing_receiver_drop_wakes() {
    loom::model(|| {
        let (mut tx, rx) = oneshot::channel::<u32>();
        let receiver = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        receiver.join().unwrap();
    });
}

// ---- mpsc --------------------------------------------------------------------------------

/// The receiver closes and drains while a sender sends: a message whose send succeeded is
/// received, one whose send failed comes back; the drain ends (no hang) and nothing is lost.
#[test]
fn mpsc_close_racing_send_loses_no_message_and_ends() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let sender = thread::spawn(move || block_on(tx.send(1)).is_ok());
        rx.close();
        let mut received = Vec::new();
        while let Some(message) = block_on(rx.recv()) {
            received.push(message);
        }
        let sent = sender.join().unwrap();
        assert_eq!(received, if sent { vec![1] } else { vec![] });
    });
}

/// The last sender dropped while the receiver waits: the receiver gets the message sent before
/// the drop, then `None` — never a hang.
#[test]
fn mpsc_unbounded_send_then_drop_racing_recv() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            drop(tx);
        });
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(block_on(rx.recv()), None);
        sender.join().unwrap();
    });
}

/// A full bounded(1) channel with two senders queued for the slot, in order. The receiver frees
/// the slot, handing it to the first sender, while that sender is cancelled (dropped) on another
/// thread — before or after the hand-off. The slot is never lost: the second sender completes.
#[test]
fn mpsc_slot_handed_to_a_cancelled_sender_passes_to_the_next() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.try_send(0).unwrap();
        let tx2 = tx.clone();
        let mut first = Box::pin(async move { tx.send(1).await });
        let mut second = Box::pin(async move { tx2.send(2).await });
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            first.as_mut().poll(&mut cx).is_pending(),
            "full: the first sender queues"
        );
        assert!(
            second.as_mut().poll(&mut cx).is_pending(),
            "the second queues behind it"
        );
        let canceller = thread::spawn(move || drop(first));
        assert_eq!(block_on(rx.recv()), Some(0));
        // A slot handed to the cancelled sender and lost would leave this waiting forever.
        block_on(second).unwrap();
        canceller.join().unwrap();
        assert_eq!(block_on(rx.recv()), Some(2));
        assert_eq!(block_on(rx.recv()), None);
    });
}

/// A sender polled once and then cancelled on its own thread, racing the receiver and a second
/// sender: whatever the interleaving, the second sender gets through and the messages that were
/// sent arrive in FIFO order.
#[test]
fn mpsc_cancelled_sender_racing_recv_and_another_sender() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.try_send(0).unwrap();
        let tx2 = tx.clone();
        let cancelled = thread::spawn(move || {
            let mut send = pin!(tx.send(1));
            send.as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_ready()
        });
        let waiting = thread::spawn(move || block_on(tx2.send(2)).is_ok());
        assert_eq!(block_on(rx.recv()), Some(0));
        // Ends once both senders are gone: a lost slot would leave the second one waiting
        // forever, and this drain with it (a loom deadlock).
        let mut rest = Vec::new();
        while let Some(message) = block_on(rx.recv()) {
            rest.push(message);
        }
        let cancelled_got_through = cancelled.join().unwrap();
        assert!(waiting.join().unwrap(), "the second sender got a slot");
        if cancelled_got_through {
            assert!(rest == [1, 2] || rest == [2, 1], "{rest:?}");
        } else {
            assert_eq!(rest, [2]);
        }
    });
}

/// A permit dropped unused on one thread while a sender waits on another: the slot goes to the
/// waiter (woken), and the receiver sees its message.
#[test]
fn mpsc_dropped_permit_hands_its_slot_to_a_waiting_sender() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let permit = tx
            .clone()
            .try_reserve_owned()
            .unwrap_or_else(|_| panic!("a slot is free"));
        let releaser = thread::spawn(move || drop(permit));
        block_on(tx.send(5)).unwrap();
        releaser.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(5));
    });
}

/// A full bounded(1) channel: a sender that finds it full and queues races the receiver
/// freeing the slot. Either the sender sees the slot, or the release sees the sender queued
/// (the fence pair of `queued`); a miss on both sides would leave the sender waiting forever.
#[test]
fn mpsc_sender_queueing_racing_the_release_of_the_last_slot() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.try_send(0).unwrap();
        let sender = thread::spawn(move || block_on(tx.send(1)).is_ok());
        assert_eq!(block_on(rx.recv()), Some(0));
        assert_eq!(block_on(rx.recv()), Some(1));
        assert!(sender.join().unwrap());
        assert_eq!(block_on(rx.recv()), None);
    });
}

/// The receiver closes a full channel while a sender waits for the slot the receiver frees:
/// a sender served the slot before the close sends through it (its message arrives, as a
/// permit's would), one not yet served fails; either way the drain ends, by the slot count
/// (another sender stays alive).
#[test]
fn mpsc_close_racing_a_served_sender_loses_nothing() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.try_send(0).unwrap();
        // Kept alive: the drain must end by the slot count, not because every sender left.
        let _other_sender = tx.clone();
        let mut send = Box::pin(async move { tx.send(1).await });
        assert!(
            send.as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_pending(),
            "full: the sender queues"
        );
        let sender = thread::spawn(move || block_on(send).is_ok());
        assert_eq!(block_on(rx.recv()), Some(0));
        rx.close();
        let mut rest = Vec::new();
        while let Some(message) = block_on(rx.recv()) {
            rest.push(message);
        }
        let sent = sender.join().unwrap();
        assert_eq!(rest, if sent { vec![1] } else { vec![] });
    });
}

/// A queued sender polled again with a new waker (its future moved to another thread) while
/// the receiver closes: the close takes it off the queue and wakes the old waker, so the poll
/// must see that it was taken off, not wait with a waker nobody holds.
#[test]
fn mpsc_close_racing_a_queued_sender_polled_with_a_new_waker() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.try_send(0).unwrap();
        let mut send = Box::pin(async move { tx.send(1).await });
        assert!(
            send.as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_pending(),
            "full: the sender queues"
        );
        let sender = thread::spawn(move || block_on(send).is_ok());
        rx.close();
        assert!(!sender.join().unwrap(), "closed before it was served");
    });
}

/// The receiver is dropped while a permit sends on another thread: the message is dropped
/// exactly once, and at once (not left queued until the last sender goes).
#[test]
fn mpsc_permit_send_racing_receiver_drop_drops_the_message_once() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel::<Tracked>(1);
        let permit = tx
            .try_reserve_owned()
            .unwrap_or_else(|_| panic!("a slot is free"));
        let message = Tracked(drops.clone());
        let sender = thread::spawn(move || permit.send(message));
        drop(rx);
        let tx = sender.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1, "dropped once, with a sender still alive");
        drop(tx);
        assert_eq!(drops.load(SeqCst), 1);
    });
}

// ---- broadcast ---------------------------------------------------------------------------

/// Two sends into a one-slot ring racing a receiver: whatever the interleaving, every message
/// is either received (in order) or counted in a `Lagged`, and the receiver ends with `Closed`.
#[test]
fn broadcast_send_racing_recv_accounts_for_every_message() {
    loom::model(|| {
        let (tx, mut rx) = broadcast::channel::<u32>(1);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        let mut accounted = 0;
        let mut last = 0;
        loop {
            match block_on(rx.recv()) {
                Ok(message) => {
                    assert!(message > last, "in order");
                    last = message;
                    accounted += 1;
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => accounted += missed,
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
        sender.join().unwrap();
        assert_eq!(accounted, 2);
        assert_eq!(last, 2, "the last message is always received");
    });
}

/// A receiver dropped while a message is sent and read by another receiver: whether or not the
/// dropped receiver was counted for the message, the ring's copy is freed exactly once, as
/// soon as every counted receiver has read it or left.
#[test]
fn broadcast_receiver_drop_racing_send_frees_the_message_once() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, leaving) = broadcast::channel::<Tracked>(2);
        let mut staying = tx.subscribe();
        let leaver = thread::spawn(move || drop(leaving));
        let receivers = tx
            .send(Tracked(drops.clone()))
            .unwrap_or_else(|_| panic!("one receiver stays"));
        assert!(receivers == 1 || receivers == 2);
        drop(
            staying
                .try_recv()
                .unwrap_or_else(|_| panic!("the message is there")),
        );
        leaver.join().unwrap();
        assert_eq!(
            drops.load(SeqCst),
            2,
            "the received clone and the ring's copy, once each"
        );
        drop(tx);
    });
}

// ---- watch -------------------------------------------------------------------------------

/// A send racing `changed`: the receiver is woken (or sees the new version at once) and reads
/// the new value.
#[test]
fn watch_send_racing_changed_is_seen() {
    loom::model(|| {
        let (tx, mut rx) = watch::channel(0u32);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx
        });
        block_on(rx.changed()).unwrap();
        assert_eq!(*rx.borrow_and_update(), 1);
        drop(sender.join().unwrap());
    });
}

/// A send then the sender's drop racing `changed`: the receiver first sees the last value,
/// then the error — never a hang, never a missed last value.
#[test]
fn watch_send_and_drop_racing_changed() {
    loom::model(|| {
        let (tx, mut rx) = watch::channel(0u32);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            drop(tx);
        });
        // The value 1 is unseen whenever the error could come, so the first wait succeeds.
        block_on(rx.changed()).unwrap();
        assert_eq!(*rx.borrow_and_update(), 1);
        assert!(block_on(rx.changed()).is_err());
        sender.join().unwrap();
    });
}
