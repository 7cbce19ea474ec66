//! The parked receiver of an mpsc channel: its waker, and a flag that senders read after each
//! push. See `ReceiverWaker`.

use std::task::Waker;

use crossbeam_utils::CachePadded;

use crate::loom::{fence, AtomicBool, Ordering, SpinLock};

/// The receiver's waker and whether it is parked. The receiver registers, then looks at the
/// queue again; a sender pushes, then looks here. A SeqCst fence on each side between the two
/// steps makes sure at least one of them sees the other (a message is never left unseen by a
/// parked receiver), and a sender pays one load when the receiver is not parked.
pub(super) struct ReceiverWaker {
    parked: CachePadded<AtomicBool>,
    waker: SpinLock<Option<Waker>>,
}

impl ReceiverWaker {
    pub(super) fn new() -> ReceiverWaker {
        ReceiverWaker {
            parked: CachePadded::new(AtomicBool::new(false)),
            waker: SpinLock::new(None),
        }
    }

    /// Parks the receiver with `waker`. The caller looks at the queue again afterwards.
    pub(super) fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock();
        let old = match &*slot {
            Some(current) if current.will_wake(waker) => None,
            _ => slot.replace(waker.clone()),
        };
        drop(slot);
        drop(old);
        // Release: a sender that sees the flag (Acquire swap) sees the waker.
        self.parked.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
    }

    /// The receiver found what it was about to wait for: no wake needed.
    pub(super) fn cancel(&self) {
        self.parked.store(false, Ordering::Relaxed);
    }

    /// Wakes the receiver if it is parked. The caller has made its message (or close) visible
    /// and issued a SeqCst fence.
    pub(super) fn wake(&self) {
        if self.parked.load(Ordering::Relaxed) && self.parked.swap(false, Ordering::Acquire) {
            // Every wake after a registration makes the receiver poll (and register) again, so
            // taking the waker loses nothing even if another sender took it first.
            if let Some(waker) = self.take() {
                waker.wake();
            }
        }
    }

    pub(super) fn take(&self) -> Option<Waker> {
        self.waker.lock().take()
    }
}
