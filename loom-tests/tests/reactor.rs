//! Readiness and waker hand-off of an I/O source (`src/reactor/source.rs`).
#![cfg(loom)]

use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use corio::__loom::{Direction, Source};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

struct FlagWaker(Arc<AtomicBool>);

impl Wake for FlagWaker {
    fn wake(self: StdArc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A task that polls for readiness while the reactor reports an event either sees the
/// readiness or gets woken: the wake-up cannot fall between its check and its registration.
#[test]
fn readiness_racing_a_poll_is_never_lost() {
    loom::model(|| {
        let source = Arc::new(Source::new(0));
        // Start from "not readable", as after an operation returned WouldBlock.
        let mut noop_cx = Context::from_waker(Waker::noop());
        let Poll::Ready(initial) = source.poll_ready(Direction::Read, &mut noop_cx, None) else {
            panic!("a new source starts optimistic");
        };
        source.clear_ready(Direction::Read, initial);
        assert!(source
            .poll_ready(Direction::Read, &mut noop_cx, None)
            .is_pending());
        let woken = Arc::new(AtomicBool::new(false));
        let reactor = {
            let source = source.clone();
            thread::spawn(move || {
                let mut wakers = Vec::new();
                source.set_ready(true, false, false, &mut wakers);
                wakers.into_iter().for_each(Waker::wake);
            })
        };
        let waker = Waker::from(StdArc::new(FlagWaker(woken.clone())));
        let mut cx = Context::from_waker(&waker);
        let polled = source.poll_ready(Direction::Read, &mut cx, None);
        reactor.join().unwrap();
        if polled.is_pending() {
            assert!(woken.load(Ordering::SeqCst), "pending, and never woken");
        }
    });
}

/// Clearing readiness after `WouldBlock` must not erase an event that arrived meanwhile.
#[test]
fn clearing_stale_readiness_keeps_a_newer_event() {
    loom::model(|| {
        let source = Arc::new(Source::new(0));
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);
        let Poll::Ready(seen) = source.poll_ready(Direction::Read, &mut cx, None) else {
            panic!("readiness was set");
        };
        let reactor = {
            let source = source.clone();
            thread::spawn(move || {
                let mut wakers = Vec::new();
                source.set_ready(true, false, false, &mut wakers);
            })
        };
        // The operation returned WouldBlock for the readiness we saw: clear it.
        source.clear_ready(Direction::Read, seen);
        reactor.join().unwrap();
        // The reactor's second event happened either before the clear (tick changed: the
        // clear is skipped) or after it (readiness set again): either way it is readable.
        assert!(source.poll_ready(Direction::Read, &mut cx, None).is_ready());
    });
}
