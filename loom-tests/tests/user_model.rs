//! A model written the way the README tells users to write theirs: corio's primitives under
//! `--cfg loom`, driven by loom's own `block_on`.
#![cfg(loom)]

use corio::sync::{mpsc, Mutex};
use loom::sync::Arc;
use loom::thread;

/// Two threads increment a counter behind `corio::sync::Mutex`: no update is lost.
#[test]
fn user_model_mutex_counter() {
    loom::model(|| {
        let counter = Arc::new(Mutex::new(0u32));
        let other = {
            let counter = counter.clone();
            thread::spawn(move || loom::future::block_on(async move { *counter.lock().await += 1 }))
        };
        loom::future::block_on(async { *counter.lock().await += 1 });
        other.join().unwrap();
        assert_eq!(loom::future::block_on(async { *counter.lock().await }), 2);
    });
}

/// A message sent on one thread is received on another, and the channel then reports closed.
#[test]
fn user_model_mpsc_hand_off() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let sender = thread::spawn(move || loom::future::block_on(async move { tx.send(7).await.unwrap() }));
        loom::future::block_on(async move {
            assert_eq!(rx.recv().await, Some(7));
            assert_eq!(rx.recv().await, None);
        });
        sender.join().unwrap();
    });
}
