//! The timer service (`src/time/driver.rs`): cancelling a timer while it fires.
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use corio::__loom::TimerService;
use loom::sync::Arc;
use loom::thread;

struct CountingWaker(StdArc<AtomicUsize>);

impl Wake for CountingWaker {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A timer cancelled while the service fires it is either cancelled (its waker handed back,
/// never woken) or fired (woken once, and the cancel finds nothing): never both, never neither.
#[test]
fn cancel_racing_fire_is_exactly_one_of_them() {
    loom::model(|| {
        let timers = Arc::new(TimerService::new());
        let woken = StdArc::new(AtomicUsize::new(0));
        let deadline = Instant::now();
        let (entry, _notify) = timers
            .insert(deadline, Waker::from(StdArc::new(CountingWaker(woken.clone()))))
            .expect("the service is open");
        let firer = {
            let timers = timers.clone();
            thread::spawn(move || {
                let mut wakers = Vec::new();
                timers.process(deadline + Duration::from_secs(1), &mut wakers)
            })
        };
        let cancelled = timers.remove(entry);
        let fired = firer.join().unwrap();
        match cancelled {
            Some(_waker) => {
                assert_eq!(fired, 0, "a cancelled timer was also fired");
                assert_eq!(woken.load(Ordering::SeqCst), 0);
            }
            None => {
                assert_eq!(fired, 1, "the timer was neither cancelled nor fired");
                assert_eq!(woken.load(Ordering::SeqCst), 1);
            }
        }
    });
}
