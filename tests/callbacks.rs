//! Loop callbacks: call_soon, call_later, call_at, TimerHandle.

mod support;

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
