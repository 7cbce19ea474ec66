use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::driver::TimerEntry;
use crate::runtime::{context, Handle};
use crate::task::coop;

/// Waits until `duration` has elapsed (asyncio's `asyncio.sleep`).
///
/// The timer has millisecond resolution and never fires early. Dropping the `Sleep` cancels it.
///
/// # Panics
/// When called outside a corio runtime, and when polled after its runtime shut down.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corio::run(async {
///     let start = Instant::now();
///     corio::time::sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(deadline_after(duration))
}

/// Waits until `deadline`.
///
/// # Panics
/// When called outside a corio runtime.
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    let handle = context::current_handle().unwrap_or_else(|| {
        panic!("`corio::time::sleep` called outside a corio runtime; create timers inside `corio::run` or a task")
    });
    Sleep {
        deadline,
        entry: None,
        handle,
    }
}

/// `now + duration`, saturating at a far-future instant instead of overflowing.
pub(crate) fn deadline_after(duration: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(duration)
        .unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365 * 30))
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    deadline: Instant,
    entry: Option<TimerEntry>,
    handle: Handle,
}

impl Sleep {
    /// The instant at which the sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline, earlier or later, without creating a new timer: asyncio's
    /// `Timeout.reschedule`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// corio::run(async {
    ///     let mut sleep = std::pin::pin!(corio::time::sleep(Duration::from_secs(3600)));
    ///     sleep.as_mut().reset(Instant::now() + Duration::from_millis(5));
    ///     sleep.await; // completes after 5 ms, not an hour
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        let timers = &this.handle.shared().timers;
        if let Some(entry) = this.entry.take() {
            // Keep waiting with the same waker at the new deadline, so a shortened deadline
            // wakes the task even before it polls again.
            if let Some(waker) = timers.remove(entry) {
                this.register(waker);
            }
        }
    }

    fn register(&mut self, waker: std::task::Waker) {
        let shared = self.handle.shared();
        let Ok((entry, notify)) = shared.timers.insert(self.deadline, waker) else {
            panic!(
                "a corio timer was polled after its runtime shut down; nothing would ever fire it \
                 (keep the `Runtime` alive while its timers are in use)"
            );
        };
        self.entry = Some(entry);
        if let Some(worker) = notify {
            shared.notify_timer_owner(worker);
        }
    }

    fn cancel(&mut self) {
        if let Some(entry) = self.entry.take() {
            let waker = self.handle.shared().timers.remove(entry);
            drop(waker);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if Instant::now() >= this.deadline {
            std::task::ready!(coop::poll_proceed(cx));
            this.cancel();
            return Poll::Ready(());
        }
        let updated = match this.entry {
            Some(entry) => this.handle.shared().timers.update_waker(entry, cx.waker()),
            None => false,
        };
        if !updated {
            this.register(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep").field("deadline", &self.deadline).finish()
    }
}
