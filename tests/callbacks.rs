//! Loop callbacks: call_soon, call_later, call_at, TimerHandle.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{runtime, HANG_GUARD};

#[test]
fn call_soon_callbacks_from_one_thread_run_in_submission_order() {
    let rt = runtime(2);
    let handle = rt.handle().clone();
    let order = Arc::new(Mutex::new(Vec::new()));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    // Submitted from a plain thread (call_soon_threadsafe) and from inside the runtime.
    let submitter = {
        let (handle, order) = (handle.clone(), order.clone());
        std::thread::spawn(move || {
            for i in 0..5_000 {
                let order = order.clone();
                handle.call_soon(move || order.lock().unwrap().push(i));
            }
            handle.call_soon(move || done_tx.send(()).unwrap());
        })
    };
    submitter.join().unwrap();
    done_rx.recv_timeout(HANG_GUARD).unwrap();
    let order = order.lock().unwrap();
    assert_eq!(*order, (0..5_000).collect::<Vec<_>>());
}

#[test]
fn call_later_never_runs_before_its_deadline() {
    let rt = runtime(2);
    let handle = rt.handle().clone();
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..300u64 {
        let when = Instant::now() + Duration::from_micros((i * 7919) % 40_000);
        let tx = tx.clone();
        let timer = handle.call_at(when, move || tx.send((when, Instant::now())).unwrap());
        assert_eq!(timer.when(), when);
    }
    drop(tx);
    let mut fired = 0;
    for (when, ran_at) in rx.iter() {
        assert!(ran_at >= when, "ran {:?} before its deadline", when - ran_at);
        fired += 1;
    }
    assert_eq!(fired, 300);
}

#[test]
fn a_cancelled_timer_handle_never_runs() {
    let rt = runtime(2);
    let handle = rt.handle().clone();
    let (ran_tx, ran_rx) = std::sync::mpsc::channel();
    let mut handles = Vec::new();
    for i in 0..100 {
        let ran_tx = ran_tx.clone();
        handles.push(handle.call_later(Duration::from_millis(5), move || ran_tx.send(i).unwrap()));
    }
    for (i, timer) in handles.iter().enumerate() {
        if i % 2 == 0 {
            timer.cancel();
            assert!(timer.is_cancelled());
        }
    }
    // The 50 kept callbacks run...
    let mut ran: Vec<i32> = (0..50)
        .map(|_| ran_rx.recv_timeout(HANG_GUARD).unwrap())
        .collect();
    // ...and a callback due well after all of them runs too; the cancelled ones never do.
    handle.call_later(Duration::from_millis(20), move || ran_tx.send(-1).unwrap());
    assert_eq!(ran_rx.recv_timeout(HANG_GUARD).unwrap(), -1);
    ran.sort();
    assert_eq!(ran, (0..100).filter(|i| i % 2 == 1).collect::<Vec<_>>());
}

#[test]
fn a_panicking_callback_does_not_stop_the_others() {
    let rt = runtime(1);
    let handle = rt.handle().clone();
    let (tx, rx) = std::sync::mpsc::channel();
    handle.call_soon(|| panic!("callback failure"));
    handle.call_soon(move || tx.send("still running").unwrap());
    assert_eq!(rx.recv_timeout(HANG_GUARD).unwrap(), "still running");
}

/// `TimerHandle::cancel` documents "after this returns it will not start", but a callback whose
/// timer already fired (queued behind other callbacks) still runs after `cancel`.
#[test]
fn timer_handle_cancel_after_fire_prevents_the_callback() {
    let rt = runtime(2);
    rt.block_on(async {
        let handle = corio::Handle::current();
        // Occupy the callback queue so that the timer callback waits in it.
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (busy_tx, busy_rx) = std::sync::mpsc::channel::<()>();
        handle.call_soon(move || {
            busy_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        corio::spawn_blocking(move || busy_rx.recv().unwrap())
            .await
            .unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let timer = {
            let ran = ran.clone();
            handle.call_later(Duration::from_millis(1), move || {
                ran.store(true, Ordering::SeqCst)
            })
        };
        // Wait until the timer task has fired (handed its callback to the queue) and ended.
        // Bounded: the assertion after the loop reports a state that never came.
        for _ in 0..1_000_000 {
            let dump = handle.dump();
            if !dump
                .tasks()
                .iter()
                .any(|t| t.name.as_deref() == Some("corio::call_later"))
            {
                break;
            }
            corio::task::yield_now().await;
        }
        timer.cancel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        handle.call_soon(move || done_tx.send(()).unwrap());
        release_tx.send(()).unwrap();
        corio::spawn_blocking(move || done_rx.recv().unwrap())
            .await
            .unwrap();
        assert!(
            !ran.load(Ordering::SeqCst),
            "the callback ran although cancel() returned before it started"
        );
    });
}
